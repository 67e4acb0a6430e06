/*
 * evtchn_ports.h: a PV VM's event channels (lab 5; lib/pv_abi.h section 6):
 * its 1024 ports, what each is bound to, and the pending, mask, pending_sel
 * and upcall_pending bits of its shared-info page, which an event sets.
 *
 * A pure model (any mode, also the host unit tests and the fuzzer): the
 * caller hands it the VM's shared-info page (the hypervisor's pointer to
 * the guest's frame) and the guest's IF; it touches no hardware and never
 * panics. The bindings are the hypervisor's own (never read back from the
 * page), so whatever the guest writes into its page changes only which
 * events it sees, never which ports exist. It follows Xen's 2-level ABI
 * (xen/common/event_2l.c: evtchn_2l_set_pending, evtchn_2l_unmask) and
 * event_channel.c's bind_virq, close and send.
 *
 * Port 0 is never bound (Xen's ECS_RESERVED): 0 means "no port".
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pv_abi.h"

enum evtchn_bound { EVTCHN_FREE, EVTCHN_VIRQ, EVTCHN_CONSOLE, EVTCHN_UNBOUND, EVTCHN_INTERDOMAIN };

struct evtchn_ports {
    struct pv_shared_info *shared;           /* the guest's page (NULL: no events yet) */
    uint8_t bound[PV_NR_EVENT_CHANNELS];     /* enum evtchn_bound */
    uint8_t virq_of[PV_NR_EVENT_CHANNELS];   /* an EVTCHN_VIRQ port's VIRQ */
    uint8_t peer_dom[PV_NR_EVENT_CHANNELS];  /* UNBOUND: who may bind; INTERDOMAIN: the other end's VM */
    uint16_t peer_port[PV_NR_EVENT_CHANNELS];   /* INTERDOMAIN: the other end's port */
    uint16_t virq_port[PV_NR_VIRQS];         /* 0: the VIRQ is not bound */
    uint32_t callback_vector;                /* set_callbacks (0: no upcalls) */
};

/* No port bound, no upcall vector; events go to `shared`. */
void evtchn_init(struct evtchn_ports *e, struct pv_shared_info *shared);

/* EVTCHNOP_bind_virq: the lowest free port, bound to virq for vcpu 0.
 * -PV_EINVAL for a VIRQ >= PV_NR_VIRQS or a vCPU other than 0, -PV_EEXIST
 * when it is bound already, -PV_ENOSPC when no port is free. */
int evtchn_bind_virq(struct evtchn_ports *e, uint32_t virq, uint32_t vcpu, uint32_t *port);

/* The hypervisor's end of the console ring (the builder binds it). */
int evtchn_bind_console(struct evtchn_ports *e, uint32_t *port);

/* The lowest free port (never 0) bound to `what`: 0, or -PV_ENOSPC when
 * none is free. */
int evtchn_bind_free(struct evtchn_ports *e, enum evtchn_bound what, uint32_t *port);

/* EVTCHNOP_status: what port is bound to (struct pv_evtchn_status's OUT
 * fields); evtchn_check_port's -PV_EINVAL for no port, and a free port is
 * PV_EVTCHNSTAT_closed. */
int evtchn_status(const struct evtchn_ports *e, uint32_t port, struct pv_evtchn_status *st);

/* What a guest's port argument names: 0 if it is a bound port, else
 * -PV_EINVAL (not a port: 0 or >= 1024) or -PV_ENOENT (not bound). */
int evtchn_check_port(const struct evtchn_ports *e, uint32_t port);

/* EVTCHNOP_close: the port is free again, its pending bit cleared (a port
 * bound later starts with no stale event); a VIRQ it held is unbound. An
 * interdomain port's other end is the caller's to release (evtchn_peer,
 * before, then evtchn_peer_left on the other VM's ports). */
int evtchn_close(struct evtchn_ports *e, uint32_t port);

/* EVTCHNOP_send: the port's other end is told. Returns what the port is
 * bound to (EVTCHN_CONSOLE: the caller drains the ring; EVTCHN_INTERDOMAIN:
 * it raises the event on the peer's port; EVTCHN_UNBOUND: no one to tell,
 * the event is dropped, as Xen drops it), or -PV_EINVAL for a VIRQ's port
 * (it has no other end: Xen's ECS_VIRQ) and evtchn_check_port's errors. */
int evtchn_send(const struct evtchn_ports *e, uint32_t port);

/* EVTCHNOP_unmask: the mask bit cleared; an event that is pending on it
 * then marks the vCPU as an event would (evtchn_2l_unmask). */
int evtchn_unmask(struct evtchn_ports *e, uint32_t port);

/* An event on a bound port (section 6): its pending bit set; if it was not
 * pending and is not masked, its word's pending_sel bit and upcall_pending
 * set. false (nothing done) for a port not bound or with no page. */
bool evtchn_set_pending(struct evtchn_ports *e, uint32_t port);

/* The VIRQ happened: an event on its port; false if the guest has not
 * bound it (the event is dropped, as Xen's send_guest_vcpu_virq drops it). */
bool evtchn_raise_virq(struct evtchn_ports *e, uint32_t virq);

/* set_callbacks: 0 (upcalls off) or a vector 32..255, else -PV_EINVAL
 * (0-31 are the CPU's exceptions, SDM 6.3). */
int evtchn_set_callback(struct evtchn_ports *e, uint32_t vector);

/* Whether an upcall is due before the VM entry: a vector is set,
 * upcall_pending is 1, upcall_mask is 0 and the guest's IF is 1. */
bool evtchn_upcall_due(const struct evtchn_ports *e, bool guest_if);

/* The vector of the upcall due whatever the guest's IF (vm_interrupts.c
 * waits for its window), or 0 when none is. */
uint8_t evtchn_upcall_vector(const struct evtchn_ports *e);

/* Whether an event waits for the guest at all (upcall_pending), whatever
 * its masks: what sched_op block wakes on. */
bool evtchn_upcall_pending(const struct evtchn_ports *e);
