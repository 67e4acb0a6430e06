/*
 * evtchn.c: event_channel_op and set_callbacks (see evtchn.h).
 *
 * Channels between VMs (lib/pv_abi.h section 6) are the one place an event
 * call reaches another VM: through the machine's table of PV VMs by id,
 * kept here, and only along a binding both VMs agreed to (the hypervisor's
 * record of it, never the guests' pages). A VM that has stopped is no
 * domain for anyone: its bindings were undone when it ended.
 */
#include "pv/evtchn.h"
#include "pv/evtchn_interdomain.h"
#include "exit/vm_devices.h"
#include "exit/vm_interrupts.h"
#include "pv/guest_copy.h"
#include "pv/pv_console.h"
#include "pv/pv_domain.h"

static struct vm *domains[VMS_MAX];          /* every PV VM, by id */

void pv_evtchn_add_domain(struct vm *vm)
{
    domains[vm->id] = vm;
}

/* The live PV VM dom names (PV_DOMID_SELF: v's own), or NULL. */
static struct vm *domain(const struct vcpu *v, uint32_t dom)
{
    if (dom == PV_DOMID_SELF)
        return v->vm;
    if (dom >= VMS_MAX || !domains[dom] || domains[dom]->vcpu.stopped)
        return NULL;
    return domains[dom];
}

/* A call's argument, read, and its OUT fields (out_bytes at out) written
 * back unchanged before anything is done: a call whose result the guest
 * could not receive fails having changed nothing (lib/pv_abi.h section 2).
 * After the call the same bytes are writable: no guest ran since. */
static int32_t read_arg(struct vcpu *v, void *a, uint32_t arg, uint32_t size, uint32_t out, uint32_t out_bytes)
{
    if (copy_from_guest(v, a, arg, size))
        return -PV_EFAULT;
    if (copy_to_guest(v, arg + out, (const char *)a + out, out_bytes))
        return -PV_EFAULT;
    return 0;
}

/* The OUT fields, once the call is done. Only they: the argument's other
 * bytes may be in a page the guest cannot write. */
static void write_out(struct vcpu *v, const void *a, uint32_t arg, uint32_t out, uint32_t out_bytes)
{
    copy_to_guest(v, arg + out, (const char *)a + out, out_bytes);
}

#define OUT_FIELDS(a, first) (uint32_t)offsetof(__typeof__(a), first), \
                             (uint32_t)(sizeof(a) - offsetof(__typeof__(a), first))
#define READ_ARG(v, a, arg, first) read_arg(v, &(a), arg, sizeof(a), OUT_FIELDS(a, first))
#define WRITE_OUT(v, a, arg, first) write_out(v, &(a), arg, OUT_FIELDS(a, first))

static int32_t bind_virq(struct vcpu *v, uint32_t arg)
{
    struct pv_evtchn_bind_virq b;
    int32_t r = READ_ARG(v, b, arg, port);
    if (r || (r = evtchn_bind_virq(&pv_of(v)->evtchn, b.virq, b.vcpu, &b.port)))
        return r;
    WRITE_OUT(v, b, arg, port);
    return 0;
}

/* Xen lets only a privileged domain offer a port of another's: here no VM
 * is, so dom is the caller. */
static int32_t alloc_unbound(struct vcpu *v, uint32_t arg)
{
    struct pv_evtchn_alloc_unbound a;
    int32_t r = READ_ARG(v, a, arg, port);
    if (r)
        return r;
    if (a.dom != PV_DOMID_SELF && a.dom != v->vm->id)
        return -PV_EPERM;
    struct vm *remote = domain(v, a.remote_dom);
    if (!remote)
        return -PV_ESRCH;
    if ((r = evtchn_alloc_unbound(&pv_of(v)->evtchn, remote->id, &a.port)))
        return r;
    WRITE_OUT(v, a, arg, port);
    return 0;
}

static int32_t bind_interdomain(struct vcpu *v, uint32_t arg)
{
    struct pv_evtchn_bind_interdomain b;
    int32_t r = READ_ARG(v, b, arg, local_port);
    if (r)
        return r;
    struct vm *remote = domain(v, b.remote_dom);
    if (!remote)
        return -PV_ESRCH;
    struct evtchn_ports *local = &pv_of(v)->evtchn;
    if ((r = evtchn_bind_interdomain(local, v->vm->id, &remote->pv->evtchn, remote->id, b.remote_port,
                                     &b.local_port)))
        return r;
    evtchn_set_pending(local, b.local_port);     /* a send made before the bind is not lost (Xen) */
    WRITE_OUT(v, b, arg, local_port);
    return 0;
}

