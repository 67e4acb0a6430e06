/*
 * pv_time.h: a PV guest's time (lib/pv_abi.h section 6; cpu=pv, lab 5;
 * 64-bit, VMX root): the time record in its shared-info page,
 * set_timer_op's one-shot VIRQ_TIMER and vcpu_op's periodic one.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* The VM's time begins (its first VM entry, after vm_interrupts_start):
 * the scale from the TSC's rate, system time 0 at the guest's TSC now, the
 * record and the wall clock (wc_*: the machine's date then) written. */
void pv_time_start(struct vcpu *v, uint64_t tsc_hz);

/* The guest's TSC now (the TSC plus the VMCS's offset, SDM 26.3). */
uint64_t pv_guest_tsc(const struct vcpu *v);

/* The VM's system time at guest TSC tsc, in ns. */
uint64_t pv_system_time(const struct vcpu *v, uint64_t guest_tsc);

/* Before a VM entry: the record brought to now (version protocol), and
 * VIRQ_TIMER raised if the one-shot's deadline has come (it is then off)
 * or the periodic timer's next event (the one after is set). */
void pv_time_before_entry(struct vcpu *v, uint64_t guest_tsc);

/* The guest's TSC at the timers' next event (UINT64_MAX: none). */
uint64_t pv_time_next_event(const struct vcpu *v);

/* The guest's TSC at which system time reaches ns, rounded so that a
 * reader of the record never sees an earlier time (UINT64_MAX: never). */
uint64_t pv_time_guest_tsc_at(const struct vcpu *v, uint64_t ns);

/* set_timer_op(deadline low, high): VIRQ_TIMER at that system time (at
 * the next VM entry if it has passed); 0 cancels. Always 0. */
int32_t pv_set_timer_op(struct vcpu *v, const uint32_t *args);

/* vcpu_op(cmd, vcpu, arg *): VCPUOP_set_periodic_timer (*arg a struct
 * pv_vcpu_set_periodic_timer) or VCPUOP_stop_periodic_timer, of vCPU 0
 * (lib/pv_abi.h section 6). */
int32_t pv_vcpu_op(struct vcpu *v, const uint32_t *args);
