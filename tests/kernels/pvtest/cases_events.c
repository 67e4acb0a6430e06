/*
 * cases_events.c: PV time, event channels and upcalls, the console ring
 * (lib/pv_abi.h sections 6 and 7; hv/pv/evtchn.c, pv_time.c, pv_events.c,
 * pv_console.c). Each case prints what it saw (counts, result codes) for
 * tests/integration/pv_cases.py to compare with what it must be.
 */
#include <stdbool.h>
#include "events.h"
#include "fmt.h"
#include "pvtest.h"
#include "string.h"

#define MS 1000000ull

/* Set up: the upcall's vector, VIRQ_TIMER bound (and unmasked if asked). */
static uint32_t timer_port(bool unmask)
{
    uint32_t port;
    int32_t r = events_install();
    if (r)
        result("FAILED set_callbacks %d", r);
    if ((r = evtchn_bind_virq(PV_VIRQ_TIMER, &port)) != 0)
        result("FAILED bind_virq %d", r);
    if (unmask && (r = evtchn_port_op(PV_EVTCHNOP_unmask, port)) != 0)
        result("FAILED unmask %d", r);
    return port;
}

/* ---- friendly ---- */

PV_CASE(timer_once, "timer-once", "set_timer_op: one VIRQ_TIMER upcall, not before the deadline")
{
    uint32_t port = timer_port(true);
    events_on();
    uint64_t deadline = pv_now() + 5 * MS;
    set_timer(deadline);
    uint32_t n = block_until_upcalls(1, 100);
    uint64_t at = last_upcall_record_ns;     /* the hypervisor's time when it raised the VIRQ */
    spin_until(deadline + 10 * MS);          /* a one-shot: nothing more comes */
    result("timer: upcalls %u early %u events %u masked-upcalls %u", upcalls, n && at < deadline,
           port_events[port], upcalls_while_masked);
}

PV_CASE(timer_past, "timer-past", "set_timer_op with a deadline passed: the upcall at once")
{
    timer_port(true);
    events_on();
    int32_t r = set_timer(1);
    uint32_t n = upcalls;                     /* the upcall came at the hypercall's VM entry */
    result("past: set_timer_op %d, upcalls right after %u", r, n);
}

PV_CASE(timer_cancel, "timer-cancel", "set_timer_op 0 cancels: the first timer never fires, a later one does")
{
    timer_port(true);
    events_on();
    uint64_t first = pv_now() + 3 * MS;
    set_timer(first);
    int32_t r = set_timer(0);
    spin_until(first + 3 * MS);
    uint32_t after_first = upcalls;
    uint64_t second = pv_now() + 2 * MS;
    set_timer(second);
    block_until_upcalls(1, 100);
    uint64_t at = last_upcall_record_ns;
    spin_until(second + 3 * MS);
    result("cancel: set_timer_op 0 %d, upcalls %u after the first deadline, %u after the second, early %u", r,
           after_first, upcalls, at < second);
}

static int32_t periodic(uint32_t vcpu, uint64_t period_ns)
{
    struct pv_vcpu_set_periodic_timer set = { period_ns };
    return vmcall3(PV_vcpu_op, PV_VCPUOP_set_periodic_timer, vcpu, (uint32_t)&set);
}

PV_CASE(timer_periodic, "timer-periodic", "vcpu_op's periodic timer: an upcall every 2 ms, none early, none once stopped")
{
    uint32_t port = timer_port(true);
    events_on();
    uint64_t start = pv_now();
    int32_t set = periodic(0, 2 * MS);
    block_until_upcalls(1, 100);
    uint64_t first = last_upcall_record_ns;
    spin_until(start + 21 * MS);             /* the events at 2, 4 .. 20 ms */
    /* Counted at the stop, not before it: an event raised before the stop
     * comes at the latest at its hypercall's VM entry, and one due at 20 ms
     * may come that late (the hypervisor's time decides). */
    int32_t stop = vmcall3(PV_vcpu_op, PV_VCPUOP_stop_periodic_timer, 0, 0);
    uint32_t n = upcalls;
    spin_until(pv_now() + 10 * MS);
    result("periodic: set %d, upcalls in 21 ms 9..11 %d, first early %d; stop %d, upcalls after it %u, events %d",
           set, n >= 9 && n <= 11, first < start + 2 * MS, stop, upcalls - n, port_events[port] == upcalls);
}

