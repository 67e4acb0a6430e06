/*
 * vm_devices.h: one VM's devices (vm->devices; 64-bit, VMX root
 * operation). Defined here, in the layer that emulates them, above struct
 * vm's (guest/vm.h holds a pointer, as KVM's struct kvm does for its PIC).
 *
 * Every VM has its own COM1 (uart.c) and console line. What its PIT and PIC
 * are depends on devices= (boot/options.h):
 *   machine  labs 1-3: the guest programs the machine's own 8254 and 8259A
 *            pair through exit_io.c, each PIC write checked (pic_filter.c);
 *   virtual  lab 4: the guest's PIT and PIC are models of the chips
 *            (dev/pit.c, dev/pic.c) that only this VM sees, on the VM's own
 *            time (vm_clock.h); their interrupts are injected
 *            (vm_interrupts.c), and the machine's chips are the
 *            hypervisor's alone; so are its local APIC (vm_lapic.c) and its I/O
 *            APIC (vm_ioapic.c), whose registers vm_mmio.c emulates.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "dev/i8042.h"
#include "dev/ioapic.h"
#include "dev/lapic.h"
#include "dev/pci_config.h"
#include "dev/pic.h"
#include "dev/pit.h"
#include "dev/rtc.h"
#include "dev/vga_regs.h"
#include "boot/options.h"
#include "exit/console.h"
#include "exit/pic_filter.h"
#include "exit/screen_lines.h"
#include "exit/uart.h"
#include "exit/uart_rx.h"
#include "exit/vm_clock.h"

#define VM_INPUT_BUFFER 256

/* The bytes typed into the VM, each device's count of those it has had
 * (vm_input.c: feed_devices), all counted from the VM's start. */
struct vm_input {
    uint8_t buffer[VM_INPUT_BUFFER];
    uint64_t typed, uart_fed, kbc_fed;
    uint64_t ring_fed;                  /* to a PV guest's console ring (pv/pv_events.c), if it has one */
    bool ring;                          /* it has: a third device that takes every byte */
    uint64_t lost;                      /* bytes a device never had: it was not read */
};

