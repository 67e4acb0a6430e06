/*
 * evtchn.c: event_channel_op and set_callbacks (see evtchn.h).
 */
#include "pv/evtchn.h"
#include "pv/guest_copy.h"
#include "pv/pv_console.h"
#include "pv/pv_domain.h"

static int32_t bind_virq(struct vcpu *v, uint32_t arg)
{
    struct pv_domain *pv = pv_of(v);
    struct pv_evtchn_bind_virq b;
    if (copy_from_guest(v, &b, arg, sizeof(b)))
        return -PV_EFAULT;
    /* The port's field must be writable before anything is bound: a failed
     * call changes nothing (lib/pv_abi.h section 2). The same bytes back. */
    uint32_t at = arg + (uint32_t)offsetof(struct pv_evtchn_bind_virq, port);
    if (copy_to_guest(v, at, &b.port, sizeof(b.port)))
        return -PV_EFAULT;
    uint32_t port;
    int r = evtchn_bind_virq(&pv->evtchn, b.virq, b.vcpu, &port);
    if (r)
        return r;
    copy_to_guest(v, at, &port, sizeof(port));   /* writable: just tried, and no guest ran since */
    return 0;
}

int32_t pv_event_channel_op(struct vcpu *v, const uint32_t *args)
{
    struct pv_domain *pv = pv_of(v);
    uint32_t cmd = args[0], arg = args[1];
    if (cmd == PV_EVTCHNOP_bind_virq)
        return bind_virq(v, arg);
    if (cmd != PV_EVTCHNOP_close && cmd != PV_EVTCHNOP_send && cmd != PV_EVTCHNOP_unmask)
        return -PV_ENOSYS;
    struct pv_evtchn_port p;
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -PV_EFAULT;
    switch (cmd) {
    case PV_EVTCHNOP_close:
        return evtchn_close(&pv->evtchn, p.port);
    case PV_EVTCHNOP_unmask:
        return evtchn_unmask(&pv->evtchn, p.port);
    default: {
        int r = evtchn_send(&pv->evtchn, p.port);
        if (r == EVTCHN_CONSOLE)
            pv_console_drain(v);
        return r < 0 ? r : 0;
    }
    }
}

int32_t pv_set_callbacks(struct vcpu *v, const uint32_t *args)
{
    return evtchn_set_callback(&pv_of(v)->evtchn, args[0]);
}
