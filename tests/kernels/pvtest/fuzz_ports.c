/*
 * fuzz_ports.c: the hypercall fuzzer's event channels (fuzz.h; lib/pv_abi.h
 * section 6): every port in the model, what it is bound to as the
 * hypervisor's evtchn_status reports it, and each event_channel_op call's
 * result predicted from it.
 */
#include "events.h"
#include "fuzz.h"
#include "pvtest.h"
#include "string.h"

uint32_t loopbacks, statuses;
static uint32_t timer_port;
/* Every event channel port (section 6): what it is bound to, as the
 * hypervisor's evtchn_status reports it, and for an interdomain port its
 * peer; pending, for the ports between VMs (no upcall runs: IF stays 0,
 * so only a close clears their bits). One VM: every channel between VMs
 * is a loopback, the VM's own id at both ends. */
static struct port_model {
    uint8_t status;                 /* PV_EVTCHNSTAT_* */
    uint8_t pending;                /* unbound and interdomain ports only */
    uint16_t remote_port;           /* interdomain: the peer; virq: the VIRQ */
} ports[PV_NR_EVENT_CHANNELS];

void ports_start(uint32_t console_port, uint32_t timer)
{
    timer_port = timer;
    ports[console_port] = (struct port_model){ PV_EVTCHNSTAT_console, 0, 0 };
    ports[timer_port] = (struct port_model){ PV_EVTCHNSTAT_virq, 0, PV_VIRQ_TIMER };
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
static uint32_t bind_port(uint8_t status, uint16_t remote_port)
{
    uint32_t p = lowest_free_port();
    if (p)
        ports[p] = (struct port_model){ status, 0, remote_port };
    return p;
}

/* close: the port freed (its pending bit cleared); a loopback's other end
 * left offered to the VM itself again (Xen's evtchn_close). */
static void close_in_model(uint32_t port)
{
    if (ports[port].status == PV_EVTCHNSTAT_interdomain)
        ports[ports[port].remote_port] = (struct port_model){ PV_EVTCHNSTAT_unbound,
                                                              ports[ports[port].remote_port].pending, 0 };
    ports[port] = (struct port_model){ PV_EVTCHNSTAT_closed, 0, 0 };
}

/* The status call's OUT words (status, remote_dom, remote_port) for port. */
static void status_words(uint32_t port, uint32_t *w)
{
    const struct port_model *m = &ports[port];
    bool linked = m->status == PV_EVTCHNSTAT_unbound || m->status == PV_EVTCHNSTAT_interdomain;
    w[0] = m->status, w[1] = linked ? SELF_ID : 0;
    w[2] = m->status == PV_EVTCHNSTAT_interdomain || m->status == PV_EVTCHNSTAT_virq ? m->remote_port : 0;
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

/* A domid for alloc_unbound and bind_interdomain: the VM itself (by
 * PV_DOMID_SELF or its id), or one there is not. */
static uint32_t some_dom(bool *self)
{
    uint32_t d = one_in(3) ? PV_DOMID_SELF : one_in(2) ? SELF_ID : one_in(2) ? 1 + below(8) : rnd();
    *self = d == PV_DOMID_SELF || d == SELF_ID;
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
        c->want = bound ? -PV_EEXIST : (port = bind_port(PV_EVTCHNSTAT_virq, (uint16_t)virq)) ? 0 : -PV_ENOSPC;
    }
    predict_out(c, arg, 3, 2, &port);
}

/* alloc_unbound: a port offered to the VM itself (a loopback's first
 * half) or to a VM there is not (-PV_ESRCH); dom other than itself is
 * -PV_EPERM (no VM may offer another's port). */
static void alloc_unbound_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    bool dom_self, remote_self;
    arg[0] = one_in(4) ? some_dom(&dom_self) : (dom_self = true, PV_DOMID_SELF);
    arg[1] = one_in(4) ? some_dom(&remote_self) : (remote_self = true, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    arg[2] = rnd();
    uint32_t port = 0;
    c->want = !dom_self ? -PV_EPERM : !remote_self ? -PV_ESRCH
              : (port = bind_port(PV_EVTCHNSTAT_unbound, 0)) ? 0 : -PV_ENOSPC;
    predict_out(c, arg, 3, 2, &port);
}

/* bind_interdomain: mostly to a port the VM offered itself (the loopback,
 * which must bind: its new port pending), else to any kind of port or a
 * VM there is not. */
static void bind_interdomain_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    uint32_t remote = some_port();
    if (!one_in(4))
        for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
            if (ports[p].status == PV_EVTCHNSTAT_unbound) {
                remote = p;
                break;
            }
    bool self;
    arg[0] = one_in(4) ? some_dom(&self) : (self = true, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    arg[1] = remote, arg[2] = rnd();
    uint32_t port = 0;
    if (!self)
        c->want = -PV_ESRCH;
    else if (!valid_port(remote) || ports[remote].status != PV_EVTCHNSTAT_unbound)
        c->want = -PV_EINVAL;
    else if (!(port = bind_port(PV_EVTCHNSTAT_interdomain, (uint16_t)remote)))
        c->want = -PV_ENOSPC;
    else {
        c->want = 0;
        ports[port].pending = 1;                    /* a send made before the bind is not lost */
        ports[remote] = (struct port_model){ PV_EVTCHNSTAT_interdomain, ports[remote].pending, (uint16_t)port };
        loopbacks++;
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
        status_words(port, out), statuses++;
    predict_out(c, arg, 4, 1, out);
}

/* close, send, unmask: they only read their argument (a read-only one
 * will do). */
static void port_call(struct call *c, uint32_t cmd)
{
    uint32_t *arg = one_in(8) ? NULL : arena_alloc(4), port;
    if (arg) {
        *arg = port = some_port();
        c->arg[1] = (uint32_t)arg;
    } else if (one_in(2)) {
        c->arg[1] = read_only_pointer();
        port = *(const uint32_t *)c->arg[1];
    } else {
        c->arg[1] = bad_pointer();
        c->want = -PV_EFAULT;
        return;
    }
    if (port == timer_port && cmd == PV_EVTCHNOP_close)
        cmd = c->arg[0] = PV_EVTCHNOP_unmask;        /* the block needs it */
    c->want = port_error(port);
    if (c->want)
        return;
    if (cmd == PV_EVTCHNOP_close)
        close_in_model(port);
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_virq)
        c->want = -PV_EINVAL;                   /* a VIRQ's events are the hypervisor's to send */
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_interdomain)
        ports[ports[port].remote_port].pending = 1;
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
        status_words(p, want);
        int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, (uint32_t)&st, 0);
        if (r || st.status != want[0] || st.remote_dom != want[1] || st.remote_port != want[2])
            wrong("a port's status (the third: its number; status << 16 | remote_port)", &asked,
                  want[0] << 16 | want[2], r ? (uint32_t)r : st.status << 16 | st.remote_port);
        bool linked = want[0] == PV_EVTCHNSTAT_unbound || want[0] == PV_EVTCHNSTAT_interdomain;
        if (linked && !!(pending[p / 32] & 1u << p % 32) != ports[p].pending)
            wrong("a port's pending bit", &asked, ports[p].pending, !ports[p].pending);
    }
}
