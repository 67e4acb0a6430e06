/*
 * vm_interrupts.h: a VM's interrupts under devices=virtual (lab 4; 64-bit,
 * VMX root operation): its PIT's OUT0 drives IRQ 0 of its PIC, and its
 * PIC's INTR reaches its vCPU by event injection. See vm_interrupts.c.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"
#include "vmx/vmx_caps.h"

/* What devices=virtual needs that the CPU's VMX lacks (the VMX-preemption
 * timer, TSC offsetting), named, or NULL; vm_interrupts_require panics
 * with it. Before VMXON, with the other checks of the options. */
const char *vm_interrupts_lacks(const struct vmx_caps *caps);
void vm_interrupts_require(const struct vmx_caps *caps);

/* The VM's time starts now: its PIT and PIC as a PC's BIOS leaves them, the
 * machine's own PICs masked for good, the VMX-preemption timer armed. At
 * the VM's first VM entry (main.c's prepare_to_run). debugged: gdb= is on,
 * and every HLT of the guest exits. */
void vm_interrupts_start(struct vcpu *v, uint64_t tsc_hz, bool debugged);

/* Before each VM entry of a guest at ring 0 (cpu=hvm): the devices brought
 * to now, the local APIC's NMI or the PIC's or APIC's interrupt injected if
 * the guest can take it (else the NMI or interrupt window asked for), the
 * timer armed for the next tick. */
void vm_interrupts_before_entry(struct vcpu *v);

/* For cpu=deprivileged, whose delivery is in software (depriv_deliver.c):
 * the devices brought to now, and the vector the PIC gives an INTA cycle
 * (-1: none asked for) when the guest's virtual IF is 1; the timer armed. */
int vm_interrupts_take(struct vcpu *v, bool guest_if);

/* After vm_interrupts_take with the guest's IF 0: an interrupt waits for
 * it to go to 1 (bt=1's translations then exit where they set it: the
 * page's `pending`, depriv_bt.c). */
bool vm_interrupts_wait_for_if(const struct vcpu *v);

/* And its NMI: whether one is taken now (its local APIC latched one, the
 * guest is not `blocked` in the handler of its last, and no hold of the
 * guest's own time is on; `just_unblocked`: this exit's IRET ended that
 * handler). The caller delivers it, and blocks NMIs until the next IRET. */
bool vm_interrupts_take_nmi(struct vcpu *v, bool blocked, bool just_unblocked);

/* An exception or EPT violation exit: the guest's blocking of NMIs made
 * right for the VM entry, when the exit came in the middle of an NMI's
 * delivery (cleared: it is delivered again) or of an IRET that had lifted
 * it (set again: SDM 28.2.3). */
void vm_interrupts_nmi_blocking_after_fault(const struct vcpu *v);

/* The machine's NMI exited: it is the VM's local APIC's NMI now. */
void vm_interrupts_machine_nmi(struct vcpu *v);

/* The last thing before a deprivileged guest's VM entry: the guest's own
 * time between two interrupts, if vm_interrupts_take asked for it, starts
 * now (vm_interrupts.c). */
void vm_interrupts_before_depriv_entry(struct vcpu *v);

/* Several VMs on one CPU (sched.c). The scheduler gives the VM its turn
 * from now (its TSC) until end_tsc (the preemption timer ends it): the
 * ticks of the time it was kept from running are its policy's, and with
 * timer_mode=delay its time, with tsc=run its TSC, stands still for that
 * time. Before each VM entry the VM yields (v->yield) when its turn is
 * over, or when it waits (halted, with nothing to deliver), until its next
 * event; vm_interrupts_left_at is when its last turn ended: the TSC of
 * its devices' last look. */
void vm_interrupts_set_quantum(struct vcpu *v, uint64_t now, uint64_t end_tsc);
void vm_interrupts_schedule(struct vcpu *v, bool halted);
bool vm_interrupts_waiting(const struct vcpu *v);
/* Another VM gave this waiting one something to take (a PV event between
 * VMs): it can run at its next turn, not only at its next timer event. */
void vm_interrupts_wake(struct vcpu *v);
/* The VM gives up the rest of its turn (a PV guest's sched_op yield): it
 * yields before its next VM entry, if another VM shares the CPU. */
void vm_interrupts_end_turn(struct vcpu *v);
uint64_t vm_interrupts_left_at(const struct vcpu *v);
/* The TSC of the VM's next event: 0 (now) if an NMI is pending, its PIC
 * or APIC asks for the CPU or a tick is owed, else its next timer event,
 * or UINT64_MAX. */
uint64_t vm_interrupts_next_event(const struct vcpu *v);

/* The debugger held the VM for `ticks` TSC ticks: its PIT's time stood
 * still meanwhile (as QEMU stops its virtual clock while the VM is
 * stopped), so no tick of that time is owed to it, and its TSC too (the
 * TSC offset), so that its APIC timer and its own measures agree. */
void vm_interrupts_hold_time(struct vcpu *v, uint64_t ticks);

/* A guest port write changed the PIT: its next tick is to be found again. */
void vm_interrupts_pit_changed(struct vcpu *v);

/* "hv: devices: 312 ticks of IRQ 0 (OUT0's rising edges), 298 interrupts
 * injected", once the VM has ended: nothing with devices=machine. */
void vm_interrupts_print_stats(const struct vcpu *v);

/* Whether the VM's PIT and PIC are the hypervisor's models (devices=virtual). */
bool vm_devices_virtual(const struct vcpu *v);

/* Whether an interrupt can still reach the guest's CPU: its PIC asks for
 * the CPU already, or IRQ 0 is open and the PIT's counter 0 will tick
 * again, or its APIC timer, its clock, typed input, or a PV guest's timer
 * event will come. */
bool vm_interrupt_can_come(const struct vcpu *v);

/* Whether an NMI can still reach it, which IF does not hold back: one is
 * latched already, or IRQ 0's I/O APIC pin sends NMIs and the PIT's
 * counter 0 will tick again (the NMI watchdog of old Linux kernels). */
bool vm_nmi_can_come(const struct vcpu *v);

/* The interrupt masks (IMR) of the VM's PIC pair: master, slave. */
void vm_pic_masks(const struct vcpu *v, uint8_t *master, uint8_t *slave);
