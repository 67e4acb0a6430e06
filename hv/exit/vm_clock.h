/*
 * vm_clock.h: a VM's time (lab 4, devices=virtual; 64-bit, VMX root
 * operation). The VM's virtual PIT counts its 1,193,182 Hz clock from the
 * TSC: PIT clocks since the VM's first entry = TSC ticks since then, times
 * the ratio of the two rates (tsc_measure_hz, cpu/tsc.h). Kept as 32.32
 * fixed-point factors, so that turning one into the other is a multiply
 * and a shift, with no division on the exit path.
 */
#pragma once
#include <stdint.h>

struct vm_clock {
    uint64_t tsc_start;      /* the TSC at the VM's time 0 */
    uint64_t pit_per_tsc;    /* PIT clocks per TSC tick, 32.32 fixed point */
    uint64_t tsc_per_pit;    /* TSC ticks per PIT clock, 32.32 fixed point */
};

/* Time 0 is now (tsc_now), with the TSC ticking tsc_hz times a second. */
void vm_clock_start(struct vm_clock *c, uint64_t tsc_hz, uint64_t tsc_now);

/* The VM's time stood still for `ticks` TSC ticks (timer_mode=delay: it
 * was preempted): time 0 moves that much later. */
void vm_clock_stand_still(struct vm_clock *c, uint64_t ticks);

/* The PIT clocks that have passed at TSC value tsc (0 before the start). */
uint64_t vm_clock_pit_at(const struct vm_clock *c, uint64_t tsc);

/* The first TSC value at which pit_clocks PIT clocks have passed. */
uint64_t vm_clock_tsc_at(const struct vm_clock *c, uint64_t pit_clocks);
