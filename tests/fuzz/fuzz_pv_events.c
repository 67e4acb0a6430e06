/*
 * fuzz_pv_events.c: hv/pv/evtchn_ports.c and hv/pv/console_ring.c, a PV
 * VM's event channels and console ring, on arbitrary scripts of what a
 * guest can do: its event_channel_op and set_callbacks arguments, any
 * value written anywhere in its shared-info or console page, and the
 * hypervisor's events and ring work between.
 *
 * The input is a script, a byte a step (its low 3 bits the operation, the
 * rest of it and the next bytes its arguments). After every step:
 *   - port 0 is never bound; a bound VIRQ's port is bound to that VIRQ,
 *     and every VIRQ port is its VIRQ's; results are 0 or the codes the
 *     header names for the call;
 *   - an event on a bound port leaves it pending, and marks the vCPU
 *     (pending_sel's bit, upcall_pending) when it came to an unmasked
 *     port that was not pending; an upcall is due only with a vector
 *     32..255, upcall_pending, upcall_mask 0 and IF;
 *   - the ring: no more bytes taken than asked for or than the ring holds,
 *     out_cons moved by exactly that (or to out_prod if the guest broke the
 *     ring); no more bytes put than in[] has room for;
 *   - channels between two VMs (a second VM's ports beside the first's:
 *     alloc_unbound, bind_interdomain, close as hv/pv/evtchn.c does it,
 *     the other end told with evtchn_peer_left): every interdomain port's
 *     other end is an interdomain port naming it back; an offer names one
 *     of the two VMs; a refused bind changed neither VM's ports.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "pv/console_ring.h"
#include "pv/evtchn_interdomain.h"

static bool bit(const uint32_t *w, uint32_t b)
{
    return w[b / 32] & (1u << (b % 32));
}

static void check_bindings(const struct evtchn_ports *e)
{
    FUZZ_CHECK(e->bound[0] == EVTCHN_FREE, "port 0 bound");
    for (uint32_t v = 0; v < PV_NR_VIRQS; v++) {
        uint32_t p = e->virq_port[v];
        FUZZ_CHECK(p == 0 || (e->bound[p] == EVTCHN_VIRQ && e->virq_of[p] == v), "VIRQ %u on port %u", v, p);
    }
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        FUZZ_CHECK(e->bound[p] != EVTCHN_VIRQ || e->virq_port[e->virq_of[p]] == p, "port %u", p);
}

static struct evtchn_ports *vm_ports[2];     /* by domid */
static uint32_t linked_below;                /* past the highest port alloc_unbound or a bind gave */

static void check_links(void)
{
    for (uint32_t d = 0; d < 2; d++) {
        const struct evtchn_ports *e = vm_ports[d];
        for (uint32_t p = 1; p < linked_below; p++) {
            uint32_t dom, peer;
            if (e->bound[p] == EVTCHN_UNBOUND)
                FUZZ_CHECK(e->peer_dom[p] < 2, "vm%u port %u offered to %u", d, p, e->peer_dom[p]);
            if (!evtchn_peer(e, p, &dom, &peer))
                continue;
            uint32_t back_dom, back;
            FUZZ_CHECK(dom < 2 && evtchn_peer(vm_ports[dom], peer, &back_dom, &back) && back_dom == d && back == p,
                       "vm%u port %u's other end vm%u port %u does not name it", d, p, dom, peer);
        }
    }
}

/* EVTCHNOP_close as the hypervisor makes it: the other end offered again. */
static int close_port(uint32_t d, uint32_t port)
{
    uint32_t dom, peer;
    bool linked = evtchn_peer(vm_ports[d], port, &dom, &peer);
    int r = evtchn_close(vm_ports[d], port);
    if (r == 0 && linked)
        evtchn_peer_left(vm_ports[dom], peer, d, port);
    return r;
}