PV_CASE(event_masked, "event-masked", "an event on a masked port pends with no upcall, and comes at unmask")
{
    struct pv_shared_info *s = shared_info();
    uint32_t port = timer_port(false);       /* the builder masked every port */
    events_on();
    set_timer(1);
    for (int i = 0; i < 3; i++)
        vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    uint32_t before = upcalls, pending = (s->evtchn_pending[port / 32] >> (port % 32)) & 1;
    uint32_t upcall_pending = s->vcpu_info[0].evtchn_upcall_pending;
    int32_t r = evtchn_port_op(PV_EVTCHNOP_unmask, port);
    uint32_t after = upcalls;
    result("masked: upcalls %u pending %u upcall_pending %u; unmask %d, upcalls %u events %u", before, pending,
           upcall_pending, r, after, port_events[port]);
}

PV_CASE(upcall_mask, "upcall-mask", "no upcall while upcall_mask is set, nor while IF is 0; then one")
{
    struct pv_vcpu_info *v = &shared_info()->vcpu_info[0];
    timer_port(true);
    v->evtchn_upcall_mask = 1;
    __asm__ volatile("sti" ::: "memory");
    set_timer(1);
    for (int i = 0; i < 3; i++)
        vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    uint32_t masked = upcalls, pending = v->evtchn_upcall_pending;
    __asm__ volatile("cli" ::: "memory");
    v->evtchn_upcall_mask = 0;
    vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    uint32_t if0 = upcalls;
    __asm__ volatile("sti; nop; nop" ::: "memory");     /* the interrupt window opens */
    uint32_t if1 = upcalls;
    result("mask: upcalls %u pending %u; IF=0 upcalls %u; IF=1 upcalls %u; while masked %u", masked, pending,
           if0, if1, upcalls_while_masked);
}

PV_CASE(block_if0, "block-if0", "sched_op block with IF 0: an event ends it, the upcall waits for IF")
{
    struct pv_vcpu_info *v = &shared_info()->vcpu_info[0];
    timer_port(true);
    __asm__ volatile("cli" ::: "memory");
    uint64_t deadline = pv_now() + 3 * MS;
    set_timer(deadline);
    int32_t r = block();
    uint64_t woke = pv_now();
    uint32_t during = upcalls, pending = v->evtchn_upcall_pending;
    __asm__ volatile("sti; nop; nop" ::: "memory");
    result("block: %d, woken %s the deadline, upcalls %u pending %u; after sti upcalls %u", r,
           woke >= deadline ? "after" : "before", during, pending, upcalls);
}

PV_CASE(version_loop, "version-loop", "the time record: even versions, rewritten at each entry, time never back")
{
    volatile struct pv_vcpu_time_info *t = &shared_info()->vcpu_info[0].time;
    uint32_t odd = 0, same = 0, back = 0;
    uint64_t last = pv_now();
    for (int i = 0; i < 100; i++) {
        uint32_t v1 = t->version;
        vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
        uint32_t v2 = t->version;
        odd += (v1 & 1) + (v2 & 1);
        same += v1 == v2;
        uint64_t now = pv_now();
        back += now < last;
        last = now;
    }
    t->version = 7;                          /* the guest scribbles an odd version */
    vmcall3(PV_xen_version, PV_XENVER_version, 0, 0);
    uint32_t after = t->version;
    result("versions: odd %u unchanged %u backwards %u; after 7: %s, time %s", odd, same, back,
           after & 1 ? "odd" : after > 7 ? "even and newer" : "even and older",
           last > 0 && t->tsc_to_system_mul ? "running" : "stopped");
}

