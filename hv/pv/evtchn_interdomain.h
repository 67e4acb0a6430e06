/*
 * evtchn_interdomain.h: event channels between VMs (lab 6; Xen's
 * EVTCHNOP_alloc_unbound and bind_interdomain, lib/pv_abi.h section 6):
 * one VM offers a port to another, which binds a port of its own to it;
 * an event sent on either end is raised on the other (hv/pv/evtchn.c).
 * The ports themselves are evtchn_ports.h's.
 */
#pragma once
#include "pv/evtchn_ports.h"

/* EVTCHNOP_alloc_unbound: the lowest free port, offered to VM remote_dom
 * (the caller checked that it is a PV VM); -PV_ENOSPC when none is free. */
int evtchn_alloc_unbound(struct evtchn_ports *e, uint32_t remote_dom, uint32_t *port);

/* EVTCHNOP_bind_interdomain, by VM local_dom, to remote_port of VM
 * remote_dom (local and remote the same for a loopback): remote_port must
 * be unbound and offered to local_dom (else -PV_EINVAL, as Xen); the
 * lowest free port of local's is bound to it and it to that port
 * (-PV_ENOSPC when local has none free). The caller then makes the new
 * port pending (Xen's rule: a send before the bind is not lost). */
int evtchn_bind_interdomain(struct evtchn_ports *local, uint32_t local_dom, struct evtchn_ports *remote,
                            uint32_t remote_dom, uint32_t remote_port, uint32_t *port);

/* The other end of an interdomain port: true and its VM and port, or false
 * for a port bound to no other VM. */
bool evtchn_peer(const struct evtchn_ports *e, uint32_t port, uint32_t *dom, uint32_t *peer_port);

/* The other end (VM dom, its port peer_port) of this interdomain port went
 * away (closed, or its VM ended): the port is unbound again, offered to
 * dom. Nothing if the port is not bound to exactly that end. */
void evtchn_peer_left(struct evtchn_ports *e, uint32_t port, uint32_t dom, uint32_t peer_port);
