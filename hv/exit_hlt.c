/*
 * exit_hlt.c: HLT (64-bit, VMX root operation).
 *
 * A guest halts to wait for an interrupt. Until the timer lab the guest's
 * interrupts come straight from the real PIC through its own IDT, so the
 * hypervisor lets the guest's CPU wait in the HLT activity state (SDM vol. 3,
 * 25.4.2 "Guest Non-Register State"): the next interrupt wakes it, without
 * any further exit. A guest that halts with interrupts off would wait
 * forever: the hypervisor stops it and says so instead.
 */
#include "exit.h"
#include "poweroff.h"
#include "vmcs.h"
#include "x86.h"

#define ACTIVITY_HLT 1

/* LAB 1 BEGIN: HLT */
void handle_hlt(struct vcpu *v)
{
    if (!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it halted with interrupts off (HLT at 0x%llx), "
                   "so nothing could ever wake it", (unsigned long long)v->rip);
        return;
    }
    advance_rip(v);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
}
/* LAB 1 END */
