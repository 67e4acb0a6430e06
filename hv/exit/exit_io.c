/*
 * exit_io.c: IN and OUT to ports the I/O bitmaps intercept (64-bit, VMX
 * root operation; SDM vol. 3, 26.1.3 and 25.6.4).
 *
 * The guest's devices, each VM's own (struct vm_devices, vm->devices):
 *   0x3F8-0x3FF  COM1, the emulated 16550 UART (uart.c), whose output is
 *                copied to the hypervisor's own console, on the VM's line;
 *   0xF4         the power-off port, compatible with QEMU's isa-debug-exit:
 *                the byte written is the guest's exit status; it ends its
 *                VM, and the next VM runs;
 *   0x20, 0x21, 0xA0, 0xA1  the machine's own 8259A PICs, and
 *   0x40-0x43    its 8254 PIT, until lab 4 virtualises them: byte reads go
 *                to the chip, byte writes too once checked (pic_filter.c).
 * With devices=virtual, pc_ports_exit comes first: the PC's other chips
 * (ACPI's PM1, the CMOS clock, PCI's configuration space, the keyboard
 * controller) and COM1 with its receiver, for console input.
 * Every other intercepted port has no device behind it: reads give all ones,
 * as on an empty ISA bus, writes are dropped, and each port is reported once.
 * The machine's port 0xE9 is the hypervisor's private verdict channel
 * (console.h), which no guest byte may reach: with devices=machine the
 * guest's 0xE9 has no device, with devices=virtual it is the guest's own
 * debug console (vm_debugcon.h), one of the PC's ports (pc_ports_exit).
 */
#include "exit/console.h"
#include "exit/exit_io_string.h"
#include "guest/pc_firmware.h"
#include "dev/rtc.h"
#include "dev/i8042.h"
#include "dev/pci_config.h"
#include "vmx/exit_info.h"   /* io_qual_decode: the qualification (SDM 28.2.1, table 28-5) */
#include "guest/guest.h"
#include "exit/guest_line.h"
#include "exit/handlers.h"
#include "exit/port_io.h"
#include "mem/memory.h"
#include "poweroff.h"
#include "printf.h"
#include "string.h"
#include "exit/uart.h"
#include "guest/vm.h"
#include "exit/vm_acpi_pm.h"
#include "exit/vm_debugcon.h"
#include "exit/vm_cga.h"
#include "exit/vm_devices.h"
#include "exit/vm_interrupts.h"
#include "exit/vm_input.h"
#include "exit/vm_kbc.h"
#include "exit/vm_pci.h"
#include "exit/vm_rtc.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"
#include "x86io.h"

#define COM1_BASE     0x3F8
#define POWEROFF_PORT 0xF4

/* The interrupt masks the BIOS left in the machine's PICs, read before the
 * first guest runs: the machine's, for machine_devices_reset. */
static uint8_t bios_pic_mask[2];
static bool bios_pic_mask_read;

void exit_io_init(struct vm *vm, const struct hv_options *o)
{
    if (!bios_pic_mask_read) {
        bios_pic_mask[0] = inb(PIC_MASTER_DATA);
        bios_pic_mask[1] = inb(PIC_SLAVE_DATA);
        bios_pic_mask_read = true;
    }
    struct vm_devices *d = kmalloc(sizeof(*d));
    memset(d, 0, sizeof(*d));
    console_guest_init(&d->console, vm_tags(vm->id)->com1, vm->id);
    uart_init(&d->com1, console_guest_byte, &d->console);
    console_guest_init(&d->debugcon, vm_tags(vm->id)->debugcon, vm->id);
    pci_config_reset(&d->pci);
    i8042_reset(&d->kbc);
    d->virtual_pit_pic = o->devices == DEVICES_VIRTUAL;
    d->takes_input = vm->id == 0;
    d->timer_mode = o->timer_mode;
    d->tsc_run = o->tsc == TSC_RUN;
    vm->devices = d;
}