/* The console page's ring (section 7). */
static struct pv_console *console_page(void)
{
    return (struct pv_console *)(PV_VIRT_BASE + start_info->console_pfn * 4096);
}

static void ring_write(struct pv_console *c, const char *s)
{
    for (; *s; s++)
        c->out[c->out_prod % sizeof(c->out)] = *s, c->out_prod++;
}

PV_CASE(console_ring, "console-ring", "console ring output: lines at each send, the rest at the VM's end")
{
    struct pv_console *c = console_page();
    uint32_t port = start_info->console_evtchn;
    int32_t r = 0;
    char line[80];
    /* 60 lines of 64 bytes: the 2048-byte ring wraps. */
    for (int i = 0; i < 60; i++) {
        snprintf(line, sizeof(line), "pvtest: ring line %02d %s\n", i, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop");
        ring_write(c, line);
        if (i % 8 == 7 || i == 59)
            r |= evtchn_port_op(PV_EVTCHNOP_send, port);
    }
    ring_write(c, "pvtest: ring line at the end, with no send\n");
    result("ring: port %u, sends %d, out_cons %u of %u", port, r, c->out_cons, c->out_prod);
}

PV_CASE(console_input, "console-input", "typed input in the console ring's in[], an event on its port")
{
    struct pv_console *c = console_page();
    uint32_t port = start_info->console_evtchn;
    static char line[128];
    uint32_t n = 0;
    events_install();
    evtchn_port_op(PV_EVTCHNOP_unmask, port);
    events_on();
    printf("INPUT ready\n");                 /* the console protocol's: the runner types now */
    for (uint32_t blocks = 0; blocks < 10000; blocks++) {
        while (c->in_cons != c->in_prod) {
            char ch = c->in[c->in_cons % sizeof(c->in)];
            c->in_cons++;
            if (ch == '\n' || ch == '\r') {
                line[n] = 0;
                result("typed '%s' (%u bytes, %u upcalls, %u on the console's port)", line, n, upcalls,
                       port_events[port]);
            }
            if (n + 1 < sizeof(line))
                line[n++] = ch;
        }
        block();
    }
    result("FAILED no line typed: %u bytes", n);
}

/* ---- hostile ---- */

PV_CASE(console_ring_broken, "console-ring-broken", "a console ring whose producer is 5000 bytes ahead")
{
    struct pv_console *c = console_page();
    c->out_prod = c->out_cons + 5000;
    int32_t r = evtchn_port_op(PV_EVTCHNOP_send, start_info->console_evtchn);
    result("broken ring: send %d, out_cons %s out_prod", r, c->out_cons == c->out_prod ? "==" : "!=");
}

PV_CASE(evtchn_bad, "evtchn-bad", "event_channel_op with bad VIRQs, ports, commands and pointers")
{
    uint32_t port, twice;
    int32_t virq16 = evtchn_bind_virq(PV_NR_VIRQS, &port);
    int32_t virq_huge = evtchn_bind_virq(0xFFFFFFFFu, &port);
    struct pv_evtchn_bind_virq vcpu1 = { PV_VIRQ_TIMER, 1, 0 };
    int32_t on_vcpu1 = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_virq, (uint32_t)&vcpu1, 0);
    /* bind_virq whose port field cannot be written (the page directory,
     * mapped read-only; its slot 0 reads 0: VIRQ_TIMER): nothing bound. */
    int32_t ro = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_virq, start_info->pt_base, 0);
    int32_t first = evtchn_bind_virq(PV_VIRQ_TIMER, &port);
    int32_t again = evtchn_bind_virq(PV_VIRQ_TIMER, &twice);
    printf("pvtest: bind_virq %d %d %d ro %d, timer %d then %d\n", virq16, virq_huge, on_vcpu1, ro, first, again);
    static const uint32_t bad[] = { 0, PV_NR_EVENT_CHANNELS, 0xFFFFFFFFu, 500 };
    for (unsigned i = 0; i < 4; i++)
        printf("pvtest: port 0x%x: send %d unmask %d close %d\n", bad[i], evtchn_port_op(PV_EVTCHNOP_send, bad[i]),
               evtchn_port_op(PV_EVTCHNOP_unmask, bad[i]), evtchn_port_op(PV_EVTCHNOP_close, bad[i]));
    int32_t send_virq = evtchn_port_op(PV_EVTCHNOP_send, port);
    int32_t close1 = evtchn_port_op(PV_EVTCHNOP_close, port);
    int32_t close2 = evtchn_port_op(PV_EVTCHNOP_close, port);
    int32_t unknown = evtchn_port_op(2, 1);
    int32_t unmapped = vmcall3(PV_event_channel_op, PV_EVTCHNOP_send, 0x1000, 0);
    int32_t unmapped_bind = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_virq, 0x1000, 0);
    result("evtchn: send on a VIRQ %d, close %d then %d, cmd 2 %d, unmapped %d %d", send_virq, close1, close2,
           unknown, unmapped, unmapped_bind);
}

