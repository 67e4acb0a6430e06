/*
 * continued.h: a call caught between two of its parts (lib/pv_abi.h
 * section 5's continuations), for cases_continuation.c and cases_gaps.c.
 */
#pragma once
#include <stdint.h>

/* The call, with the CPU's IF on so that an upcall can come between parts. */
int32_t with_events(int32_t (*call)(void));

/* Time the call once (events off), then arm the timer halfway through its
 * time: its upcall comes at the first VM entry after that, and hook sees
 * how far the call had got (and may change what the rest will find). */
void arm_timer_halfway(int32_t (*call)(void), void (*hook)(void));
