/*
 * events.c: the PV test kernel's event side (see events.h). The upcall
 * handler is Xen's 2-level one (lib/pv_abi.h section 6): upcall_pending
 * cleared first, then the words of pending_sel and, in each, the ports
 * pending and not masked, each taken with an atomic exchange (the
 * hypervisor may set more between two of the guest's instructions, never
 * in the middle of one).
 */
#include <stdbool.h>
#include "events.h"
#include "pv_clock.h"
#include "pvtest.h"
#include "string.h"

volatile uint32_t upcalls, upcalls_while_masked;
volatile uint64_t last_upcall_ns, last_upcall_record_ns;
volatile uint32_t port_events[64];
void (*volatile upcall_hook)(void);

static uint64_t idt[256] __attribute__((aligned(8)));

void upcall_entry(void);
void upcall_handler(void);
__asm__(".text\n"
        ".globl upcall_entry\n"
        "upcall_entry:\n"
        "    pushal\n"
        "    cld\n"
        "    call upcall_handler\n"
        "    popal\n"
        "    iret\n");

struct pv_shared_info *shared_info(void)
{
    return (struct pv_shared_info *)start_info->shared_info;
}

void upcall_handler(void)
{
    struct pv_shared_info *s = shared_info();
    struct pv_vcpu_info *v = &s->vcpu_info[0];
    if (v->evtchn_upcall_mask)
        upcalls_while_masked++;
    upcalls++;
    if (upcall_hook)
        upcall_hook();
    last_upcall_ns = pv_now();
    last_upcall_record_ns = v->time.system_time;
    v->evtchn_upcall_pending = 0;
    uint32_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        uint32_t w = (uint32_t)__builtin_ctz(sel);
        sel &= sel - 1;
        uint32_t bits = s->evtchn_pending[w] & ~s->evtchn_mask[w];
        while (bits) {
            uint32_t b = (uint32_t)__builtin_ctz(bits);
            bits &= bits - 1;
            __atomic_fetch_and(&s->evtchn_pending[w], ~(1u << b), __ATOMIC_SEQ_CST);
            uint32_t port = w * 32 + b;
            if (port < 64)
                port_events[port]++;
        }
    }
}

struct __attribute__((packed)) table_pointer {
    uint16_t limit;
    uint32_t base;
};

int32_t events_install(void)
{
    /* The VM's 8259A pair as a BIOS leaves it (devices=virtual) would bring
     * the PIT's IRQ 0 at vector 8 once IF is 1: a PV kernel's interrupts
     * are its upcalls, so every line is masked (OCW1). */
    __asm__ volatile("outb %%al, $0x21; outb %%al, $0xA1" : : "a"(0xFF));
    struct table_pointer old;
    __asm__ volatile("sidt %0" : "=m"(old));
    memcpy(idt, (const void *)old.base, old.limit + 1u);
    uint32_t off = (uint32_t)upcall_entry;
    /* A 32-bit interrupt gate (IF cleared on entry, SDM 6.12.1.3), DPL 0. */
    idt[UPCALL_VECTOR] = (off & 0xFFFF) | 0x08u << 16 | (uint64_t)0x8E00 << 32 | (uint64_t)(off >> 16) << 48;
    struct table_pointer now = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(now) : "memory");
    return vmcall3(PV_set_callbacks, UPCALL_VECTOR, 0, 0);
}

void events_on(void)
{
    shared_info()->vcpu_info[0].evtchn_upcall_mask = 0;
    __asm__ volatile("sti" ::: "memory");
    vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);   /* an upcall pending is taken now */
}

uint64_t pv_now(void) { return pv_clock_ns(&shared_info()->vcpu_info[0].time); }

int32_t evtchn_bind_virq(uint32_t virq, uint32_t *port)
{
    struct pv_evtchn_bind_virq b = { virq, 0, 0 };
    int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_virq, (uint32_t)&b, 0);
    *port = b.port;
    return r;
}

int32_t evtchn_port_op(uint32_t cmd, uint32_t port)
{
    struct pv_evtchn_port p = { port };
    return vmcall3(PV_event_channel_op, cmd, (uint32_t)&p, 0);
}

int32_t set_timer(uint64_t deadline_ns)
{
    return vmcall3(PV_set_timer_op, (uint32_t)deadline_ns, (uint32_t)(deadline_ns >> 32), 0);
}

int32_t block(void)
{
    return vmcall3(PV_sched_op, PV_SCHEDOP_block, 0, 0);
}

uint32_t block_until_upcalls(uint32_t n, uint32_t tries)
{
    while (upcalls < n && tries--)
        block();
    return upcalls;
}

void spin_until(uint64_t ns)
{
    while (pv_now() < ns)
        vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
}

void events_up(uint64_t give_up_ms)
{
    int32_t r = events_install();
    if (r)
        result("FAILED set_callbacks %d", r);
    events_on();
    uint32_t timer;
    if ((r = evtchn_bind_virq(PV_VIRQ_TIMER, &timer)) || (r = evtchn_port_op(PV_EVTCHNOP_unmask, timer)))
        result("FAILED the timer's port %d", r);
    set_timer(pv_now() + give_up_ms * 1000000ull);
}

void *map_grant_over(void *own_page, uint32_t dom, uint32_t ref, uint32_t tries)
{
    uint32_t va = (uint32_t)own_page;
    if (vmcall3(PV_update_va_mapping, va, 0, PV_UVMF_INVLPG))
        result("FAILED unmap own page at 0x%x", va);
    struct pv_gnttab_map_grant_ref op = { va, 0, ref, dom, 99, 0 };
    for (uint32_t t = 0; t < tries; t++) {
        op.status = 99;
        int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_map_grant_ref, (uint32_t)&op, 1);
        if (r == 0 && op.status == 0)
            return own_page;
        vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
    }
    result("FAILED map of vm%u's ref %u: %d", dom, ref, op.status);
}