PV_CASE(vcpu_op_bad, "vcpu-op-bad", "vcpu_op: periods under 1 ms or too long, vCPU 1, bad pointers and commands")
{
    timer_port(true);
    events_on();
    int32_t zero = periodic(0, 0), under = periodic(0, PV_PERIODIC_MIN_NS - 1);
    int32_t over = periodic(0, PV_PERIODIC_MAX_NS + 1), huge = periodic(0, ~0ull);
    int32_t vcpu1 = periodic(1, 2 * MS), vcpu_huge = periodic(0xFFFFFFFFu, 2 * MS);
    int32_t unmapped = vmcall3(PV_vcpu_op, PV_VCPUOP_set_periodic_timer, 0, 0x1000);
    int32_t cmd0 = vmcall3(PV_vcpu_op, 0, 0, 0), cmd_huge = vmcall3(PV_vcpu_op, 0xFFFFFFFFu, 0, 0);
    int32_t stop_none = vmcall3(PV_vcpu_op, PV_VCPUOP_stop_periodic_timer, 0, 0);
    spin_until(pv_now() + 5 * MS);           /* no refused one runs */
    uint32_t refused_upcalls = upcalls;
    int32_t longest = periodic(0, PV_PERIODIC_MAX_NS);   /* the longest: never due here */
    spin_until(pv_now() + 3 * MS);
    uint32_t longest_upcalls = upcalls - refused_upcalls;
    int32_t floor = periodic(0, PV_PERIODIC_MIN_NS);
    block_until_upcalls(1, 100);
    int32_t stop = vmcall3(PV_vcpu_op, PV_VCPUOP_stop_periodic_timer, 0, 0);
    result("vcpu_op: periods %d %d %d %d, vcpu %d %d, unmapped %d, cmds %d %d, stop %d, upcalls %u; "
           "longest %d upcalls %u; 1 ms %d ticking %d stop %d", zero, under, over, huge, vcpu1, vcpu_huge, unmapped,
           cmd0, cmd_huge, stop_none, refused_upcalls, longest, longest_upcalls, floor, upcalls > refused_upcalls,
           stop);
}

PV_CASE(callbacks_bad, "callbacks-bad", "set_callbacks with vectors 1, 31, 256, 0xFFFFFFFF; then 32, 255, 0")
{
    result("callbacks %d %d %d %d; %d %d %d", vmcall3(PV_set_callbacks, 1, 0, 0), vmcall3(PV_set_callbacks, 31, 0, 0),
           vmcall3(PV_set_callbacks, 256, 0, 0), vmcall3(PV_set_callbacks, 0xFFFFFFFFu, 0, 0),
           vmcall3(PV_set_callbacks, 32, 0, 0), vmcall3(PV_set_callbacks, 255, 0, 0),
           vmcall3(PV_set_callbacks, 0, 0, 0));
}
