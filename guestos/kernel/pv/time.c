/*
 * time.c: the PV kernel's clock (lib/pv_abi.h section 6): instead of the
 * PIT's or the APIC's periodic interrupt, a one-shot set_timer_op deadline
 * in system time, set again at each VIRQ_TIMER event, TICK_HZ times a
 * second. Each event is a tick of timer.c, as IRQ 0 is natively.
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"

#define TICK_NS (1000000000ull / TICK_HZ)

static uint64_t next_tick;

/* Nanoseconds since the VM started: the hypervisor's record, moved on by
 * the TSC since it was written, read inside its version loop. */
static uint64_t system_time(void)
{
    const volatile struct pv_vcpu_time_info *t = &pv_vcpu->time;
    uint32_t version, mul;
    uint64_t base, stamp;
    int8_t shift;
    do {
        version = t->version;
        __asm__ volatile("" : : : "memory");
        base = t->system_time, stamp = t->tsc_timestamp;
        mul = t->tsc_to_system_mul, shift = t->tsc_shift;
        __asm__ volatile("" : : : "memory");
    } while ((version & 1) || version != t->version);
    uint64_t delta = rdtsc() - stamp;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    /* (delta * mul) >> 32 without a 96-bit product */
    return base + ((delta & 0xFFFFFFFF) * mul >> 32) + (delta >> 32) * mul;
}

static void set_timer(uint64_t deadline)
{
    int32_t r = hypercall2(PV_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32));
    if (r < 0)
        panic("pv: set_timer_op(%llu) failed: %d", deadline, r);
}

/* A tick; the next one a period after this one was due, or a period from
 * now if the VM was away longer (ticks missed are lost, as the PIT's). */
static void timer_event(void)
{
    handle_tick();
    uint64_t now = system_time();
    next_tick += TICK_NS;
    if ((int64_t)(next_tick - now) <= 0)
        next_tick = now + TICK_NS;
    set_timer(next_tick);
}

void init_pv_timer(void)
{
    bind_virq(PV_VIRQ_TIMER, timer_event);
    next_tick = system_time() + TICK_NS;
    set_timer(next_tick);
}
