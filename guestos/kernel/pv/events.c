/*
 * events.c: event channels (lib/pv_abi.h section 6), the PV kernel's
 * interrupts, and plat.h's interrupt operations that are more than a store.
 *
 * A source (a VIRQ: the timer, the balloon) is bound to a port; an event
 * sets the port's pending bit, and, while the kernel's upcall mask is 0
 * and the CPU's IF is 1, the hypervisor delivers an upcall: an external
 * interrupt at EVENT_UPCALL_VECTOR through the kernel's IDT (trap.c). The
 * upcall mask is the kernel's "IF" (plat.h's irq_save), the CPU's IF stays
 * on but in the few instructions after a gate (trap_irq_enter).
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"

static void (*handlers[PV_NR_EVENT_CHANNELS])(void);

static int32_t evtchn_op(uint32_t cmd, void *arg) { return hypercall2(PV_event_channel_op, cmd, arg); }

void init_events(void)
{
    extern char vector243[];
    set_interrupt_gate(EVENT_UPCALL_VECTOR, (void (*)(void))vector243);
    int32_t r = hypercall1(PV_set_callbacks, EVENT_UPCALL_VECTOR);
    if (r < 0)
        panic("pv: set_callbacks(0x%x) failed: %d", EVENT_UPCALL_VECTOR, r);
}

/* Bind a VIRQ to a new port whose events call handler, and unmask it. */
uint32_t bind_virq(uint32_t virq, void (*handler)(void))
{
    struct pv_evtchn_bind_virq bind = {.virq = virq, .vcpu = 0};
    int32_t r = evtchn_op(PV_EVTCHNOP_bind_virq, &bind);
    if (r < 0 || bind.port >= PV_NR_EVENT_CHANNELS)
        panic("pv: event_channel_op bind_virq(virq %u) failed: %d (port %u)", virq, r, bind.port);
    listen_on_port(bind.port, handler);
    return bind.port;
}

/* Events on port call handler; the port unmasked. */
void listen_on_port(uint32_t port, void (*handler)(void))
{
    handlers[port] = handler;
    struct pv_evtchn_port p = {port};
    int32_t r = evtchn_op(PV_EVTCHNOP_unmask, &p);
    if (r < 0)
        panic("pv: event_channel_op unmask(port %u) failed: %d", port, r);
}

/* The upcall (trap.c, with the mask set): take the pending words, then
 * each word's pending and unmasked ports, and run their handlers. */
void handle_event_upcall(void)
{
    pv_vcpu->evtchn_upcall_pending = 0;
    uint32_t words = __atomic_exchange_n(&pv_vcpu->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (words) {
        uint32_t w = __builtin_ctz(words);
        words &= words - 1;
        uint32_t ports = pv_shared->evtchn_pending[w] & ~pv_shared->evtchn_mask[w];
        __atomic_fetch_and(&pv_shared->evtchn_pending[w], ~ports, __ATOMIC_SEQ_CST);
        while (ports) {
            uint32_t port = w * 32 + __builtin_ctz(ports);
            ports &= ports - 1;
            if (handlers[port])
                handlers[port]();
        }
    }
}

/* An event came while masked: the kernel takes the upcall itself, through
 * its own gate (INT n at ring 0: no exit), as the hypervisor would have
 * delivered it (any hypercall would, xen_version being the cheapest, but
 * an exit costs hundreds of cycles). The handler clears the pending flag
 * before it looks at the ports, so that one coming meanwhile is not lost. */
void pv_force_upcall(void) { __asm__ volatile("int %0" : : "i"(EVENT_UPCALL_VECTOR) : "memory"); }

/* Natively STI; HLT; CLI. sched_op block clears the mask and sleeps until
 * an event is pending; its upcall comes as the call returns. */
void idle_wait(void)
{
    hypercall2(PV_sched_op, PV_SCHEDOP_block, 0);
    pv_vcpu->evtchn_upcall_mask = 1;
    __asm__ volatile("" : : : "memory");
}

/* A new process's first return to ring 3 (start.S). */
void unmask_events(void) { irq_restore(0); }
