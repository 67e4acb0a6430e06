/*
 * evtchn.h: a PV guest's event-channel hypercalls (lib/pv_abi.h section 6;
 * cpu=pv, lab 5; 64-bit, VMX root): event_channel_op and set_callbacks,
 * the guest's arguments read and written through its tables, the ports
 * themselves pv/evtchn_ports.c's.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* event_channel_op(cmd, arg *): bind_virq (the port written back to
 * arg->port), close, send (on the console's port: its ring drained),
 * unmask; -PV_EFAULT for an argument the guest cannot read (or, for
 * bind_virq, write: then nothing is bound), -PV_ENOSYS for another cmd. */
int32_t pv_event_channel_op(struct vcpu *v, const uint32_t *args);

/* set_callbacks(vector): the upcall's vector, 32..255, or 0 (off). */
int32_t pv_set_callbacks(struct vcpu *v, const uint32_t *args);
