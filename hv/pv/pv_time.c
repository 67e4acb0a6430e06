/*
 * pv_time.c: a PV guest's time (see pv_time.h).
 *
 * System time is the guest's TSC since the VM's start, in ns, by the scale
 * the record publishes (pv/pv_time_scale.c): so it runs as the guest's TSC
 * runs, with wall time (tsc=wall) or only while the VM runs (tsc=run: the
 * VMCS's TSC offset holds the guest's TSC still while others run, lab 4),
 * and the guest's reading of the record and the hypervisor's timers agree
 * to the nanosecond. The record is rewritten before each VM entry, while
 * the guest does not run; a reader between two rewrites adds its own
 * TSC's ticks since tsc_timestamp.
 */
#include "pv/pv_time.h"
#include "exit/vm_devices.h"
#include "pv/guest_copy.h"
#include "pv/pv_domain.h"
#include "pv_abi.h"
#include "x86/x86.h"

uint64_t pv_guest_tsc(const struct vcpu *v)
{
    return rdtsc() + (uint64_t)v->vm->devices->tsc_offset;
}

uint64_t pv_system_time(const struct vcpu *v, uint64_t guest_tsc)
{
    const struct pv_domain *pv = pv_of(v);
    return guest_tsc > pv->time0_tsc ? pv_time_ns(pv->time_scale, guest_tsc - pv->time0_tsc) : 0;
}

uint64_t pv_time_guest_tsc_at(const struct vcpu *v, uint64_t ns)
{
    const struct pv_domain *pv = pv_of(v);
    if (ns > UINT64_MAX - PV_TIME_MAX_LAG_NS)
        return UINT64_MAX;
    uint64_t ticks = pv_time_ticks_for(pv->time_scale, ns + PV_TIME_MAX_LAG_NS);
    return ticks >= UINT64_MAX - pv->time0_tsc ? UINT64_MAX : pv->time0_tsc + ticks;
}

static void write_record(struct vcpu *v, uint64_t guest_tsc)
{
    struct pv_domain *pv = pv_of(v);
    pv_time_write(&pv->shared->vcpu_info[0].time, pv->time_scale, guest_tsc, pv_system_time(v, guest_tsc));
}

void pv_time_start(struct vcpu *v, uint64_t tsc_hz)
{
    struct pv_domain *pv = pv_of(v);
    struct pv_shared_info *s = pv->shared;
    pv->time_scale = pv_time_scale_for(tsc_hz);
    pv->time0_tsc = pv_guest_tsc(v);
    pv->timer_tsc = pv->periodic_tsc = UINT64_MAX;
    write_record(v, pv->time0_tsc);
    /* The wall clock at system time 0, in its own version loop (Xen's
     * wc_version): the machine's date when the VM's clock began. */
    uint32_t odd = pv_version_begin(&s->wc_version);
    int64_t sec = v->vm->devices->rtc_start_seconds;
    s->wc_sec = sec > 0 ? (uint32_t)sec : 0;
    s->wc_nsec = 0;
    pv_version_end(&s->wc_version, odd);
}

/* The periodic timer's next event: a period after the last was due, or
 * a period from now if the VM was away longer (pv_abi.h section 6). */
static void periodic_from(struct vcpu *v, uint64_t now_ns)
{
    struct pv_domain *pv = pv_of(v);
    pv->periodic_next_ns += pv->periodic_ns;
    if (pv->periodic_next_ns <= now_ns)
        pv->periodic_next_ns = now_ns + pv->periodic_ns;
    pv->periodic_tsc = pv_time_guest_tsc_at(v, pv->periodic_next_ns);
}

void pv_time_before_entry(struct vcpu *v, uint64_t guest_tsc)
{
    struct pv_domain *pv = pv_of(v);
    if (guest_tsc >= pv->timer_tsc) {
        pv->timer_tsc = UINT64_MAX;          /* one-shot */
        evtchn_raise_virq(&pv->evtchn, PV_VIRQ_TIMER);
    }
    if (guest_tsc >= pv->periodic_tsc) {
        periodic_from(v, pv_system_time(v, guest_tsc));
        evtchn_raise_virq(&pv->evtchn, PV_VIRQ_TIMER);
    }
    write_record(v, guest_tsc);
}

uint64_t pv_time_next_event(const struct vcpu *v)
{
    const struct pv_domain *pv = pv_of(v);
    return pv->timer_tsc < pv->periodic_tsc ? pv->timer_tsc : pv->periodic_tsc;
}

int32_t pv_set_timer_op(struct vcpu *v, const uint32_t *args)
{
    uint64_t deadline = args[0] | (uint64_t)args[1] << 32;
    pv_of(v)->timer_tsc = deadline ? pv_time_guest_tsc_at(v, deadline) : UINT64_MAX;
    return 0;
}

/* vcpu_op(cmd, vcpu, arg *): Xen's periodic timer, the only commands here
 * (pv_abi.h section 6). Its period has a floor, or a guest could keep the
 * hypervisor raising events and nothing else. */
int32_t pv_vcpu_op(struct vcpu *v, const uint32_t *args)
{
    struct pv_domain *pv = pv_of(v);
    uint32_t cmd = args[0], vcpu = args[1], arg = args[2];
    if (cmd != PV_VCPUOP_set_periodic_timer && cmd != PV_VCPUOP_stop_periodic_timer)
        return -PV_ENOSYS;
    if (vcpu != 0)
        return -PV_ENOENT;
    if (cmd == PV_VCPUOP_stop_periodic_timer) {
        pv->periodic_ns = 0;
        pv->periodic_tsc = UINT64_MAX;
        return 0;
    }
    struct pv_vcpu_set_periodic_timer set;
    if (copy_from_guest(v, &set, arg, sizeof(set)))
        return -PV_EFAULT;
    if (set.period_ns < PV_PERIODIC_MIN_NS || set.period_ns > PV_PERIODIC_MAX_NS)
        return -PV_EINVAL;
    pv->periodic_ns = set.period_ns;
    pv->periodic_next_ns = pv_system_time(v, pv_guest_tsc(v));
    periodic_from(v, pv->periodic_next_ns);
    return 0;
}
