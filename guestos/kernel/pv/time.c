/*
 * time.c: the PV kernel's clock (lib/pv_abi.h section 6): instead of the
 * PIT's or the APIC's periodic interrupt, the hypervisor's periodic timer
 * (vcpu_op set_periodic_timer), a VIRQ_TIMER event TICK_HZ times a second,
 * each a period after the last was due (ticks missed are lost, as the
 * PIT's). Each event is a tick of timer.c, as IRQ 0 is natively. (A
 * one-shot set_timer_op set again at each tick cost an exit a tick.)
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"

#define TICK_NS (1000000000ull / TICK_HZ)

static void timer_event(void) { handle_tick(); }

void init_pv_timer(void)
{
    bind_virq(PV_VIRQ_TIMER, timer_event);
    struct pv_vcpu_set_periodic_timer period = {TICK_NS};
    int32_t r = hypercall3(PV_vcpu_op, PV_VCPUOP_set_periodic_timer, 0, &period);
    if (r < 0)
        panic("pv: vcpu_op set_periodic_timer(%llu ns) failed: %d", period.period_ns, r);
}
