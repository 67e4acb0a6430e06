/*
 * cases_interdomain.c: event channels between VMs (lib/pv_abi.h section
 * 6: alloc_unbound, bind_interdomain, status; hv/pv/evtchn.c), for two PV
 * VMs running a pair of these cases (vm0 the first of each pair, vm1 the
 * second: tests/integration/pv_interdomain_cases.py). Each prints what it
 * saw for the harness to compare. Ports are the lowest free ones, so a VM's
 * first port after the console's (1) and its timer's (2) is 3: the pairs
 * agree on numbers the way two Xen guests agree through xenstore.
 */
#include <stdbool.h>
#include "events.h"
#include "pvtest.h"

#define MS 1000000ull
#define VM0 0u
#define VM1 1u
#define FIRST_PORT 3u       /* after the console's and the timer's */

static int32_t alloc_unbound(uint32_t dom, uint32_t remote_dom, uint32_t *port)
{
    struct pv_evtchn_alloc_unbound a = { dom, remote_dom, 0 };
    int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_alloc_unbound, (uint32_t)&a, 0);
    *port = a.port;
    return r;
}

static int32_t bind_interdomain(uint32_t remote_dom, uint32_t remote_port, uint32_t *port)
{
    struct pv_evtchn_bind_interdomain b = { remote_dom, remote_port, 0 };
    int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_interdomain, (uint32_t)&b, 0);
    *port = b.local_port;
    return r;
}

static struct pv_evtchn_status status_of(uint32_t port, int32_t *r)
{
    struct pv_evtchn_status st = { port, 0xEE, 0xEE, 0xEE };
    *r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, (uint32_t)&st, 0);
    return st;
}

static void yield(void)
{
    vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
}

static void unmask(uint32_t port)
{
    int32_t r = evtchn_port_op(PV_EVTCHNOP_unmask, port);
    if (r)
        result("FAILED unmask %u: %d", port, r);
}

/* Block until `port` has had `n` events (or the deadline's timer). */
static bool wait_events(uint32_t port, uint32_t n)
{
    for (int tries = 0; port_events[port] < n && tries < 10000; tries++)
        block();
    return port_events[port] >= n;
}

/* Bind to remote_dom's remote_port, retrying while the other VM has not
 * offered it yet (its turn may come after ours). */
static int32_t bind_when_offered(uint32_t remote_dom, uint32_t remote_port, uint32_t *port, uint32_t *tries)
{
    int32_t r;
    for (*tries = 1; (r = bind_interdomain(remote_dom, remote_port, port)) == -PV_EINVAL && *tries < 1000; ++*tries)
        yield();
    return r;
}

#define ROUNDS 5

/* ---- friendly ---- */

PV_CASE(ping_offer, "evtchn-ping-offer", "vm0: offer a port to vm1, answer each of its pings, see it close")
{
    events_up(2000);
    uint32_t port;
    int32_t alloc = alloc_unbound(PV_DOMID_SELF, VM1, &port), r;
    unmask(port);
    struct pv_evtchn_status offered = status_of(port, &r);
    uint32_t answered = 0;
    for (uint32_t k = 1; k <= ROUNDS && wait_events(port, k); k++)
        answered += evtchn_port_op(PV_EVTCHNOP_send, port) == 0;
    struct pv_evtchn_status bound = status_of(port, &r);
    /* vm1 closes its end after its last pong: ours is offered to it again. */
    struct pv_evtchn_status after = bound;
    for (int tries = 0; after.status == PV_EVTCHNSTAT_interdomain && tries < 1000; tries++) {
        yield();
        after = status_of(port, &r);
    }
    int32_t send_unbound = evtchn_port_op(PV_EVTCHNOP_send, port);
    result("offer: alloc %d port %u offered %u to %u; pings %u answered %u; bound %u to %u port %u; "
           "after its close %u to %u; send %d", alloc, port, offered.status, offered.remote_dom, port_events[port],
           answered, bound.status, bound.remote_dom, bound.remote_port, after.status, after.remote_dom,
           send_unbound);
}