struct vm_devices {
    struct uart com1;
    struct console_relay console;      /* COM1's output on the hypervisor's console */
    struct console_relay debugcon;     /* port 0xE9's (devices=virtual: vm_debugcon.h) */
    uint8_t reported_ports[65536 / 8]; /* ports with no device, each reported once */
    uint16_t pm1_enable, pm1_control;  /* ACPI's PM1_EN and PM1_CNT (vm_acpi_pm.h) */
    struct rtc rtc;                    /* the CMOS clock and RAM (vm_rtc.h) */
    int64_t rtc_start_seconds;         /* the machine's clock when the VM's time began */
    uint64_t rtc_event_tsc;            /* when its IRQ 8 may next rise (UINT64_MAX: never) */
    bool rtc_line;                     /* its IRQ 8 line, as the PIC and I/O APIC have it */
    struct vga_regs vga;               /* the text screen's ports (vm_cga.h) */
    struct screen_lines screen;        /* what of the screen is in the log */
    uint16_t screen_now[VGA_CELLS];    /* the screen read at a look */
    struct pci_config pci;             /* PCI configuration space, port 0xCF9 (vm_pci.h) */
    struct i8042 kbc;                  /* the keyboard controller (vm_kbc.h) */
    struct uart_rx com1_rx;            /* COM1's receiver, fed by console input (vm_input.h) */
    struct vm_input input;             /* bytes typed on the console, for both (VM 0) */
    uint64_t input_next_poll;          /* the VM's PIT time of the next poll of the machine's COM1 */
    bool takes_input;                  /* VM 0's: typed input is its (vm_input.h) */
    bool virtual_pit_pic;              /* devices=virtual */
    /* devices=machine: */
    struct pic_filter pics;            /* its view of the PICs' initialisation */
    /* devices=virtual: */
    struct pit pit;
    struct pic pic;
    struct vm_clock clock;
    struct lapic lapic;
    uint64_t lapic_event_tsc;          /* its timer's next expiry (0: find out again) */
    uint64_t next_edge_tsc;            /* when OUT0 next rises (0: find out again) */
    bool window;                       /* interrupt-window exiting is on */
    bool nmi_window;                   /* NMI-window exiting is on */
    bool hlt_exiting;                  /* HLT exiting is on (vm_interrupts.c: off while a timer event is armed) */
    bool debugged;                     /* gdb= is on: every HLT exits */
    uint64_t hold_until_tsc;           /* no injection before (0: none; vm_interrupts.c) */
    bool injected_since_hold;
    uint64_t delivered_tsc;            /* the last delivery's time */
    uint64_t hv_cycles;                /* the hypervisor's cycles on its exits (count_hv_cycles) */
    unsigned last_reason;              /* the last exit's reason */
    uint64_t last_reason_cycles;       /* that reason's cycles before it */
    uint64_t delivered_hv_cycles;      /* hv_cycles at the last delivery */
    bool delivery_too_soon;            /* this VM entry's window opened too soon after it */
    bool last_delivery_too_soon;       /* and so did the last delivery's */
    bool waited_for_window;            /* cpu=deprivileged: an interrupt waited for its IF at the last look */
    bool hold_requested;               /* cpu=deprivileged: a hold to start at the VM entry */
    /* Several VMs on one CPU (sched.c): */
    bool shared_cpu;                   /* another VM may run: yield when waiting */
    bool nmi_handler_may_run;          /* it entered blocked by NMI, or with an NMI injected */
    uint64_t quantum_end_tsc;          /* its turn ends then */
    bool waiting;                      /* it yielded halted, until its next event */
    uint64_t left_tsc;                 /* when its last turn ended: its devices' last look */
    uint64_t wake_tsc;                 /* waiting: its next event then */
    int64_t tsc_offset;                /* its TSC's (VMCS TSC offset): tsc=run, a debugger's hold */
    enum timer_mode timer_mode;        /* timer_mode=: the missed-tick policy */
    bool tsc_run;                      /* tsc=run: its TSC stands still while it is kept from running */
    uint64_t pending_ticks;            /* ticks owed to the guest, not yet on IRQ 0 */
    uint64_t irq0_edges;               /* OUT0's rising edges seen */
    uint64_t ticks_raised;             /* ticks put on IRQ 0 */
    uint64_t ticks_dropped;            /* edges merged into one tick, or dropped */
    uint64_t injected;                 /* interrupts injected */
    uint64_t nmis_taken;               /* NMIs injected, or delivered in software */
    uint64_t lapic_accesses;           /* register reads and writes emulated */
    uint64_t lapic_expiries;           /* its timer's */
    /* The hypervisor's own interrupt, which no controller is behind: a PV
     * guest's event upcall (cpu=pv, lab 5: pv/pv_events.c sets it before
     * each VM entry, pv/evtchn.c for a VM that waits) or a paged VM's
     * "page ready" (resident=, issue 20: exit/async_pf.c). A VM is PV,
     * paged or neither (resident= needs cpu=hvm): one field holds either,
     * and the look before each entry tests it once (vm_interrupts.c). */
    uint8_t hv_vector;                 /* the guest is to take it as an external interrupt when its
                                          IF allows (0: none) */
    bool hv_vector_first;              /* before the chips' interrupts (paged), or after them */
    /* cpu=pv (lab 5; pv/pv_events.c sets it before each VM entry): */
    uint64_t pv_event_guest_tsc;       /* the guest's TSC at its next PV timer event (set_timer_op's
                                          deadline, a balloon= step; UINT64_MAX: none) */
    /* resident= (issue 20; exit/async_pf.c sets them before each VM entry): */
    uint64_t apf_event_tsc;            /* when the next page-in is done (UINT64_MAX: none) */
    uint64_t held_until_tsc;           /* a stall with another VM on the CPU: the vCPU waits for its
                                          page-in until then, and gives its turns away (0: none) */
    struct ioapic ioapic;
    uint64_t ioapic_accesses;          /* register reads and writes emulated */
    uint64_t ioapic_delivered;         /* messages its local APIC accepted */
    uint64_t ioapic_dropped;           /* messages to no one, of a mode not emulated, or refused */
};
