/*
 * pv_events.h: a PV guest's events as a whole (lib/pv_abi.h sections 6-8;
 * cpu=pv, lab 5; 64-bit, VMX root): the setup of its event channels, time,
 * console port and balloon target after the builder, the start of its
 * time, the work before each VM entry, and what sched_op block asks.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "boot/balloon_targets.h"
#include "guest/vcpu.h"
#include "guest/vm.h"

/* After pv_build: the shared-info and console pages found, no port bound
 * but the console ring's (start_info.console_evtchn), upcalls off, the
 * balloon's first target written. */
void pv_events_setup(struct vm *vm, const struct balloon_targets *balloon);

/* The VM's time starts (its first VM entry, right after
 * vm_interrupts_start): the time record and the wall clock. */
void pv_events_start(struct vcpu *v, uint64_t tsc_hz);

/* Before each VM entry of a PV guest (nothing for another), ahead of
 * vm_interrupts_before_entry: typed input into the console ring (an event
 * on its port), VIRQ_TIMER and VIRQ_BALLOON raised if due,
 * the time record rewritten, a blocked vCPU woken by a pending event, the
 * upcall handed to the VM's interrupt delivery if one is due but for the
 * CPU's IF (which that delivery checks: its interrupt window), and the
 * next PV timer event armed as one of the VM's timer events. */
void pv_events_before_entry(struct vcpu *v);

/* The VM ended: what is left in its console ring goes out, and its
 * channels with other VMs are undone (evtchn.h). */
void pv_events_end(struct vcpu *v);

/* sched_op block: clear the vCPU's evtchn_upcall_mask in the shared-info
 * page, and say whether an upcall is pending (evtchn_upcall_pending): block
 * returns at once then; else the vCPU is blocked until one is. */
bool pv_events_unmask_and_test(struct vcpu *v);

/* Whether the vCPU is a PV guest's in sched_op block: it waits in the HLT
 * activity state for an event, which ends it whatever its IF (the upcall
 * then waits for IF), and block made sure one will come. */
bool pv_events_blocked(const struct vcpu *v);

/* Whether an event can still come to a vCPU that blocks: set_timer_op's
 * timer armed, a balloon= step to come, or typed input for its console
 * ring. */
bool pv_event_can_come(const struct vcpu *v);

/* Whether v is a PV VM blocked with no event pending and none of its own
 * to come (timer, balloon, input): only another VM can wake it. When every
 * live VM is so, none ever will (sched.c stops them: a deadlock). */
bool pv_events_wait_on_others(const struct vcpu *v);