PV_CASE(ping_bind, "evtchn-ping-bind", "vm1: bind to vm0's offered port, ping it and take each answer, close")
{
    events_up(2000);
    uint32_t port, tries;
    int32_t bind = bind_when_offered(VM0, FIRST_PORT, &port, &tries), r;
    unmask(port);
    uint32_t at_bind = port_events[port];           /* the bind leaves the new port pending (Xen) */
    uint32_t pongs = 0;
    for (uint32_t k = 1; k <= ROUNDS; k++) {
        evtchn_port_op(PV_EVTCHNOP_send, port);
        pongs += wait_events(port, at_bind + k);
    }
    struct pv_evtchn_status st = status_of(port, &r);
    int32_t closed = evtchn_port_op(PV_EVTCHNOP_close, port);
    struct pv_evtchn_status gone = status_of(port, &r);
    int32_t send_closed = evtchn_port_op(PV_EVTCHNOP_send, port);
    result("bind: %d port %u (tried %s), pending at the bind %u, pongs %u; status %u to %u port %u; "
           "close %d, then status %u, send %d", bind, port, tries > 1 ? "again" : "once", at_bind, pongs, st.status,
           st.remote_dom, st.remote_port, closed, gone.status, send_closed);
}

PV_CASE(peer_waits, "evtchn-peer-waits", "vm0: offer a port, block; vm1 binds and powers off: the port wakes us, unbound")
{
    events_up(2000);
    uint32_t port;
    int32_t r;
    alloc_unbound(PV_DOMID_SELF, VM1, &port);
    unmask(port);
    wait_events(port, 1);                            /* no timer of ours yet: vm1 is what can wake us */
    struct pv_evtchn_status st = status_of(port, &r);
    result("waits: events %u, timer's %s; then status %u to %u", port_events[port],
           pv_now() < 2000 * MS ? "not yet" : "already", st.status, st.remote_dom);
}

PV_CASE(bind_and_leave, "evtchn-bind-and-leave", "vm1: bind to vm0's offered port and power off without a close")
{
    uint32_t port, tries;
    int32_t bind = bind_when_offered(VM0, FIRST_PORT, &port, &tries);
    result("leave: bind %d port %u", bind, port);
}

PV_CASE(loopback, "evtchn-loopback", "one VM: a port offered to itself, bound by itself, each end's send the other's event")
{
    events_up(2000);
    uint32_t a, b;
    int32_t alloc = alloc_unbound(PV_DOMID_SELF, PV_DOMID_SELF, &a), r;
    int32_t bind = bind_interdomain(PV_DOMID_SELF, a, &b);
    unmask(a);
    unmask(b);
    uint32_t b_at_bind = port_events[b];
    evtchn_port_op(PV_EVTCHNOP_send, a);
    uint32_t on_b = port_events[b] - b_at_bind, on_a = port_events[a];
    evtchn_port_op(PV_EVTCHNOP_send, b);
    on_a = port_events[a] - on_a;
    int32_t closed = evtchn_port_op(PV_EVTCHNOP_close, b);
    struct pv_evtchn_status st = status_of(a, &r);
    result("loopback: alloc %d port %u, bind %d port %u; a's send %u on b, b's send %u on a; close b %d, "
           "a %u to %u", alloc, a, bind, b, on_b, on_a, closed, st.status, st.remote_dom);
}

/* ---- hostile ---- */

/* vm1 offers port 3 to itself and port 4 to vm0, then waits for vm0's
 * two events on 4 (after its bind, and when it is done). */
PV_CASE(offers, "evtchn-offers", "vm1: port 3 offered to itself, 4 to vm0; events seen")
{
    events_up(1500);
    uint32_t self_port, to_vm0;
    alloc_unbound(PV_DOMID_SELF, PV_DOMID_SELF, &self_port);
    alloc_unbound(VM1, VM0, &to_vm0);                /* its own id: as PV_DOMID_SELF */
    unmask(self_port);
    unmask(to_vm0);
    wait_events(to_vm0, 2);
    result("offers: ports %u %u; events on them %u %u", self_port, to_vm0, port_events[self_port],
           port_events[to_vm0]);
}

