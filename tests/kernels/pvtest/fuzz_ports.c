/*
 * fuzz_ports.c: the hypercall fuzzer's event channels (fuzz.h; lib/pv_abi.h
 * section 6): every port in the model, what it is bound to as the
 * hypervisor's evtchn_status reports it, and each event_channel_op call's
 * result predicted from it. With peer=1 the model holds the partner's
 * ports too (vm1's: it binds none after the meeting, but vm0's binds,
 * closes and sends change them), checked against its report at the end.
 */
#include "events.h"
#include "fuzz.h"
#include "pvtest.h"
#include "string.h"

uint32_t loopbacks, statuses, partner_binds;
static uint32_t timer_port;
/* Every event channel port (section 6) of each VM, by domid: what it is
 * bound to, as the hypervisor's evtchn_status reports it, and for an
 * interdomain port its peer; for an unbound one the VM it is offered to;
 * pending, for the ports between VMs (no upcall runs: IF stays 0, so
 * only a close clears their bits). One VM: every channel between VMs is a
 * loopback, the VM's own id at both ends. */
struct port_model {
    uint8_t status;                 /* PV_EVTCHNSTAT_* */
    uint8_t pending;                /* unbound and interdomain ports only */
    uint16_t remote_port;           /* interdomain: the peer; virq: the VIRQ */
    uint8_t remote_dom;             /* unbound and interdomain ports only */
};
static struct port_model doms[2][PV_NR_EVENT_CHANNELS];
static struct port_model *const ports = doms[SELF_ID];

void ports_start(uint32_t console_port, uint32_t timer)
{
    timer_port = timer;
    ports[console_port] = (struct port_model){ PV_EVTCHNSTAT_console, 0, 0, 0 };
    ports[timer_port] = (struct port_model){ PV_EVTCHNSTAT_virq, 0, PV_VIRQ_TIMER, 0 };
}

/* Port a of VM da and port b of VM db bound to each other. */
static void link(uint32_t da, uint32_t a, uint32_t db, uint32_t b)
{
    doms[da][a] = (struct port_model){ PV_EVTCHNSTAT_interdomain, doms[da][a].pending, (uint16_t)b, (uint8_t)db };
    doms[db][b] = (struct port_model){ PV_EVTCHNSTAT_interdomain, doms[db][b].pending, (uint16_t)a, (uint8_t)da };
}

void ports_meet(void)
{
    struct port_model *theirs = doms[PEER_ID];
    theirs[1] = (struct port_model){ PV_EVTCHNSTAT_console, 0, 0, 0 };
    for (uint32_t p = 2; p <= 5; p++)
        theirs[p] = (struct port_model){ PV_EVTCHNSTAT_unbound, 0, 0, SELF_ID };
    theirs[6] = (struct port_model){ PV_EVTCHNSTAT_unbound, 0, 0, PEER_ID };
    link(SELF_ID, CONTROL_PORT, PEER_ID, PARTNER_CONTROL_PORT);
    link(SELF_ID, DATA_PORT, PEER_ID, PARTNER_DATA_PORT);
    theirs[PARTNER_DATA_PORT].pending = 1;          /* its bind's; the control port's it cleared */
}

/* A port the fuzz leaves alone but to unmask: the timer's (closed, the
 * block could not wake) and the control channel's (the partner's report
 * comes on it). */
static bool kept(uint32_t port, uint32_t cmd)
{
    return (port == timer_port && cmd == PV_EVTCHNOP_close) ||
           (peer && port == CONTROL_PORT && (cmd == PV_EVTCHNOP_close || cmd == PV_EVTCHNOP_send));
}

/* The port the hypervisor's next bind takes: the lowest free one
 * (evtchn_ports.c), 0 if none is. */
static uint32_t lowest_free_port(void)
{
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        if (ports[p].status == PV_EVTCHNSTAT_closed)
            return p;
    return 0;
}

/* A port to name: 0 and past the last (never ports), any, or one the
 * model has bound (from a random place up, so each kind comes up). */
static uint32_t some_port(void)
{
    switch (below(6)) {
    case 0: return 0;
    case 1: return PV_NR_EVENT_CHANNELS + (one_in(2) ? below(16) : rnd());
    case 2: return 1 + below(PV_NR_EVENT_CHANNELS - 1);
    default:
        for (uint32_t p = 1 + below(128), n = 0; n < PV_NR_EVENT_CHANNELS; n++, p = p % 1023 + 1)
            if (ports[p].status != PV_EVTCHNSTAT_closed)
                return p;
        return 1;
    }
}

static bool valid_port(uint32_t port)
{
    return port > 0 && port < PV_NR_EVENT_CHANNELS;
}