static int32_t status(struct vcpu *v, uint32_t arg)
{
    struct pv_evtchn_status st;
    int32_t r = READ_ARG(v, st, arg, status);
    if (r || (r = evtchn_status(&pv_of(v)->evtchn, st.port, &st)))
        return r;
    WRITE_OUT(v, st, arg, status);
    return 0;
}

/* LAB 6 BEGIN: an event raised on another VM's port, the VM woken if it waits */
/* An event on port peer_port of VM peer. If the VM waits for one in
 * sched_op block, the scheduler must know that it has something to take
 * (its upcall, if due, makes its timer fire at once when its turn comes:
 * vm_interrupts_set_quantum); its look before that entry does the rest
 * (pv_events_before_entry: the block ended, the upcall injected). */
static void raise_on(struct vm *peer, uint32_t peer_port)
{
    struct pv_domain *pv = peer->pv;
    evtchn_set_pending(&pv->evtchn, peer_port);
    if (!pv->blocked || !evtchn_upcall_pending(&pv->evtchn))
        return;
    uint8_t vector = evtchn_upcall_vector(&pv->evtchn);
    if (vector)
        peer->devices->hv_vector = vector;
    vm_interrupts_wake(&peer->vcpu);
}
/* LAB 6 END */

static int32_t send_event(struct vcpu *v, uint32_t port)
{
    struct evtchn_ports *e = &pv_of(v)->evtchn;
    int r = evtchn_send(e, port);
    uint32_t dom, peer_port;
    if (r == EVTCHN_CONSOLE)
        pv_console_drain(v);
    else if (r == EVTCHN_INTERDOMAIN && evtchn_peer(e, port, &dom, &peer_port))
        raise_on(domains[dom], peer_port);
    return r < 0 ? r : 0;
}

/* Closing one end of a channel between VMs leaves the other unbound,
 * offered to the closer (Xen's evtchn_close). */
static int32_t close_port(struct vcpu *v, uint32_t port)
{
    struct evtchn_ports *e = &pv_of(v)->evtchn;
    uint32_t dom, peer_port;
    bool linked = evtchn_peer(e, port, &dom, &peer_port);
    int r = evtchn_close(e, port);
    if (r == 0 && linked)
        evtchn_peer_left(&domains[dom]->pv->evtchn, peer_port, v->vm->id, port);
    return r;
}

void pv_evtchn_vm_ended(struct vm *vm)
{
    struct evtchn_ports *e = &vm->pv->evtchn;
    for (uint32_t port = 1; port < PV_NR_EVENT_CHANNELS; port++) {
        uint32_t dom, peer_port;
        if (!evtchn_peer(e, port, &dom, &peer_port) || dom == vm->id)
            continue;
        evtchn_peer_left(&domains[dom]->pv->evtchn, peer_port, vm->id, port);
        raise_on(domains[dom], peer_port);         /* it learns (status) that its peer left */
    }
}

bool pv_evtchn_peer_can_send(const struct vcpu *v)
{
    const struct evtchn_ports *e = &pv_of(v)->evtchn;
    for (uint32_t port = 1; port < PV_NR_EVENT_CHANNELS; port++) {
        bool linked = e->bound[port] == EVTCHN_INTERDOMAIN || e->bound[port] == EVTCHN_UNBOUND;
        if (linked && e->peer_dom[port] != v->vm->id && domain(v, e->peer_dom[port]))
            return true;
    }
    return false;
}

int32_t pv_event_channel_op(struct vcpu *v, const uint32_t *args)
{
    uint32_t cmd = args[0], arg = args[1];
    switch (cmd) {
    case PV_EVTCHNOP_bind_virq:        return bind_virq(v, arg);
    case PV_EVTCHNOP_alloc_unbound:    return alloc_unbound(v, arg);
    case PV_EVTCHNOP_bind_interdomain: return bind_interdomain(v, arg);
    case PV_EVTCHNOP_status:           return status(v, arg);
    case PV_EVTCHNOP_close: case PV_EVTCHNOP_send: case PV_EVTCHNOP_unmask:
        break;
    default:
        return -PV_ENOSYS;
    }
    struct pv_evtchn_port p;
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -PV_EFAULT;
    switch (cmd) {
    case PV_EVTCHNOP_close:  return close_port(v, p.port);
    case PV_EVTCHNOP_unmask: return evtchn_unmask(&pv_of(v)->evtchn, p.port);
    default:                 return send_event(v, p.port);
    }
}

int32_t pv_set_callbacks(struct vcpu *v, const uint32_t *args)
{
    return evtchn_set_callback(&pv_of(v)->evtchn, args[0]);
}