PV_CASE(interdomain_bad, "evtchn-interdomain-bad", "vm0: every refusal of alloc_unbound, bind_interdomain and status")
{
    events_up(2000);
    uint32_t port, tries, junk;
    int32_t r;
    int32_t good = bind_when_offered(VM1, FIRST_PORT + 1, &port, &tries);  /* vm1's offer to us */
    evtchn_port_op(PV_EVTCHNOP_send, port);
    /* vm1 lives until our second send, at the end. */
    int32_t again = bind_interdomain(VM1, FIRST_PORT + 1, &junk);          /* bound already */
    int32_t not_ours = bind_interdomain(VM1, FIRST_PORT, &junk);           /* offered to vm1 itself */
    int32_t console = bind_interdomain(VM1, 1, &junk);        /* its console's port */
    int32_t free_port = bind_interdomain(VM1, 100, &junk);
    int32_t zero = bind_interdomain(VM1, 0, &junk), big = bind_interdomain(VM1, 1024, &junk);
    int32_t huge = bind_interdomain(VM1, 0xFFFFFFFFu, &junk);
    int32_t no_dom = bind_interdomain(5, FIRST_PORT, &junk), far_dom = bind_interdomain(0x7FEF, FIRST_PORT, &junk);
    int32_t for_other = alloc_unbound(VM1, VM0, &junk);       /* a port of vm1's */
    int32_t to_none = alloc_unbound(PV_DOMID_SELF, 4, &junk);
    /* An argument in a page we can read but not write, our own page
     * directory (its first words 0: dom 0 is ours, remote_dom 0 a
     * loopback, a good request): nothing allocated, so the next port is
     * still the one after ours. */
    int32_t unwritable = vmcall3(PV_event_channel_op, PV_EVTCHNOP_alloc_unbound, start_info->pt_base, 0);
    uint32_t next;
    alloc_unbound(PV_DOMID_SELF, VM1, &next);
    struct pv_evtchn_status s0 = status_of(0, &r);
    int32_t st0 = r;
    status_of(1024, &r);
    int32_t st1024 = r;
    struct pv_evtchn_status sfree = status_of(600, &r);
    int32_t st_unwritable = vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, start_info->pt_base, 0);
    int32_t unknown = vmcall3(PV_event_channel_op, 7, (uint32_t)&junk, 0);
    (void)s0;
    evtchn_port_op(PV_EVTCHNOP_send, port);
    result("bad: bound %d port %u; again %d, not ours %d, console %d, free %d, 0 %d, 1024 %d, ~0 %d; dom 5 %d, "
           "0x7fef %d; alloc for vm1 %d, for dom 4 %d, unwritable %d, next port %u; status 0 %d, 1024 %d, "
           "600 %d %u, unwritable %d; cmd 7 %d", good, port, again, not_ours, console, free_port, zero, big, huge,
           no_dom, far_dom, for_other, to_none, unwritable, next, st0, st1024, r, sfree.status, st_unwritable,
           unknown);
}

/* The console's port closed and its number given to a channel: the
 * hypervisor's typed input still fills the ring, but raises no event on
 * the port that now means something else. */
PV_CASE(console_port_reused, "console-port-reused", "typed input after the console's port was closed and reused")
{
    struct pv_console *c = (struct pv_console *)(PV_VIRT_BASE + start_info->console_pfn * 4096);
    uint32_t console = start_info->console_evtchn, port;
    events_install();
    int32_t closed = evtchn_port_op(PV_EVTCHNOP_close, console);
    int32_t alloc = alloc_unbound(PV_DOMID_SELF, PV_DOMID_SELF, &port);
    unmask(port);
    events_on();
    printf("INPUT ready\n");                 /* the console protocol's: the runner types now */
    uint32_t before = c->in_prod;
    for (uint64_t give_up = pv_now() + 2000 * MS; c->in_prod == before && pv_now() < give_up;)
        vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    spin_until(pv_now() + 20 * MS);          /* the rest of the line */
    struct pv_shared_info *s = shared_info();
    result("reused: close %d, alloc %d port %u (the console's %u); typed %s, then port %u pending %u, events %u",
           closed, alloc, port, console, c->in_prod != before ? "yes" : "no", port,
           (s->evtchn_pending[port / 32] >> (port % 32)) & 1, port_events[port]);
}
