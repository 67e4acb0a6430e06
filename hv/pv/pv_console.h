/*
 * pv_console.h: console_io (lib/pv_abi.h section 7), a hypercall
 * (hypercall.h's shape: the caller's vCPU and its arguments, the result),
 * and the console page's ring.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

int32_t pv_console_io(struct vcpu *v, const uint32_t *args);

/* The console ring's output (out[out_cons .. out_prod)) to the VM's console
 * line relay, as console_io's: at an event on its port (evtchn.c) and at
 * the VM's end. A ring the guest broke (its producer beyond the ring's
 * size from its consumer) is said so on the console, once a drain. */
void pv_console_drain(struct vcpu *v);