/* The machine's PICs and PIT as the BIOS left them, for the next VM: the
 * guests program the real chips until lab 4, and a VM must not start from
 * the previous one's programming, half-way through an initialisation its
 * own PIC filter knows nothing of, or with its timer. */
void machine_devices_reset(void)
{
    /* ICW1 (edge, cascade, ICW4 follows), ICW2 (vector base), ICW3 (the
     * slave on the master's line 2), ICW4 (8086 mode): Intel 8259A data
     * sheet, "Initialization Command Words"; then OCW1, the masks. */
    static const uint8_t master[] = { 0x11, 0x08, 0x04, 0x01 }, slave[] = { 0x11, 0x70, 0x02, 0x01 };
    for (unsigned i = 0; i < 4; i++) {
        outb(i ? PIC_MASTER_DATA : PIC_MASTER_CMD, master[i]);
        outb(i ? PIC_SLAVE_DATA : PIC_SLAVE_CMD, slave[i]);
    }
    outb(PIC_MASTER_DATA, bios_pic_mask[0]);
    outb(PIC_SLAVE_DATA, bios_pic_mask[1]);
    /* The PIT's counter 0: mode 3 (square wave), low then high byte, count
     * 0 = 65536: the BIOS's 18.2 Hz (Intel 8254 data sheet). */
    outb(0x43, 0x36);
    outb(0x40, 0);
    outb(0x40, 0);
}

/* A byte the guest reads from its PIC or PIT (dev/pic.h's ports and
 * dev/pit.h's, 0x61 among them, which exits only with devices=virtual):
 * the VM's models, or the machine's chips. */
static uint8_t pit_pic_read(struct vcpu *v, uint16_t port)
{
    struct vm_devices *d = v->vm->devices;
    if (!d->virtual_pit_pic)
        return inb(port);
    if (pic_handles_port(port))
        return pic_read(&d->pic, port);
    return pit_read(&d->pit, port, vm_clock_pit_at(&d->clock, rdtsc()));
}

/* A byte the guest writes to its PIC or PIT. With devices=machine it goes
 * to the machine's chip (Bochs 2.7's 8254 takes every byte a guest can
 * write: tests/kernels/hostile/attacks_devices.c tries them), unless the
 * PIC filter stops the guest instead. */
static void pit_pic_write(struct vcpu *v, uint16_t port, uint8_t value)
{
    struct vm_devices *d = v->vm->devices;
    if (d->virtual_pit_pic) {
        if (pic_handles_port(port)) {
            pic_write(&d->pic, port, value);
        } else {
            pit_write(&d->pit, port, value, vm_clock_pit_at(&d->clock, rdtsc()));
            vm_interrupts_pit_changed(v);
        }
        return;
    }
    if (pic_port(port)) {
        struct pic_decision dec = pic_filter_write(&d->pics, port, value);
        if (!dec.pass) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "%s (port 0x%x, value 0x%02x)", dec.why, port,
                       value);
            return;
        }
        value = dec.value;
    }
    outb(port, value);
}

static void report_unknown_port(struct vcpu *v, const struct io_qual *io)
{
    uint8_t *reported = v->vm->devices->reported_ports;
    if (reported[io->port / 8] & (1u << (io->port % 8)))
        return;
    reported[io->port / 8] |= (uint8_t)(1u << (io->port % 8));
    printf("hv: %sguest %s port 0x%x: no device there (reads give all ones, writes are "
           "dropped)\n", v->guest->tag, io->in ? "reads" : "writes", io->port);
}

_Static_assert(I8042_PORT_DATA == PC_PORTS_FIRST, "the lowest of the PC's other ports");

/* Routed by the port, the qualification decoded once: every I/O exit of
 * a devices=virtual guest to a port from PC_PORTS_FIRST up comes here
 * first (COM1's output), and what it costs each is charged to the guest's
 * time (lab 4's turns count it). Each device's own check then takes its
 * sizes. */