/* evtchn_check_port's answer: 0 if port is bound. */
static int32_t port_error(uint32_t port)
{
    return !valid_port(port) ? -PV_EINVAL : ports[port].status == PV_EVTCHNSTAT_closed ? -PV_ENOENT : 0;
}

/* A new binding at the lowest free port: its number, or 0 (-PV_ENOSPC). */
static uint32_t bind_port(uint8_t status, uint16_t remote_port, uint8_t remote_dom)
{
    uint32_t p = lowest_free_port();
    if (p)
        ports[p] = (struct port_model){ status, 0, remote_port, remote_dom };
    return p;
}

/* close: the port freed (its pending bit cleared); the other end of a
 * channel, a loopback's or the partner's, left offered to the closer
 * again, its pending bit kept (Xen's evtchn_close). */
static void close_in_model(uint32_t port)
{
    const struct port_model *m = &ports[port];
    if (m->status == PV_EVTCHNSTAT_interdomain) {
        struct port_model *other = &doms[m->remote_dom][m->remote_port];
        *other = (struct port_model){ PV_EVTCHNSTAT_unbound, other->pending, 0, SELF_ID };
    }
    ports[port] = (struct port_model){ PV_EVTCHNSTAT_closed, 0, 0, 0 };
}

/* The status call's OUT words (status, remote_dom, remote_port) for a port. */
static void status_words(const struct port_model *m, uint32_t *w)
{
    bool linked = m->status == PV_EVTCHNSTAT_unbound || m->status == PV_EVTCHNSTAT_interdomain;
    w[0] = m->status, w[1] = linked ? m->remote_dom : 0;
    w[2] = m->status == PV_EVTCHNSTAT_interdomain || m->status == PV_EVTCHNSTAT_virq ? m->remote_port : 0;
}

static bool linked(const struct port_model *m)
{
    return m->status == PV_EVTCHNSTAT_unbound || m->status == PV_EVTCHNSTAT_interdomain;
}

/* The argument of an event call that writes OUT words: in the arena (its
 * words checked after the call: the OUT ones as predicted, or all
 * unchanged if it failed), else somewhere it cannot be written (read-only,
 * unmapped, straddling into the guard page): -PV_EFAULT, nothing done. */
static uint32_t *out_arg(struct call *c, uint32_t words)
{
    uint32_t *arg = one_in(8) ? NULL : arena_alloc(words * 4);
    uint32_t *want = arg ? arena_alloc(words * 4) : NULL;
    if (!want) {
        uint8_t *straddle = one_in(2) ? tail_in_guard(0, words * 4) : NULL;
        c->arg[1] = straddle ? (uint32_t)straddle : one_in(2) ? read_only_struct(words * 4) : bad_pointer();
        c->want = -PV_EFAULT;
        return NULL;
    }
    c->arg[1] = (uint32_t)arg;
    c->after.out = arg, c->after.out_want = want, c->after.out_words = words;
    return arg;
}

/* Sets the OUT words' prediction: the argument as written, then (if the
 * call is to succeed) the words from first on as out. */
static void predict_out(struct call *c, uint32_t *arg, uint32_t words, uint32_t first, const uint32_t *out)
{
    uint32_t *want = (uint32_t *)c->after.out_want;
    memcpy(want, arg, words * 4);
    if (c->want == 0)
        memcpy(want + first, out, (words - first) * 4);
}

/* Who a domid names: the VM itself, its partner (peer=1), no VM. */
enum who { ITSELF, PARTNER, NO_VM };

/* A domid for alloc_unbound and bind_interdomain: the VM itself (by
 * PV_DOMID_SELF or its id), the partner, or one there is not. */
static uint32_t some_dom(enum who *who)
{
    uint32_t d = one_in(3) ? PV_DOMID_SELF : one_in(2) ? SELF_ID : one_in(2) ? 1 + below(8) : rnd();
    *who = d == PV_DOMID_SELF || d == SELF_ID ? ITSELF : peer && d == PEER_ID ? PARTNER : NO_VM;
    return d;
}

static void bind_virq_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    uint32_t virq = below(20), vcpu = one_in(8) ? 1 + below(4) : 0, port = 0;
    arg[0] = virq, arg[1] = vcpu, arg[2] = rnd();
    if (virq >= PV_NR_VIRQS || vcpu)
        c->want = -PV_EINVAL;
    else {
        bool bound = false;
        for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
            bound |= ports[p].status == PV_EVTCHNSTAT_virq && ports[p].remote_port == virq;
        c->want = bound ? -PV_EEXIST : (port = bind_port(PV_EVTCHNSTAT_virq, (uint16_t)virq, 0)) ? 0 : -PV_ENOSPC;
    }
    predict_out(c, arg, 3, 2, &port);
}

