/*
 * depriv_halt.c: a guest kernel at ring 1 that halts waits in the HLT
 * activity state (64-bit, VMX root; cpu=deprivileged, depriv.h).
 *
 * Its HLT faults at ring 1 and is emulated (depriv_emulate.c): the guest
 * waits at the HLT until an interrupt is delivered past it. Run again at
 * every VM entry, that HLT would fault again at once, an exit each time,
 * and a halted VM would keep the CPU busy. A VMX guest waits in the HLT
 * activity state instead (exit_hlt.c), but VM entry refuses that state
 * unless SS.DPL is 0 (SDM 27.3.1.5), and this guest's SS is a ring-1
 * segment. A halted CPU runs no instruction, though, so nothing reads
 * its CPL until it wakes: while it waits, its CS and SS are parked at
 * ring 0 in the VMCS, selectors with RPL 0 and access rights with DPL 0
 * (SS.DPL = SS.RPL = CS.RPL = CS.DPL, as 27.3.1.2 wants without
 * unrestricted guest). The CPU then waits in VMX non-root operation until
 * an exit wakes it: the VMX-preemption timer armed for the VM's next timer
 * event (devices=virtual; Bochs counts it down in HLT too, SDM 26.5.1), or
 * an external interrupt (devices=machine: they exit). That exit puts CS
 * and SS back before anything else looks at the guest.
 *
 * The HLT that STI or MOV SS just before it shadowed has run (emulated):
 * the CPU waits in it, and interrupts reach it there, so that blocking is
 * over, and it must be, for the HLT state (27.3.1.5). Not parked: a guest
 * the debugger watches (exit.c does not ask then: gdb's stops and steps
 * read the guest's CS), one single-stepping (TF) or with an event to inject (the HLT state
 * takes neither its trap nor every event: 27.3.1.5), and a VM that gives
 * the CPU to another (vms=2): its next turn may come long after this
 * timer value was worked out, so it runs its HLT again then, and the
 * devices look at its time first.
 */
#include "depriv/depriv.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

#define AR_DPL_MASK (3u << 5)       /* access rights bits 6:5 (SDM 25.4.1, table 25-2) */

void depriv_park_if_halted(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    if (!dp->halted_at || v->stopped || v->yield ||
        (uint32_t)vmcs_read(VMCS_GUEST_RIP) != dp->halted_at ||
        (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF) ||
        (vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO) & INFO_VALID))
        return;
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)(BLOCKING_STI | BLOCKING_MOV_SS));
    dp->parked_cs = (uint16_t)vmcs_read(VMCS_GUEST_CS_SELECTOR);
    dp->parked_ss = (uint16_t)vmcs_read(VMCS_GUEST_SS_SELECTOR);
    dp->parked_cs_ar = (uint32_t)vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);
    dp->parked_ss_ar = (uint32_t)vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS);
    vmcs_write(VMCS_GUEST_CS_SELECTOR, dp->parked_cs & ~3u);
    vmcs_write(VMCS_GUEST_SS_SELECTOR, dp->parked_ss & ~3u);
    vmcs_write(VMCS_GUEST_CS_ACCESS_RIGHTS, dp->parked_cs_ar & ~AR_DPL_MASK);
    vmcs_write(VMCS_GUEST_SS_ACCESS_RIGHTS, dp->parked_ss_ar & ~AR_DPL_MASK);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
    dp->parked = true;
    dp->parked_entries++;
}

void depriv_unpark(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    if (!dp->parked)
        return;
    vmcs_write(VMCS_GUEST_CS_SELECTOR, dp->parked_cs);
    vmcs_write(VMCS_GUEST_SS_SELECTOR, dp->parked_ss);
    vmcs_write(VMCS_GUEST_CS_ACCESS_RIGHTS, dp->parked_cs_ar);
    vmcs_write(VMCS_GUEST_SS_ACCESS_RIGHTS, dp->parked_ss_ar);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    dp->parked = false;
}
