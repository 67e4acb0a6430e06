/*
 * lapic_timer.c: the local APIC timer counted from the caller's time (a pure
 * module: any mode, the host unit tests and the fuzzer). lapic_timer.h says
 * what it models; SDM vol. 3, 11.5.4 "APIC Timer" is the reference.
 *
 * The state is a count at a time: the counter held base_count at base_time
 * and loses one every `tick` TSC cycles from then on. It reaches zero at
 * base_time + base_count * tick; a periodic timer then starts again from the
 * initial count, every initial * tick cycles. Every quantity is computed
 * from the time elapsed since base_time, never from an absolute end time,
 * so that no sum passes 2^64 however late `now` is.
 */
#include "lapic_timer.h"

/* Figure 11-10 "Divide Configuration Register": bits 3, 1, 0 give the
 * divider; 111b is 1, and n = 000b..110b is 2^(n+1). */
uint32_t lapic_timer_divider(uint32_t divide_config)
{
    uint32_t n = ((divide_config >> 1) & 4) | (divide_config & 3);
    return n == 7 ? 1 : 2u << n;
}

static uint64_t tick_of(uint32_t divide_config, uint32_t bus_period)
{
    return (uint64_t)lapic_timer_divider(divide_config) * bus_period;
}

void lapic_reset_timer(struct lapic_timer *t, uint32_t bus_period)
{
    if (bus_period == 0)
        bus_period = 1;           /* never a zero tick: it divides */
    if (bus_period > LAPIC_BUS_PERIOD_MAX)
        bus_period = LAPIC_BUS_PERIOD_MAX;
    *t = (struct lapic_timer){ .mode = LAPIC_TIMER_ONESHOT, .bus_period = bus_period };
    t->tick = tick_of(0, bus_period);
}

static bool counting(const struct lapic_timer *t)
{
    return t->armed && t->mode != LAPIC_TIMER_TSC_DEADLINE;
}

/* TSC cycles from base_time until the count reaches zero: at most
 * (2^32 - 1) * 128 * 2^24 < 2^63. */
static uint64_t time_to_zero(const struct lapic_timer *t)
{
    return (uint64_t)t->base_count * t->tick;
}

uint64_t lapic_run_timer(struct lapic_timer *t, uint64_t now)
{
    if (!t->armed)
        return 0;
    if (t->mode == LAPIC_TIMER_TSC_DEADLINE) {
        /* "An interrupt is generated when the logical processor's time-stamp
         * counter equals or exceeds the target value ... When the timer
         * generates an interrupt, it disarms itself and clears the
         * IA32_TSC_DEADLINE MSR" (11.5.4.1). */
        if (now < t->deadline)
            return 0;
        t->armed = false;
        t->deadline = 0;
        return 1;
    }
    uint64_t elapsed = now - t->base_time;
    uint64_t span = time_to_zero(t);
    if (elapsed < span)
        return 0;
    if (t->mode == LAPIC_TIMER_ONESHOT) {
        t->armed = false;         /* the count stays at zero (11.5.4) */
        return 1;
    }
    /* Periodic: "the current-count register is automatically reloaded from
     * the initial-count register when the count reaches 0" (11.5.4). After
     * the first zero, one more every full period. */
    uint64_t period = (uint64_t)t->initial * t->tick;
    uint64_t periods = (elapsed - span) / period;
    t->base_time += span + periods * period;
    t->base_count = t->initial;
    return 1 + periods;
}

void lapic_set_timer_mode(struct lapic_timer *t, enum lapic_timer_mode mode)
{
    if (mode == t->mode)
        return;
    /* "A write to the LVT Timer Register that changes the timer mode disarms
     * the local APIC timer" (11.5.4.1); the deadline goes with it. */
    t->mode = mode;
    t->armed = false;
    t->deadline = 0;
}

void lapic_start_timer(struct lapic_timer *t, uint32_t value, uint64_t now)
{
    /* "In TSC-deadline mode, writes to the initial-count register are
     * ignored" (11.5.4.1). */
    if (t->mode == LAPIC_TIMER_TSC_DEADLINE)
        return;
    /* "A write of 0 to the initial-count register effectively stops the
     * local APIC timer"; any other value starts the count again (11.5.4). */
    t->initial = value;
    t->armed = value != 0;
    t->base_count = value;
    t->base_time = now;
}

void lapic_set_timer_divide(struct lapic_timer *t, uint32_t value, uint64_t now)
{
    /* The count goes on from its value at `now`, at the new rate. The SDM
     * does not say what happens to the tick in progress; here it starts
     * again (Bochs instead re-divides all the time since the start). */
    if (counting(t)) {
        t->base_count = lapic_read_timer_count(t, now);
        t->base_time = now;
    }
    t->divide_config = value & 0xB;
    t->tick = tick_of(t->divide_config, t->bus_period);
}

void lapic_arm_timer_deadline(struct lapic_timer *t, uint64_t value)
{
    /* Outside TSC-deadline mode the MSR write changes nothing (Bochs: "TSC-
     * Deadline timer is disabled"); a write of 0 disarms (11.5.4.1). */
    if (t->mode != LAPIC_TIMER_TSC_DEADLINE)
        return;
    t->deadline = value;
    t->armed = value != 0;
}

uint32_t lapic_read_timer_count(const struct lapic_timer *t, uint64_t now)
{
    /* "current-count register always reads 0" in TSC-deadline mode
     * (11.5.4.1); a stopped or ended count reads 0 too (11.5.4). */
    if (!counting(t))
        return 0;
    uint64_t elapsed = now - t->base_time;
    uint64_t span = time_to_zero(t);
    if (elapsed < span)
        return t->base_count - (uint32_t)(elapsed / t->tick);
    if (t->mode == LAPIC_TIMER_ONESHOT)
        return 0;
    uint64_t period = (uint64_t)t->initial * t->tick;
    return t->initial - (uint32_t)(((elapsed - span) % period) / t->tick);
}

uint64_t lapic_read_timer_deadline(const struct lapic_timer *t)
{
    return t->mode == LAPIC_TIMER_TSC_DEADLINE ? t->deadline : 0;
}

uint64_t lapic_find_timer_expiry(const struct lapic_timer *t)
{
    if (!t->armed)
        return UINT64_MAX;
    if (t->mode == LAPIC_TIMER_TSC_DEADLINE)
        return t->deadline;
    uint64_t span = time_to_zero(t);
    if (t->base_time > UINT64_MAX - span)
        return UINT64_MAX;        /* after the end of 64-bit time: never */
    return t->base_time + span;
}
