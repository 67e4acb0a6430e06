/*
 * pv_time_scale.h: PV time's arithmetic (lab 5; lib/pv_abi.h section 6):
 * the factors that turn the guest's TSC ticks into nanoseconds with one
 * shift and one 32-bit multiply, the time those factors give, and the
 * record's version protocol.
 *
 * Pure (any mode, also the host unit tests): the caller gives the TSC's
 * rate (cpu/tsc.h's measure) and the times.
 *
 * The guest computes ns = ((ticks << shift) * mul) >> 32 (a negative shift
 * shifts right), Xen's scale_delta; so the hypervisor computes every system
 * time it writes or waits for with the same formula (pv_time_ns), and the
 * guest's clock and the hypervisor's timers agree to the nanosecond.
 */
#pragma once
#include <stdint.h>
#include "pv_abi.h"

struct pv_time_scale {
    uint32_t mul;            /* tsc_to_system_mul: 2^31 <= mul < 2^32 */
    int8_t shift;            /* tsc_shift */
};

/* The factors for a TSC of tsc_hz ticks a second (> 0): Xen's
 * set_time_scale, without its truncation of the rate. */
struct pv_time_scale pv_time_scale_for(uint64_t tsc_hz);

/* The guest's formula: nanoseconds in `ticks` TSC ticks. */
uint64_t pv_time_ns(struct pv_time_scale s, uint64_t ticks);

/* The fewest ticks in which pv_time_ns reaches ns. */
uint64_t pv_time_ticks_for(struct pv_time_scale s, uint64_t ns);

/* The record is rewritten at VM entries with system_time = pv_time_ns of
 * the ticks since the VM's start, and the guest adds pv_time_ns of the
 * ticks since: two floors (of the shift, of the product) instead of one,
 * so its clock is up to 2 ns behind the one formula, never ahead. A timer
 * armed for pv_time_ticks_for(deadline + PV_TIME_MAX_LAG_NS) after the
 * start never fires before the guest's clock says deadline. */
#define PV_TIME_MAX_LAG_NS 2

/* The hypervisor rewrites a vCPU's time record: version made odd, the
 * fields, version made even and new (Xen's version_update_begin/end; odd
 * or even, whatever the guest left in it), so that a reader's version loop
 * never takes a half-written record. */
void pv_time_write(struct pv_vcpu_time_info *t, struct pv_time_scale s, uint64_t tsc_timestamp,
                   uint64_t system_time);

/* The protocol itself, for the other records that follow it (the wall
 * clock's wc_version): begin returns the odd version written; end writes
 * the next, even one. */
uint32_t pv_version_begin(volatile uint32_t *version);
void pv_version_end(volatile uint32_t *version, uint32_t odd);
