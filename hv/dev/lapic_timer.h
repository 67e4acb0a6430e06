/*
 * lapic_timer.h: the local APIC's timer, as a counter of the caller's time (a
 * pure module: any mode, the host unit tests and the fuzzer; lapic.c holds
 * one in each struct lapic and decides what an expiry raises).
 *
 * The timer counts down the APIC's input clock (the bus clock) divided by the
 * divide configuration (SDM vol. 3, 11.5.4 "APIC Timer"), or waits for a TSC
 * value (11.5.4.1 "TSC-Deadline Mode"). Nothing runs tick by tick: the
 * caller gives `now`, a TSC value that never goes back, and the model works
 * out from it, in O(1), the current count and how many times the count
 * reached zero. One tick of the counter lasts `divider * bus_period` TSC
 * cycles, where bus_period is the input clock's period in TSC cycles, fixed
 * at reset.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The input clock's period is clamped to 1..2^24 TSC cycles, so that a whole
 * count (2^32 - 1 ticks of at most 128 periods) fits in 64 bits: 2^63. */
#define LAPIC_BUS_PERIOD_MAX (1u << 24)

/* LVT timer bits 18:17 (11.5.4, table 11-2 "Local APIC Timer Modes"). */
enum lapic_timer_mode {
    LAPIC_TIMER_ONESHOT = 0,
    LAPIC_TIMER_PERIODIC = 1,
    LAPIC_TIMER_TSC_DEADLINE = 2,
};

struct lapic_timer {
    enum lapic_timer_mode mode;
    bool armed;                 /* counting (or, TSC-deadline: a deadline set) */
    uint32_t initial;           /* the initial-count register (0x380) */
    uint32_t divide_config;     /* the divide configuration register (0x3E0), bits 3, 1, 0 */
    uint64_t tick;              /* TSC cycles per count: divider * bus_period */
    uint32_t bus_period;        /* TSC cycles per input clock, 1..LAPIC_BUS_PERIOD_MAX */
    uint32_t base_count;        /* armed, counting: the count at base_time (>= 1) */
    uint64_t base_time;         /* armed, counting: when the count was base_count */
    uint64_t deadline;          /* IA32_TSC_DEADLINE: 0 = disarmed */
};

/* The state after power-up (11.4.7.1): one-shot, stopped, counts 0, divide
 * by 2. bus_period 0 is taken as 1. */
void lapic_reset_timer(struct lapic_timer *t, uint32_t bus_period);

/* Move the timer to `now`: returns how many times it expired in the time
 * since the last call (a periodic timer may have expired many times), and
 * leaves it as it is at `now`. Every function below that takes `now` wants
 * this done first; lapic.c does it. */
uint64_t lapic_run_timer(struct lapic_timer *t, uint64_t now);

/* A write to the LVT timer register that changes the mode disarms the timer
 * (11.5.4.1); one that keeps it changes nothing here. */
void lapic_set_timer_mode(struct lapic_timer *t, enum lapic_timer_mode mode);

/* A write to the initial-count register: starts the count from `value` at
 * `now`, or stops the timer with 0 (11.5.4); ignored in TSC-deadline mode
 * (11.5.4.1). */
void lapic_start_timer(struct lapic_timer *t, uint32_t value, uint64_t now);

/* A write to the divide configuration register (figure 11-10): the count goes
 * on at the new rate from `now`. */
void lapic_set_timer_divide(struct lapic_timer *t, uint32_t value, uint64_t now);

/* A write to IA32_TSC_DEADLINE (11.5.4.1): arms the timer at `value`, 0
 * disarms it; ignored outside TSC-deadline mode. A deadline at or before
 * `now` expires at the next lapic_run_timer. */
void lapic_arm_timer_deadline(struct lapic_timer *t, uint64_t value);

/* The current-count register at `now` (0 in TSC-deadline mode and once a
 * one-shot count has ended); IA32_TSC_DEADLINE as a read gives it. */
uint32_t lapic_read_timer_count(const struct lapic_timer *t, uint64_t now);
uint64_t lapic_read_timer_deadline(const struct lapic_timer *t);

/* The TSC time of the next expiry after the last lapic_run_timer, or
 * UINT64_MAX when none is to come (or it would come after 2^64 - 1). */
uint64_t lapic_find_timer_expiry(const struct lapic_timer *t);

/* The divider (1, 2, 4, ..., 128) a divide configuration value selects. */
uint32_t lapic_timer_divider(uint32_t divide_config);
