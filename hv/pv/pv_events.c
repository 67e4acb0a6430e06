/*
 * pv_events.c: a PV guest's events as a whole (see pv_events.h).
 *
 * An upcall (lib/pv_abi.h section 6) is an external interrupt with the
 * vector set_callbacks gave, delivered through the guest's IDT, as lab 4
 * delivers its PIC's and APIC's: vm_interrupts.c injects it at the VM
 * entry when the guest's IF is 1 (no blocking by STI or MOV SS), and asks
 * for the interrupt window when it is not (SDM 25.6.2). What is the PV
 * guest's own, its virtual IF (evtchn_upcall_mask) and the pending flags,
 * is in its shared-info page, looked at here before each entry: the guest
 * changes them with plain stores that never exit.
 */
#include "pv/pv_events.h"
#include "exit/vm_devices.h"
#include "exit/vm_input.h"
#include "guest/guest.h"
#include "pv/balloon.h"
#include "pv/evtchn.h"
#include "pv/pv_console.h"
#include "pv/pv_domain.h"
#include "pv/pv_time.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "cpu/panic.h"

/* A page of the VM's by pfn (the builder's, contiguous at build time). */
static void *builder_page(struct vm *vm, uint32_t pfn)
{
    return guest_ptr(&vm->guest, ((uint64_t)vm->pv->first_mfn + pfn) * PV_PAGE_SIZE, PV_PAGE_SIZE);
}

void pv_events_setup(struct vm *vm, const struct balloon_targets *balloon)
{
    struct pv_domain *pv = vm->pv;
    pv->shared = builder_page(vm, pv->shared_info_pfn);
    pv->console = builder_page(vm, pv->console_pfn);
    struct pv_start_info *si = builder_page(vm, pv->start_info_pfn);
    if (!pv->shared || !pv->console || !si)
        panic("PV events: the builder's pages are not the VM's");
    evtchn_init(&pv->evtchn, pv->shared);
    if (evtchn_bind_console(&pv->evtchn, &pv->console_port))
        panic("PV events: no port for the console ring");
    si->console_evtchn = pv->console_port;
    pv_evtchn_add_domain(vm);
    vm->devices->input.ring = vm->devices->takes_input;   /* VM 0's typed input reaches its ring */
    pv->timer_tsc = pv->periodic_tsc = UINT64_MAX;
    pv_balloon_setup(vm, balloon);
}

void pv_events_start(struct vcpu *v, uint64_t tsc_hz)
{
    if (pv_of(v))
        pv_time_start(v, tsc_hz);
}

void pv_events_before_entry(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    if (!pv)
        return;
    struct vm_devices *d = v->vm->devices;
    if (d->input.ring)
        pv_console_feed(v);
    uint64_t guest_tsc = pv_guest_tsc(v);
    uint64_t balloon_tsc = pv_balloon_before_entry(v, guest_tsc);
    pv_time_before_entry(v, guest_tsc);
    uint64_t timer_tsc = pv_time_next_event(v);
    d->pv_event_guest_tsc = timer_tsc < balloon_tsc ? timer_tsc : balloon_tsc;
    /* sched_op block returns when an event is pending, masked or not
     * (Xen's rule): the CPU leaves the HLT activity state it waits in. */
    if (pv->blocked && evtchn_upcall_pending(&pv->evtchn)) {
        pv->blocked = false;
        vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    }
    /* IF is vm_interrupts.c's to check (true here): it waits for the window. */
    d->hv_vector = evtchn_upcall_vector(&pv->evtchn);
}

void pv_events_end(struct vcpu *v)
{
    if (!pv_of(v))
        return;
    pv_console_drain(v);
    pv_evtchn_vm_ended(v->vm);
}

bool pv_events_unmask_and_test(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    pv->shared->vcpu_info[0].evtchn_upcall_mask = 0;
    pv->blocked = !evtchn_upcall_pending(&pv->evtchn);
    return !pv->blocked;
}

bool pv_events_blocked(const struct vcpu *v)
{
    return pv_of(v) && pv_of(v)->blocked;
}

/* The VM's own sources: its timer, its balloon's steps, typed input. */
static bool own_event_can_come(const struct vcpu *v)
{
    const struct pv_domain *pv = pv_of(v);
    return pv_time_next_event(v) != UINT64_MAX || pv->balloon_next_ms != ~0u ||
           vm_input_poll_tsc(v->vm->devices) != UINT64_MAX;
}

bool pv_event_can_come(const struct vcpu *v)
{
    return own_event_can_come(v) || pv_evtchn_peer_can_send(v);
}

bool pv_events_wait_on_others(const struct vcpu *v)
{
    const struct pv_domain *pv = pv_of(v);
    return pv && pv->blocked && !evtchn_upcall_pending(&pv->evtchn) && !own_event_can_come(v);
}
