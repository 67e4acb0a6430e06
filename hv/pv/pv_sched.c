/*
 * pv_sched.c: sched_op (lib/pv_abi.h section 9; 64-bit, VMX root): yield,
 * block and shutdown, a PV kernel's HLT, its turn given up and its
 * power-off as hypercalls.
 */
#include "exit/vm_interrupts.h"
#include "exit/vm_reset.h"
#include "guest/guest.h"
#include "pv/guest_copy.h"
#include "pv/pv_sched.h"
#include "pv/pv_check.h"
#include "pv/pv_domain.h"
#include "pv/pv_events.h"
#include "poweroff.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* shutdown: the VM ends, as its power-off port 0xF4 ends it (exit_io.c):
 * poweroff with its status (the guest's own decision: no register dump),
 * reboot as a reset (the hypervisor restarts no guest), crash as a failure
 * the guest reports itself. */
static int32_t shutdown(struct vcpu *v, uint32_t arg)
{
    struct pv_sched_shutdown s;
    if (copy_from_guest(v, &s, arg, sizeof(s)))
        return -PV_EFAULT;
    switch (s.reason) {
    case PV_SHUTDOWN_poweroff:
        printf("hv: %sguest stopped: it powered off with status %u\n", v->guest->tag, s.status & 0xFF);
        v->stopped = true;
        v->stop_status = (s.status & 0xFF) ? POWEROFF_FAIL : POWEROFF_OK;
        pv_check_at_shutdown(v);
        return 0;
    case PV_SHUTDOWN_reboot:
        vm_reset_requested(v, "sched_op shutdown reboot");
        return 0;
    case PV_SHUTDOWN_crash:
        guest_stop(v, POWEROFF_FAIL, "it crashed (sched_op shutdown crash)");
        return 0;
    default:
        return -PV_EINVAL;
    }
}

/* block: clear the guest's upcall mask, and sleep until an event is
 * pending, as HLT with interrupts on waits for an interrupt (exit_hlt.c):
 * RIP past the VMCALL, the CPU in the HLT activity state (SDM 25.4.2),
 * which the upcall's injection ends. An event pending already returns at
 * once; a block no event can ever end (no source bound that can still
 * fire) stops the guest with the reason, as a HLT nothing can wake does.
 * Not inside a multicall: the wait would come before the rest of the list. */
static int32_t block(struct vcpu *v)
{
    if (pv_of(v)->multicall_depth)
        return -PV_EINVAL;
    if (pv_events_unmask_and_test(v))
        return 0;
    if (!pv_event_can_come(v)) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it blocked (sched_op block at 0x%lx) with no event "
                   "channel that could ever fire, so nothing could ever wake it", v->rip);
        return 0;
    }
    v->regs.rax = 0;
    advance_rip(v);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
    return 0;
}

int32_t pv_sched_op(struct vcpu *v, const uint32_t *args)
{
    switch (args[0]) {
    case PV_SCHEDOP_yield:
        vm_interrupts_end_turn(v);
        return 0;
    case PV_SCHEDOP_block:
        return block(v);
    case PV_SCHEDOP_shutdown:
        return shutdown(v, args[1]);
    default:
        return -PV_EINVAL;
    }
}
