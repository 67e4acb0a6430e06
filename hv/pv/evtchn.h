/*
 * evtchn.h: a PV guest's event-channel hypercalls (lib/pv_abi.h section 6;
 * cpu=pv, lab 5; 64-bit, VMX root): event_channel_op and set_callbacks,
 * the guest's arguments read and written through its tables, the ports
 * themselves pv/evtchn_ports.c's.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"

/* event_channel_op(cmd, arg *): bind_virq, alloc_unbound, bind_interdomain
 * and status (each result written back to the argument's OUT fields),
 * close, send (on the console's port: its ring drained; on a port bound to
 * another VM's: an event there), unmask; -PV_EFAULT for an argument the
 * guest cannot read, or whose OUT fields it cannot write (then nothing is
 * done), -PV_ENOSYS for another cmd. */
int32_t pv_event_channel_op(struct vcpu *v, const uint32_t *args);

/* The PV VM joins the machine's table of domains (its id: its domid). */
void pv_evtchn_add_domain(struct vm *vm);

/* The VM ended: every channel it had with another VM is undone, that VM's
 * port unbound again and given an event (it wakes if it was blocked). */
void pv_evtchn_vm_ended(struct vm *vm);

/* Whether another live VM could still send v an event: a port of v's bound
 * to one, or offered to one. */
bool pv_evtchn_peer_can_send(const struct vcpu *v);

/* set_callbacks(vector): the upcall's vector, 32..255, or 0 (off). */
int32_t pv_set_callbacks(struct vcpu *v, const uint32_t *args);
