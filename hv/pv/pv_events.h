/*
 * pv_events.h: what sched_op block asks of the event channels (lib/pv_abi.h
 * section 6; pv_events.c until the event channels' own file takes them
 * over: branch pvevents).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* Clear the vCPU's evtchn_upcall_mask in the shared-info page, and say
 * whether an upcall is pending (evtchn_upcall_pending): block returns at
 * once then. */
bool pv_events_unmask_and_test(struct vcpu *v);

/* Whether an event can still come to a vCPU that blocks: a bound port
 * whose source can fire (a timer armed, console input, another VM). */
bool pv_event_can_come(const struct vcpu *v);