static void check_result(int r, int a, int b, int c)
{
    FUZZ_CHECK(r == 0 || r == a || r == b || r == c, "result %d", r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    static struct pv_shared_info page;
    static struct pv_console ring;
    static struct pv_shared_info page1;
    static struct evtchn_ports e, e1, before0, before1;
    memset(&page, 0, sizeof(page));
    memset(&page1, 0, sizeof(page1));
    memset(&ring, 0, sizeof(ring));
    evtchn_init(&e, &page);
    evtchn_init(&e1, &page1);
    vm_ports[0] = &e;
    vm_ports[1] = &e1;
    linked_below = 1;
    struct pv_vcpu_info *v = &page.vcpu_info[0];
    while (in.pos < in.size) {
        uint8_t step = (uint8_t)fuzz_take(&in, 1);
        uint32_t arg = (uint32_t)fuzz_take(&in, 2);
        if (arg & 0x8000)
            arg |= 0xFFFF0000u;                /* some huge ports and VIRQs too */
        uint32_t port = 0;
        unsigned op = step & 7;
        if ((step & 0x40) && op <= 1)
            op += 8;                           /* the channels between VMs */
        uint32_t vm = step >> 7;                /* which VM calls, for those */
        switch (op) {
        case 0: {
            int r = evtchn_bind_virq(&e, arg % 32, step >> 7, &port);
            check_result(r, -PV_EINVAL, -PV_EEXIST, -PV_ENOSPC);
            FUZZ_CHECK(r || (port && e.virq_port[arg % 32] == port), "bound to %u", port);
            break;
        }
        case 1:
            check_result(close_port(vm, arg), -PV_EINVAL, -PV_ENOENT, -PV_ENOENT);
            break;
        case 2: {
            int r = evtchn_send(&e, arg);
            FUZZ_CHECK(r == EVTCHN_CONSOLE || r == EVTCHN_INTERDOMAIN || r == EVTCHN_UNBOUND || r == -PV_EINVAL ||
                       r == -PV_ENOENT, "send %d", r);
            break;
        }
        case 8: {                               /* alloc_unbound(remote_dom) */
            int r = evtchn_alloc_unbound(vm_ports[vm], arg & 1, &port);
            check_result(r, -PV_ENOSPC, -PV_ENOSPC, -PV_ENOSPC);
            FUZZ_CHECK(r || (port && vm_ports[vm]->bound[port] == EVTCHN_UNBOUND), "offered %u", port);
            break;
        }
        case 9: {                               /* bind_interdomain(the other VM or itself, remote_port) */
            uint32_t remote = (step >> 3) & 1;
            before0 = e, before1 = e1;
            int r = evtchn_bind_interdomain(vm_ports[vm], vm, vm_ports[remote], remote, arg, &port);
            check_result(r, -PV_EINVAL, -PV_ENOSPC, -PV_ENOSPC);
            if (r)
                FUZZ_CHECK(!memcmp(&e, &before0, sizeof(e)) && !memcmp(&e1, &before1, sizeof(e1)),
                           "a refused bind (%d) changed the ports", r);
            break;
        }
        case 3:
            check_result(evtchn_unmask(&e, arg), -PV_EINVAL, -PV_ENOENT, -PV_ENOENT);
            break;
        case 4: {                               /* an event, on a VIRQ or a port */
            bool bound = arg < PV_NR_EVENT_CHANNELS && e.bound[arg] != EVTCHN_FREE;
            bool was_pending = bound && bit(page.evtchn_pending, arg);
            bool masked = bound && bit(page.evtchn_mask, arg);
            v->evtchn_upcall_pending = 0;
            v->evtchn_pending_sel = 0;
            bool done = step & 8 ? evtchn_raise_virq(&e, arg) : evtchn_set_pending(&e, arg);
            if (!(step & 8)) {
                FUZZ_CHECK(done == (bound && arg != 0), "event on port %u: %d", arg, done);
                if (done) {
                    FUZZ_CHECK(bit(page.evtchn_pending, arg), "port %u not pending", arg);
                    bool marks = !was_pending && !masked;
                    FUZZ_CHECK(v->evtchn_upcall_pending == marks, "port %u upcall %u", arg,
                               v->evtchn_upcall_pending);
                    FUZZ_CHECK(!marks || (v->evtchn_pending_sel & (1u << (arg / 32))), "sel");
                }
            }
            break;
        }
        case 5:
            check_result(evtchn_set_callback(&e, arg), -PV_EINVAL, -PV_EINVAL, -PV_EINVAL);
            FUZZ_CHECK(e.callback_vector == 0 || (e.callback_vector >= 32 && e.callback_vector <= 255), "vector");
            break;
        case 6: {                               /* the guest writes a word of its pages */
            uint32_t value = (uint32_t)fuzz_take(&in, step & 32 ? 2 : 4);   /* small indexes too */
            if (step & 8)
                ((uint32_t *)&page)[arg % (sizeof(page) / 4)] = value;
            else
                ((uint32_t *)&ring)[arg % (sizeof(ring) / 4)] = value;
            break;
        }
        case 7: {                               /* the hypervisor's side of the ring */
            char buf[4096];
            size_t max = arg % sizeof(buf);
            if (step & 8) {
                uint32_t cons = ring.out_cons, avail = ring.out_prod - cons;
                int broken;
                size_t n = console_ring_take(&ring, buf, max, &broken);
                FUZZ_CHECK(n <= max && n <= sizeof(ring.out), "took %zu", n);
                FUZZ_CHECK(broken == (avail > sizeof(ring.out)), "broken %d", broken);
                FUZZ_CHECK(broken ? ring.out_cons == ring.out_prod : (n <= avail && ring.out_cons == (uint32_t)(cons + n)),
                           "out_cons %u (was %u, prod %u, n %zu, max %zu)", ring.out_cons, cons, ring.out_prod, n, max);
            } else {
                uint32_t prod = ring.in_prod, used = prod - ring.in_cons;
                memset(buf, 'k', max);
                size_t n = console_ring_put(&ring, buf, max);
                FUZZ_CHECK(n <= max && (used > sizeof(ring.in) ? n == 0 : n <= sizeof(ring.in) - used), "put %zu", n);
                FUZZ_CHECK(ring.in_prod == (uint32_t)(prod + n), "in_prod");
            }
            break;
        }
        }
        if (port >= linked_below)
            linked_below = port + 1;
        check_bindings(&e);
        if (op == 1 || op >= 8) {               /* only these change the channels between VMs */
            check_bindings(&e1);
            check_links();
        }
        bool due = evtchn_upcall_due(&e, step & 16);
        FUZZ_CHECK(!due || (e.callback_vector >= 32 && v->evtchn_upcall_pending && !v->evtchn_upcall_mask &&
                            (step & 16)), "upcall due");
    }
    return 0;
}
