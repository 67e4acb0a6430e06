/*
 * console_back.c: the split console's back end (lib/pv_abi.h section 11;
 * Xen's xenconsoled, written anew as a kernel process): the PV kernel
 * booted with `backend=console` is a driver VM, holding the real console
 * (console_io), and prints the console lines of the guest VM that booted
 * with `console=split` (console_front.c), each as "[vm1] " and the line.
 *
 * The kernel process "console_back" maps the guest's connection page (its
 * grant, ref PV_SPLITCONS_GREF) over a page of its own, copies the hello
 * once, binds to the port it names, and serves the ring until the guest is
 * gone; then the driver VM's last process (runner.c) powers off.
 *
 * The guest is not trusted (section 11's "Containment"): every request is
 * io_ring's private copy; a bad length is refused; a broken ring, or the
 * grant revoked (the kernel's fault at the page lands in
 * console_back_fault), drops the device with a line that says why; a pass
 * takes at most PV_SPLITCONS_PASS requests before the driver VM's other
 * processes run; and nothing the guest writes starts a line of the driver
 * VM's console but after the tag.
 *
 * backend_lines=N (for the tests): the back end stops after N lines and
 * the driver VM powers off with the guest still running, whose front end
 * must then go on without it.
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/fmt.h"
#include "../../../lib/io_ring.h"
#include "../../../lib/printf.h"
#include "../../../lib/string.h"

#define TAG_MAX 16                  /* "[vm1] ": PV_SPLITCONS_TAG, the domain, "] " */

static struct back {
    struct io_ring ring;
    uint8_t *page;                  /* the guest's page, mapped over a page of the kernel's */
    uint32_t port, handle, stop_after;
    int started, mapped, revoked, done;
    volatile int event;             /* the port had an event since the last look */
    char line[TAG_MAX + PV_SPLITCONS_LINE + 1];
    uint32_t len, tag_len;          /* bytes in line[], the tag's included; the tag's */
    uint32_t lines, requests, bad, events, blocks;
} back;

static int32_t evtchn_op(uint32_t cmd, void *arg) { return hypercall2(PV_event_channel_op, cmd, arg); }
static int32_t grant_op(uint32_t cmd, void *op) { return hypercall3(PV_grant_table_op, cmd, op, 1); }

static void port_event(void)
{
    back.event = 1;
    wake_up(&back);
}

static void notify(struct back *b)
{
    struct pv_evtchn_port p = {b->port};
    evtchn_op(PV_EVTCHNOP_send, &p);
    b->events++;
}

/* ---- printing on the guest's behalf ---- */

/* One line of the driver VM's console: the tag, then the guest's bytes.
 * Its own console_io call, not console.c's line buffer, so that it never
 * joins a line of the driver VM's own. */
static void print_line(struct back *b)
{
    b->line[b->len++] = '\n';
    console_io_write(b->line, b->len);
    b->lines++;
    b->len = b->tag_len;
}

static void print_bytes(struct back *b, const char *data, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            print_line(b);
            continue;
        }
        b->line[b->len++] = data[i];
        if (b->len == b->tag_len + PV_SPLITCONS_LINE)
            print_line(b);
    }
}

/* ---- the ring ---- */

/* backend_lines=N reached: the driver VM stops serving. */
static int stopping(const struct back *b) { return b->stop_after && b->lines >= b->stop_after; }

/* Nothing to take: sleep until the guest's next event, unless the final
 * check finds requests. Woken, is the guest still there? (A VM that ends
 * raises an event on its peer's port, lib/pv_abi.h section 6.) */
static int guest_still_there(struct back *b)
{
    uint32_t flags = irq_save();
    if (!io_ring_back_final_check(&b->ring) && !b->event) {
        b->blocks++;
        sleep_on(b);
    }
    b->event = 0;
    irq_restore(flags);
    struct pv_evtchn_status st = {.port = b->port};
    return evtchn_op(PV_EVTCHNOP_status, &st) == 0 && st.status == PV_EVTCHNSTAT_interdomain;
}

/* LAB 6 BEGIN: the back end's request loop: each request its own copy, a bad length refused, every one answered; the device dropped */
/* Answer one request (q is the back end's own copy): print its bytes, or
 * refuse a length past its data. */
static void answer_request(struct back *b, const struct pv_splitcons_req *q)
{
    int32_t status = q->len <= PV_SPLITCONS_DATA ? (int32_t)q->len : -PV_EINVAL;
    if (status < 0 && b->bad++ == 0)
        printf("guestos: console back end: vm%u's request %u: length %u past its %u bytes, refused\n",
               PV_SPLITCONS_FRONT_DOM, b->requests, q->len, PV_SPLITCONS_DATA);
    if (status > 0)
        print_bytes(b, q->data, q->len);
    b->requests++;
    struct pv_splitcons_rsp *rsp = io_ring_back_respond(&b->ring);
    if (rsp)
        *rsp = (struct pv_splitcons_rsp){q->id, status};
}

/* The request loop: take the guest's requests (at most a pass's worth),
 * answer each, publish the answers and notify the guest if it asked; then
 * yield to the driver VM's other processes if the pass was full, or sleep
 * until the guest's next event if the ring was empty. Returns why it
 * ended. */
static const char *serve_requests(struct back *b)
{
    int gone = 0;
    for (;;) {
        struct pv_splitcons_req q;
        uint32_t taken = 0;
        while (taken < PV_SPLITCONS_PASS && !stopping(b) && io_ring_back_take_request(&b->ring, &q) == IO_RING_OK) {
            answer_request(b, &q);
            taken++;
        }
        if (taken && io_ring_back_push_responses(&b->ring))
            notify(b);
        if (b->revoked)
            return "it revoked its page's grant: device dropped";
        if (b->ring.broken)
            return "its producer index moved backwards or past the ring: device dropped";
        if (stopping(b))
            return "backend_lines reached: the driver VM stops";
        if (taken == PV_SPLITCONS_PASS)
            yield_cpu();
        else if (gone)
            return "it is gone";
        else if (!taken)
            gone = !guest_still_there(b);   /* one more pass takes what it left */
    }
}
/* LAB 6 END */

