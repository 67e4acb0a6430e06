/*
 * pv_events.c: the event channels' side of sched_op block (pv_events.h),
 * until the event channels exist (branch pvevents): the shared-info page's
 * mask and pending flag, and no source that could fire.
 */
#include "pv/pv_events.h"
#include "guest/guest.h"
#include "pv/pv_domain.h"

bool pv_events_unmask_and_test(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    struct pv_shared_info *s = guest_ptr(v->guest, (uint64_t)pv->shared_info_mfn * PV_PAGE_SIZE,
                                         sizeof(*s));
    if (!s)
        return false;
    s->vcpu_info[0].evtchn_upcall_mask = 0;
    return s->vcpu_info[0].evtchn_upcall_pending != 0;
}

/* No event channel can be bound yet (event_channel_op is -PV_ENOSYS). */
bool pv_event_can_come(const struct vcpu *v)
{
    (void)v;
    return false;
}
