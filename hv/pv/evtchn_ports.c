/*
 * evtchn_ports.c: a PV VM's event channels (see evtchn_ports.h).
 *
 * The bits live in the guest's shared-info page, which the hypervisor
 * writes only while the guest does not run (one vCPU, and this code runs
 * in VMX root operation between its exits), so plain read-modify-writes
 * are enough here; the guest takes them with atomic exchanges because it
 * may be interrupted by an upcall in the middle of its own.
 */
#include "pv/evtchn_ports.h"
#include "string.h"

#define WORD_BITS 32u

static bool test_and_set(uint32_t *words, uint32_t bit)
{
    uint32_t m = 1u << (bit % WORD_BITS);
    bool was = words[bit / WORD_BITS] & m;
    words[bit / WORD_BITS] |= m;
    return was;
}

static void clear_bit(uint32_t *words, uint32_t bit)
{
    words[bit / WORD_BITS] &= ~(1u << (bit % WORD_BITS));
}

static bool test_bit(const uint32_t *words, uint32_t bit)
{
    return words[bit / WORD_BITS] & (1u << (bit % WORD_BITS));
}

void evtchn_init(struct evtchn_ports *e, struct pv_shared_info *shared)
{
    memset(e, 0, sizeof(*e));
    e->shared = shared;
}

int evtchn_bind_free(struct evtchn_ports *e, enum evtchn_bound what, uint32_t *port)
{
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++) {
        if (e->bound[p] == EVTCHN_FREE) {
            e->bound[p] = (uint8_t)what;
            *port = p;
            return 0;
        }
    }
    return -PV_ENOSPC;
}

int evtchn_bind_virq(struct evtchn_ports *e, uint32_t virq, uint32_t vcpu, uint32_t *port)
{
    if (virq >= PV_NR_VIRQS || vcpu != 0)
        return -PV_EINVAL;
    if (e->virq_port[virq])
        return -PV_EEXIST;
    int r = evtchn_bind_free(e, EVTCHN_VIRQ, port);
    if (r == 0) {
        e->virq_of[*port] = (uint8_t)virq;
        e->virq_port[virq] = (uint16_t)*port;
    }
    return r;
}

int evtchn_bind_console(struct evtchn_ports *e, uint32_t *port)
{
    return evtchn_bind_free(e, EVTCHN_CONSOLE, port);
}

int evtchn_status(const struct evtchn_ports *e, uint32_t port, struct pv_evtchn_status *st)
{
    if (port == 0 || port >= PV_NR_EVENT_CHANNELS)
        return -PV_EINVAL;
    static const uint32_t status_of[] = {
        [EVTCHN_FREE] = PV_EVTCHNSTAT_closed, [EVTCHN_VIRQ] = PV_EVTCHNSTAT_virq,
        [EVTCHN_CONSOLE] = PV_EVTCHNSTAT_console, [EVTCHN_UNBOUND] = PV_EVTCHNSTAT_unbound,
        [EVTCHN_INTERDOMAIN] = PV_EVTCHNSTAT_interdomain,
    };
    enum evtchn_bound b = e->bound[port];
    st->port = port;
    st->status = status_of[b];
    st->remote_dom = b == EVTCHN_UNBOUND || b == EVTCHN_INTERDOMAIN ? e->peer_dom[port] : 0;
    st->remote_port = b == EVTCHN_INTERDOMAIN ? e->peer_port[port] : b == EVTCHN_VIRQ ? e->virq_of[port] : 0;
    return 0;
}

int evtchn_check_port(const struct evtchn_ports *e, uint32_t port)
{
    if (port == 0 || port >= PV_NR_EVENT_CHANNELS)
        return -PV_EINVAL;
    return e->bound[port] == EVTCHN_FREE ? -PV_ENOENT : 0;
}

int evtchn_close(struct evtchn_ports *e, uint32_t port)
{
    int r = evtchn_check_port(e, port);
    if (r)
        return r;
    if (e->bound[port] == EVTCHN_VIRQ)
        e->virq_port[e->virq_of[port]] = 0;
    e->bound[port] = EVTCHN_FREE;
    e->virq_of[port] = 0;
    if (e->shared)
        clear_bit(e->shared->evtchn_pending, port);
    return 0;
}

int evtchn_send(const struct evtchn_ports *e, uint32_t port)
{
    int r = evtchn_check_port(e, port);
    if (r)
        return r;
    return e->bound[port] == EVTCHN_VIRQ ? -PV_EINVAL : e->bound[port];
}

/* LAB 5 BEGIN: an event made pending, and a port unmasked */
/* The vCPU learns of an event on `port`'s word (evtchn_2l_set_pending's
 * second half, and unmask's). */
static void mark_vcpu(struct pv_shared_info *s, uint32_t port)
{
    struct pv_vcpu_info *v = &s->vcpu_info[0];
    v->evtchn_pending_sel |= 1u << (port / WORD_BITS);
    v->evtchn_upcall_pending = 1;
}

int evtchn_unmask(struct evtchn_ports *e, uint32_t port)
{
    int r = evtchn_check_port(e, port);
    if (r || !e->shared)
        return r;
    struct pv_shared_info *s = e->shared;
    bool was_masked = test_bit(s->evtchn_mask, port);
    clear_bit(s->evtchn_mask, port);
    if (was_masked && test_bit(s->evtchn_pending, port))
        mark_vcpu(s, port);
    return 0;
}

bool evtchn_set_pending(struct evtchn_ports *e, uint32_t port)
{
    if (evtchn_check_port(e, port) || !e->shared)
        return false;
    struct pv_shared_info *s = e->shared;
    if (!test_and_set(s->evtchn_pending, port) && !test_bit(s->evtchn_mask, port))
        mark_vcpu(s, port);
    return true;
}
/* LAB 5 END */

bool evtchn_raise_virq(struct evtchn_ports *e, uint32_t virq)
{
    return virq < PV_NR_VIRQS && e->virq_port[virq] && evtchn_set_pending(e, e->virq_port[virq]);
}

int evtchn_set_callback(struct evtchn_ports *e, uint32_t vector)
{
    if (vector != 0 && (vector < 32 || vector > 255))
        return -PV_EINVAL;
    e->callback_vector = vector;
    return 0;
}

bool evtchn_upcall_pending(const struct evtchn_ports *e)
{
    return e->shared && e->shared->vcpu_info[0].evtchn_upcall_pending;
}

bool evtchn_upcall_due(const struct evtchn_ports *e, bool guest_if)
{
    if (!e->callback_vector)
        return false;               /* no upcall without set_callbacks' vector */
    /* LAB 5 BEGIN: is the upcall due */
    return guest_if && evtchn_upcall_pending(e) && !e->shared->vcpu_info[0].evtchn_upcall_mask;
    /* LAB 5 END */
}

uint8_t evtchn_upcall_vector(const struct evtchn_ports *e)
{
    return evtchn_upcall_due(e, true) ? (uint8_t)e->callback_vector : 0;
}
