/*
 * evtchn_interdomain.c: event channels between VMs (see
 * evtchn_interdomain.h; lab 6): a port offered to another VM, bound by
 * it, both ends linked, and an end left behind when the other goes.
 * Pure, like evtchn_ports.c: the caller finds the other VM's ports.
 */
#include "pv/evtchn_interdomain.h"

int evtchn_alloc_unbound(struct evtchn_ports *e, uint32_t remote_dom, uint32_t *port)
{
    int r = evtchn_bind_free(e, EVTCHN_UNBOUND, port);
    if (r == 0)
        e->peer_dom[*port] = (uint8_t)remote_dom;
    return r;
}

/* LAB 6 BEGIN: a port another VM offered bound, both ends linked */
int evtchn_bind_interdomain(struct evtchn_ports *local, uint32_t local_dom, struct evtchn_ports *remote,
                            uint32_t remote_dom, uint32_t remote_port, uint32_t *port)
{
    if (remote_port == 0 || remote_port >= PV_NR_EVENT_CHANNELS || remote->bound[remote_port] != EVTCHN_UNBOUND ||
        remote->peer_dom[remote_port] != local_dom)
        return -PV_EINVAL;
    int r = evtchn_bind_free(local, EVTCHN_INTERDOMAIN, port);
    if (r)
        return r;
    local->peer_dom[*port] = (uint8_t)remote_dom;
    local->peer_port[*port] = (uint16_t)remote_port;
    remote->bound[remote_port] = EVTCHN_INTERDOMAIN;
    remote->peer_dom[remote_port] = (uint8_t)local_dom;
    remote->peer_port[remote_port] = (uint16_t)*port;
    return 0;
}
/* LAB 6 END */

bool evtchn_peer(const struct evtchn_ports *e, uint32_t port, uint32_t *dom, uint32_t *peer_port)
{
    if (port == 0 || port >= PV_NR_EVENT_CHANNELS || e->bound[port] != EVTCHN_INTERDOMAIN)
        return false;
    *dom = e->peer_dom[port];
    *peer_port = e->peer_port[port];
    return true;
}

void evtchn_peer_left(struct evtchn_ports *e, uint32_t port, uint32_t dom, uint32_t peer_port)
{
    uint32_t d, p;
    if (evtchn_peer(e, port, &d, &p) && d == dom && p == peer_port) {
        e->bound[port] = EVTCHN_UNBOUND;
        e->peer_port[port] = 0;
    }
}
