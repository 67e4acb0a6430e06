/*
 * exit_guest_fault.c: a guest that breaks (64-bit, VMX root operation).
 *
 * The hypervisor contains a misbehaving guest: it stops the guest, reports
 * what happened with the guest's state and the last exits, and lives on to
 * print its statistics and power off with status 4 (POWEROFF_GUEST_STOPPED).
 */
#include "vmx/exit_info.h"
#include "exit/handlers.h"
#include "guest/guest.h"
#include "poweroff.h"
#include "vmx/vmcs.h"

/* LAB 1 BEGIN: contain a guest that breaks */
void handle_triple_fault(struct vcpu *v)
{
    /* A triple fault exits instead of shutting the CPU down (SDM 26.2). */
    guest_stop(v, POWEROFF_GUEST_STOPPED, "triple fault (an exception while delivering a "
               "double fault): the guest's CPU would have shut down");
}

void handle_ept_violation(struct vcpu *v)
{
    /* The qualification says what access it was (SDM 28.2.1, table 28-7). */
    struct ept_qual e = ept_qual_decode(v->exit_qualification);
    uint64_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
    guest_stop(v, POWEROFF_GUEST_STOPPED, "EPT violation: it %s guest-physical 0x%lx "
               "(linear 0x%lx%s), outside its %lu MiB of RAM", ept_access_verb(e),
               gpa, vmcs_read(VMCS_GUEST_LINEAR_ADDRESS),
               e.linear_valid ? "" : ", not valid", v->guest->ram_size >> 20);
}
/* LAB 1 END */