/* ---- connecting and ending ---- */

/* Map the guest's page (retried each tick until it is granted, for at
 * most PV_SPLITCONS_WAIT_MS) over a zeroed page of the kernel's own, whose
 * direct-map entry it replaces. */
static const char *map_guest_page(struct back *b)
{
    b->page = kalloc();
    if (!b->page)
        return "no page to map it at";
    memset(b->page, 0, PGSIZE);
    if (hypercall3(PV_update_va_mapping, (uint32_t)b->page, 0, PV_UVMF_INVLPG) < 0)
        return "its own page would not unmap";
    struct pv_gnttab_map_grant_ref m = {(uint32_t)b->page, 0, PV_SPLITCONS_GREF, PV_SPLITCONS_FRONT_DOM, 0, 0};
    for (uint32_t t = 0; t <= PV_SPLITCONS_WAIT_MS / MS_PER_TICK; t++) {
        if (grant_op(PV_GNTTABOP_map_grant_ref, &m) == 0 && m.status == PV_GNTST_okay) {
            b->mapped = 1;
            b->handle = m.handle;
            return NULL;
        }
        uint32_t flags = irq_save();
        sleep_on(tick_channel());
        irq_restore(flags);
    }
    return "no page granted";
}

/* The page mapped: its hello copied once, the port it names bound. */
static const char *connect(struct back *b)
{
    const char *why = map_guest_page(b);
    if (why)
        return why;
    struct pv_splitcons_hello hello;
    memcpy(&hello, b->page, sizeof hello);
    if (hello.magic != PV_SPLITCONS_MAGIC)
        return "its page has no hello";
    struct pv_evtchn_bind_interdomain bind = {PV_SPLITCONS_FRONT_DOM, hello.port, 0};
    if (evtchn_op(PV_EVTCHNOP_bind_interdomain, &bind) < 0)
        return "the port its hello names was not offered to the driver VM";
    b->port = bind.local_port;
    listen_on_port(b->port, port_event);
    if (io_ring_back_attach(&b->ring, b->page + PV_SPLITCONS_RING, PGSIZE - PV_SPLITCONS_RING, PV_SPLITCONS_SLOT))
        return "no ring fits";
    printf("guestos: console back end: vm%u's page (grant ref %u) mapped, its port %u bound to port %u\n",
           PV_SPLITCONS_FRONT_DOM, PV_SPLITCONS_GREF, hello.port, b->port);
    return NULL;
}

/* The device let go: the page unmapped (unless the guest revoked it, or
 * the driver VM stops: its end does it), the kernel's own page mapped
 * back, the port closed. */
static void disconnect(struct back *b)
{
    if (stopping(b))
        return;
    if (b->mapped && !b->revoked) {
        struct pv_gnttab_unmap_grant_ref u = {(uint32_t)b->page, b->handle, 0};
        grant_op(PV_GNTTABOP_unmap_grant_ref, &u);
    }
    if (b->mapped && !b->revoked)
        hypercall3(PV_update_va_mapping, (uint32_t)b->page, pte_make(V2P(b->page), PTE_P | PTE_W),
                   PV_UVMF_INVLPG);
    if (b->port) {
        struct pv_evtchn_port p = {b->port};
        evtchn_op(PV_EVTCHNOP_close, &p);
    }
}

/* The kernel process: connect, serve, report, let go. */
static void console_back(void)
{
    struct back *b = &back;
    b->len = b->tag_len = (uint32_t)snprintf(b->line, TAG_MAX, PV_SPLITCONS_TAG "%u] ", PV_SPLITCONS_FRONT_DOM);
    const char *why = connect(b);
    if (!why)
        why = serve_requests(b);
    if (b->len > b->tag_len)
        print_line(b);      /* a last line without its newline */
    printf("guestos: console back end: vm%u: %s; %u lines, %u requests (%u refused), %u events sent, %u blocks\n",
           PV_SPLITCONS_FRONT_DOM, why, b->lines, b->requests, b->bad, b->events, b->blocks);
    disconnect(b);
    irq_save();     /* never restored: this process does not run again */
    b->done = 1;
    wake_up(&b->done);
    for (;;)
        sleep_on(&b->started);      /* no one wakes it: the driver VM powers off (runner.c) */
}

void console_back_start(void)
{
    for (const char *n = boot_option("backend_lines"); n && *n >= '0' && *n <= '9'; n++)
        back.stop_after = back.stop_after * 10 + (uint32_t)(*n - '0');
    back.started = 1;
    spawn_kernel_process("console_back", console_back);
}

void console_back_wait(void)
{
    uint32_t flags = irq_save();
    while (back.started && !back.done)
        sleep_on(&back.done);
    irq_restore(flags);
}

/* A kernel fault at the guest's page: the guest revoked its grant and the
 * hypervisor took the mapping away (lib/pv_abi.h section 10). The kernel's
 * own zeroed page goes back there, so the faulting access reads zeros
 * instead of stopping the driver VM; the loop then drops the device. */
int console_back_fault(uint32_t va)
{
    if (!back.mapped || back.revoked || va - (uint32_t)back.page >= PGSIZE)
        return 0;
    back.revoked = 1;
    return hypercall3(PV_update_va_mapping, (uint32_t)back.page, pte_make(V2P(back.page), PTE_P | PTE_W),
                      PV_UVMF_INVLPG) == 0;
}