bool pc_port_exit(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    uint16_t port = io.port;
    if (io.string)
        return false;       /* handle_string_io brings each element back here */
    if (port >= PCI_PORT_ADDRESS && port < PCI_PORTS_END)
        return vm_pci_exit(v, &io);
    if (port == I8042_PORT_DATA || port == I8042_PORT_COMMAND)
        return vm_input_exit(v, &io) || vm_kbc_exit(v, &io);
    if (port >= COM1_BASE && port < COM1_BASE + 8)
        return vm_input_exit(v, &io);
    if (port == RTC_PORT_INDEX || port == RTC_PORT_DATA)
        return vm_rtc_exit(v, &io);
    if (port >= PC_PM1A_EVT && port < PC_PM1A_CNT + 2)
        return vm_acpi_pm_exit(v, &io);
    if (port == DEBUGCON_PORT)
        return vm_debugcon_exit(v, &io);
    if (vga_regs_port(port))
        return vm_cga_exit(v, &io);
    return false;
}

/* String I/O at ring 0 (a VM exit): each element one IN or OUT through
 * the same path as the instruction's (pc_ports_exit with devices=virtual,
 * then handle_io), a fault injected (exit_io_string.c). */
static void ring0_element(struct vcpu *v)
{
    if (!(vm_devices_virtual(v) && pc_ports_exit(v)))
        handle_io(v);
}

static void ring0_fault(struct vcpu *v, unsigned vector, uint32_t error)
{
    (void)v;
    inject_exception(vector, error);
}

void handle_string_io(struct vcpu *v)
{
    unsigned cpl = (unsigned)(vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3;   /* SS.DPL (SDM 25.4.1) */
    struct string_io_cpu cpu = { cpl, ring0_element, ring0_fault, NULL };
    string_io(v, &cpu);
}

/* LAB 1 BEGIN: emulate port I/O */
static uint32_t port_read(struct vcpu *v, const struct io_qual *io)
{
    if (io->port >= COM1_BASE && io->port < COM1_BASE + 8 && io->size == 1)
        return uart_read(&v->vm->devices->com1, io->port - COM1_BASE);
    if ((pic_handles_port(io->port) || pit_port(io->port)) && io->size == 1)
        return pit_pic_read(v, io->port);
    report_unknown_port(v, io);
    return 0xFFFFFFFF;
}

static void port_write(struct vcpu *v, const struct io_qual *io, uint32_t value)
{
    if (io->port >= COM1_BASE && io->port < COM1_BASE + 8 && io->size == 1) {
        uart_write(&v->vm->devices->com1, io->port - COM1_BASE, (uint8_t)value);
    } else if ((pic_handles_port(io->port) || pit_port(io->port)) && io->size == 1) {
        pit_pic_write(v, io->port, (uint8_t)value);
    } else if (io->port == POWEROFF_PORT) {
        /* The guest's own decision, whatever the status, not a fault: no
         * register dump (guest_stop gives one for every non-zero status).
         * The verdict says only success or failure: statuses 3 (panic) and
         * 4 (guest stopped) are the hypervisor's words, not the guest's. */
        printf("hv: %sguest stopped: it powered off with status %u\n", v->guest->tag, value & 0xFF);
        v->stopped = true;
        v->stop_status = (value & 0xFF) ? POWEROFF_FAIL : POWEROFF_OK;
    } else {
        report_unknown_port(v, io);
    }
}

void handle_io(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (io.string) {
        handle_string_io(v);    /* given: each element one IN or OUT, through here */
        return;
    }
    if (io.in)
        io_in_result(v, &io, port_read(v, &io));     /* into AL, AX or EAX (port_io.h) */
    else
        port_write(v, &io, io_out_value(v, &io));
    advance_rip(v);
}
/* LAB 1 END */
