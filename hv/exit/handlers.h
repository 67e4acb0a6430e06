/*
 * handlers.h: the exit handlers, one per exit reason or family (64-bit, VMX
 * root operation), each in its exit_*.c file. Each either completes the
 * instruction (advance_rip), injects an event, or stops the guest (vcpu.h).
 *
 * A header of their own, apart from the dispatcher's (exit.h): their callers
 * are the dispatcher (exit.c) and depriv's emulation, which reuses them for
 * what faulted at ring 1 (handle_io, handle_rdmsr/wrmsr, handle_invlpg, ...);
 * neither should need the other's header. One header, not one per family:
 * the handlers are the same kind of function, and a student finds the whole
 * list of what the dispatcher's switch can call on one screen.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"
#include "vmx/exit_info.h"

struct vm;

void handle_cpuid(struct vcpu *v);             /* exit_cpuid.c */
void handle_io(struct vcpu *v);                /* exit_io.c */
void handle_string_io(struct vcpu *v);         /* INS, OUTS: handle_io's string case (exit_io.c,
                                                  exit_io_string.c) */
struct hv_options;
void exit_io_init(struct vm *vm, const struct hv_options *o);  /* its devices (vm->devices) */
void machine_devices_reset(void);              /* the machine's PICs and PIT as the BIOS left them,
                                                  for the next VM (exit_io.c) */
void handle_rdmsr(struct vcpu *v);             /* exit_msr.c */
void handle_wrmsr(struct vcpu *v);
void handle_cr_access(struct vcpu *v);         /* exit_cr.c */
void handle_cr_access_shadow(struct vcpu *v);  /* (lab 2, mem=shadow) */
void shadow_write_cr0(struct vcpu *v, uint64_t value);   /* its MOV to CR0, for lab 3 */
void handle_hlt(struct vcpu *v);               /* exit_hlt.c */
/* The PC's ports a VM has with devices=virtual beside its timer's and
 * COM1 (exit_io.c, given): ACPI's PM1 registers (vm_acpi_pm.h), the
 * CMOS clock (vm_rtc.h), the VGA's text-mode ports (vm_cga.h), port 0xE9
 * (vm_debugcon.h), PCI's configuration ports (vm_pci.h), the
 * keyboard controller (vm_kbc.h), and COM1 with its receiver, for console
 * input (vm_input.h). True if the I/O exit was theirs, emulated. Inline
 * as far as the ports below theirs (the master PIC's and the PIT's: the
 * EOI of every timer tick), which pay for no call. */
#define PC_PORTS_FIRST 0x60            /* the lowest of them: the keyboard controller's data */
bool pc_port_exit(struct vcpu *v);
static inline bool pc_ports_exit(struct vcpu *v)
{
    return io_qual_decode(v->exit_qualification).port >= PC_PORTS_FIRST && pc_port_exit(v);
}
/* A HLT nothing can ever end (exit_hlt.c, given; lab 1's handle_hlt and lab
 * 3's emulated HLT use them): can an interrupt still reach the guest's CPU
 * through the PICs' masks, and stopping the guest with the reason, IF off
 * (interrupts_on false) or every line masked. */
bool an_interrupt_line_is_open(const struct vcpu *v);
void stop_endless_halt(struct vcpu *v, bool interrupts_on);
/* With devices=virtual a lone VM's HLT need not exit (vm_interrupts.c): at
 * the exit that ends its wait, a guest halted for ever is stopped. */
void halted_without_exit(struct vcpu *v);
/* And a HLT with interrupts off that an NMI can end waits for it: true if
 * it does (exit_hlt.c, for the HLT exits of devices=virtual). */
bool halt_for_an_nmi(struct vcpu *v);
void handle_exception_or_nmi(struct vcpu *v);  /* exit_exception.c */
void handle_vmx_instruction(struct vcpu *v);
void handle_triple_fault(struct vcpu *v);      /* exit_guest_fault.c */
void handle_invd(struct vcpu *v);              /* exit_unconditional.c */
void handle_unsupported_instruction(struct vcpu *v);
void handle_task_switch(struct vcpu *v);
void handle_ept_violation(struct vcpu *v);     /* exit_guest_fault.c */
void handle_shadow_page_fault(struct vcpu *v); /* exit_pf.c (lab 2, mem=shadow) */
/* An exit that interrupted the delivery of an event (its IDT-vectoring
 * information, SDM 28.2.4): the event delivered again at the next entry
 * (exit_pf.c, lab 2; async_pf.c's page-ins too). */
void redeliver(struct event_info idt);
void handle_invlpg(struct vcpu *v);
/* INVLPG in every address space's shadow that bt=1 keeps (shadow_spaces.h),
 * else handle_invlpg (exit_pf.c). */
void handle_invlpg_spaces(struct vcpu *v);