/* alloc_unbound: a port offered to the VM itself (a loopback's first
 * half), to the partner (which never binds it) or to a VM there is not
 * (-PV_ESRCH); dom other than itself is -PV_EPERM (no VM may offer
 * another's port). */
static void alloc_unbound_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    enum who dom, remote;
    arg[0] = one_in(4) ? some_dom(&dom) : (dom = ITSELF, PV_DOMID_SELF);
    if (peer && one_in(3))
        arg[1] = PEER_ID, remote = PARTNER;
    else
        arg[1] = one_in(4) ? some_dom(&remote) : (remote = ITSELF, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    arg[2] = rnd();
    uint32_t port = 0;
    c->want = dom != ITSELF ? -PV_EPERM : remote == NO_VM ? -PV_ESRCH
              : (port = bind_port(PV_EVTCHNSTAT_unbound, 0, remote == PARTNER ? PEER_ID : SELF_ID)) ? 0
              : -PV_ENOSPC;
    predict_out(c, arg, 3, 2, &port);
}

/* A port of the partner's to bind to: mostly one it offers to the VM. */
static uint32_t partner_port(void)
{
    if (one_in(3))
        return one_in(2) ? below(PARTNER_PORTS + 2) : some_port();
    for (uint32_t p = 1 + below(PARTNER_PORTS), n = 0; n < PARTNER_PORTS; n++, p = p % PARTNER_PORTS + 1)
        if (doms[PEER_ID][p].status == PV_EVTCHNSTAT_unbound && doms[PEER_ID][p].remote_dom == SELF_ID)
            return p;
    return 1 + below(PARTNER_PORTS);
}

/* bind_interdomain: mostly to a port the VM offered itself (the loopback,
 * which must bind: its new port pending) or, peer=1, to one the partner
 * offered it; else to any kind of port or a VM there is not. Only a port
 * unbound and offered to the VM binds. */
static void bind_interdomain_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    enum who who;
    uint32_t remote;
    if (peer && one_in(2)) {
        remote = partner_port();
        arg[0] = one_in(8) ? some_dom(&who) : (who = PARTNER, PEER_ID);
    } else {
        remote = some_port();
        if (!one_in(4))
            for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
                if (ports[p].status == PV_EVTCHNSTAT_unbound && ports[p].remote_dom == SELF_ID) {
                    remote = p;
                    break;
                }
        arg[0] = one_in(4) ? some_dom(&who) : (who = ITSELF, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    }
    arg[1] = remote, arg[2] = rnd();
    uint32_t port = 0, dom = who == PARTNER ? PEER_ID : SELF_ID;
    const struct port_model *r = valid_port(remote) ? &doms[dom][remote] : NULL;
    if (who == NO_VM)
        c->want = -PV_ESRCH;
    else if (!r || r->status != PV_EVTCHNSTAT_unbound || r->remote_dom != SELF_ID)
        c->want = -PV_EINVAL;
    else if (!(port = bind_port(PV_EVTCHNSTAT_interdomain, (uint16_t)remote, (uint8_t)dom)))
        c->want = -PV_ENOSPC;
    else {
        c->want = 0;
        ports[port].pending = 1;                    /* a send made before the bind is not lost */
        link(SELF_ID, port, dom, remote);
        who == PARTNER ? partner_binds++ : loopbacks++;
    }
    predict_out(c, arg, 3, 2, &port);
}

static void status_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 4);
    if (!arg)
        return;
    uint32_t port = some_port(), out[3] = { 0 };
    arg[0] = port, arg[1] = rnd(), arg[2] = rnd(), arg[3] = rnd();
    c->want = valid_port(port) ? 0 : -PV_EINVAL;
    if (c->want == 0)
        status_words(&ports[port], out), statuses++;
    predict_out(c, arg, 4, 1, out);
}

/* A port to close, send on or unmask: peer=1, often one bound to the
 * partner's (its pending bit in the partner's report), else some_port's. */
static uint32_t port_to_name(void)
{
    if (!peer || !one_in(3))
        return some_port();
    for (uint32_t p = 1 + below(PV_NR_EVENT_CHANNELS - 1), n = 1; n < PV_NR_EVENT_CHANNELS; n++, p = p % 1023 + 1)
        if (ports[p].status == PV_EVTCHNSTAT_interdomain && ports[p].remote_dom == PEER_ID)
            return p;
    return some_port();
}

/* close, send, unmask: they only read their argument (a read-only one
 * will do). */
static void port_call(struct call *c, uint32_t cmd)
{
    uint32_t *arg = one_in(8) ? NULL : arena_alloc(4), port;
    if (arg) {
        *arg = port = port_to_name();
        c->arg[1] = (uint32_t)arg;
    } else if (one_in(2)) {
        c->arg[1] = read_only_pointer();
        port = *(const uint32_t *)c->arg[1];
    } else {
        c->arg[1] = bad_pointer();
        c->want = -PV_EFAULT;
        return;
    }
    if (kept(port, cmd))
        cmd = c->arg[0] = PV_EVTCHNOP_unmask;
    c->want = port_error(port);
    if (c->want)
        return;
    if (cmd == PV_EVTCHNOP_close)
        close_in_model(port);
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_virq)
        c->want = -PV_EINVAL;                   /* a VIRQ's events are the hypervisor's to send */
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_interdomain)
        doms[ports[port].remote_dom][ports[port].remote_port].pending = 1;
}

int32_t ports_send(uint32_t port)
{
    int32_t r = evtchn_port_op(PV_EVTCHNOP_send, port);
    if (r == 0 && ports[port].status == PV_EVTCHNSTAT_interdomain)
        doms[ports[port].remote_dom][ports[port].remote_port].pending = 1;
    return r;
}

uint32_t bound_ports(void)
{
    uint32_t n = 0;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        n += ports[p].status != PV_EVTCHNSTAT_closed;
    return n;
}

void event_call(struct call *c)
{
    uint32_t cmd = (uint32_t[]){ PV_EVTCHNOP_bind_virq, PV_EVTCHNOP_close, PV_EVTCHNOP_send, PV_EVTCHNOP_unmask,
                                 PV_EVTCHNOP_alloc_unbound, PV_EVTCHNOP_bind_interdomain, PV_EVTCHNOP_status,
                                 PV_EVTCHNOP_close, 2, 7, 99 }[below(11)];
    *c = (struct call){ PV_event_channel_op, { cmd, 0, rnd(), rnd(), rnd() }, -PV_ENOSYS, { NULL } };
    switch (cmd) {
    case PV_EVTCHNOP_bind_virq: bind_virq_call(c); break;
    case PV_EVTCHNOP_alloc_unbound: alloc_unbound_call(c); break;
    case PV_EVTCHNOP_bind_interdomain: bind_interdomain_call(c); break;
    case PV_EVTCHNOP_status: status_call(c); break;
    case PV_EVTCHNOP_close: case PV_EVTCHNOP_send: case PV_EVTCHNOP_unmask: port_call(c, cmd); break;
    default: c->arg[1] = rnd();             /* no such command */
    }
}

/* Each port's status as the model has it, asked of the hypervisor, up
 * to a few past the highest the model has bound (binds take the lowest
 * free: a port bound that the model does not know of shows in the next
 * bind's number), and the pending bits of the ports between VMs. The deep
 * check's: these VMCALLs are checks, not the fuzz's count. */
void check_ports(void)
{
    const uint32_t *pending = shared_info()->evtchn_pending;
    uint32_t last = 1;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        if (ports[p].status != PV_EVTCHNSTAT_closed)
            last = p;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS && p <= last + 16; p++) {
        struct pv_evtchn_status st = { p, 0, 0, 0 };
        struct call asked = { PV_event_channel_op, { PV_EVTCHNOP_status, (uint32_t)&st, p }, 0, { NULL } };
        uint32_t want[3];
        status_words(&ports[p], want);
        int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, (uint32_t)&st, 0);
        if (r || st.status != want[0] || st.remote_dom != want[1] || st.remote_port != want[2])
            wrong("a port's status (the third: its number; status << 16 | remote_port)", &asked,
                  want[0] << 16 | want[2], r ? (uint32_t)r : st.status << 16 | st.remote_port);
        if (linked(&ports[p]) && !!(pending[p / 32] & 1u << p % 32) != ports[p].pending)
            wrong("a port's pending bit", &asked, ports[p].pending, !ports[p].pending);
    }
}

/* The partner's ports as it saw them at the end (its status calls'). */
void check_partner_ports(const struct fuzz_report *r)
{
    for (uint32_t p = 1; p <= PARTNER_PORTS; p++) {
        const struct port_model *m = &doms[PEER_ID][p];
        const struct pv_evtchn_status *st = &r->port[p];
        struct call asked = { PV_event_channel_op, { PV_EVTCHNOP_status, PEER_ID, p }, 0, { NULL } };
        uint32_t want[3];
        status_words(m, want);
        if (st->port != p || st->status != want[0] || st->remote_dom != want[1] || st->remote_port != want[2])
            wrong("the partner's port (status << 16 | remote_dom << 12 | remote_port)", &asked,
                  want[0] << 16 | want[1] << 12 | want[2], st->status << 16 | st->remote_dom << 12 | st->remote_port);
        if (linked(m) && !!(r->pending & 1u << p) != m->pending)
            wrong("the partner's pending bit", &asked, m->pending, !m->pending);
    }
}
