/*
 * console_back.c: the split console's back end (lib/pv_abi.h section 11;
 * Xen's xenconsoled, written anew as a kernel process): the PV kernel
 * booted with `backend=console` is a driver VM, holding the real console
 * (console_io), and prints the console lines of the guest VM that booted
 * with `console=split` (console_front.c), each as "[vm1] " and the line.
 *
 * The kernel process "console_back" maps the guest's connection page (its
 * grant, ref PV_SPLITCONS_GREF) over a page of its own, copies the hello
 * once, binds to the port it names (with ring=vq it maps the buffer page
 * too: console_back_transport.c), and serves the ring until the guest is
 * gone; then the driver VM's last process (runner.c) powers off. When a
 * line of the guest's asks for input, it forwards what is typed.
 *
 * The guest is not trusted (section 11's "Containment"): every request is
 * the transport's private copy; a bad length is refused; a broken ring, or the
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
#include "console_transport.h"
#include "../../../lib/printf.h"
#include "../../../lib/string.h"

#define TAG_MAX 16                  /* "[vm1] ": PV_SPLITCONS_TAG, the domain, "] " */

/* A page of the guest's, mapped over a page of the kernel's. */
struct foreign_page {
    uint8_t *va;
    uint32_t handle;
    int mapped, revoked;
};

static struct back {
    struct splitcons_back ring;
    struct foreign_page pages[2];   /* the connection page; with ring=vq the buffer page */
    uint32_t port, stop_after;
    int started, revoked, done;
    volatile int event;             /* the port had an event since the last look */
    int input_asked, input_refused; /* the guest asked for input; its ring went wrong */
    volatile int input_event;       /* the driver VM's console port: input typed */
    uint32_t input_prod, input_bytes;
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

static void input_event(void)
{
    back.input_event = 1;
    wake_up(&back);
}

/* The guest's line asked for input ("INPUT ready", the console
 * protocol's): the driver VM, which the machine types to, asks in its own
 * line, and listens to its console port, which the hypervisor raises as
 * it puts typed bytes in the driver VM's console ring (section 7). */
static void ask_for_input(struct back *b)
{
    static const char ready[] = "INPUT ready\n";
    b->input_asked = 1;
    listen_on_port(pv_start_info->console_evtchn, input_event);
    console_io_write(ready, sizeof ready - 1);
}

/* One line of the driver VM's console: the tag, then the guest's bytes.
 * Its own console_io call, not console.c's line buffer, so that it never
 * joins a line of the driver VM's own. */
static void print_line(struct back *b)
{
    static const char ready[] = "INPUT ready\n";
    b->line[b->len++] = '\n';
    console_io_write(b->line, b->len);
    b->lines++;
    if (!b->input_asked && b->len - b->tag_len == sizeof ready - 1 &&
        !memcmp(b->line + b->tag_len, ready, sizeof ready - 1))
        ask_for_input(b);
    b->len = b->tag_len;
}

/* What was typed, into the guest's input ring (lib/pv_abi.h section 11):
 * the bytes the ring has room for by the front end's cons, read once; a
 * cons past what was forwarded or more than a ring behind, and no more
 * is forwarded. */
static void forward_input(struct back *b)
{
    b->input_event = 0;
    if (!b->input_asked || b->input_refused || b->revoked)
        return;
    volatile struct pv_splitcons_input *in = (void *)(b->pages[0].va + PV_SPLITCONS_INPUT);
    uint32_t cons = in->cons, used = b->input_prod - cons;
    if (used > PV_SPLITCONS_INPUT_BYTES) {
        b->input_refused = 1;
        printf("guestos: console back end: vm%u's input ring: its consumer index %u against %u bytes forwarded, "
               "past the ring: no more input forwarded\n", PV_SPLITCONS_FRONT_DOM, cons, b->input_prod);
        return;
    }
    char bytes[PV_SPLITCONS_INPUT_BYTES];
    int32_t n = hypercall4(PV_console_io, PV_CONSOLEIO_read, PV_SPLITCONS_INPUT_BYTES - used, bytes, 0);
    if (n <= 0)
        return;
    for (int32_t i = 0; i < n; i++)
        in->data[(b->input_prod + (uint32_t)i) % PV_SPLITCONS_INPUT_BYTES] = bytes[i];
    __asm__ volatile("" ::: "memory");     /* the bytes before the index (x86 keeps stores in order: SDM 9.2.2) */
    in->prod = b->input_prod += (uint32_t)n;
    b->input_bytes += (uint32_t)n;
    notify(b);
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
    if (!splitcons_back_final_check(&b->ring) && !b->event && !b->input_event) {
        b->blocks++;
        sleep_on(b);
    }
    b->event = 0;
    irq_restore(flags);
    forward_input(b);
    struct pv_evtchn_status st = {.port = b->port};
    return evtchn_op(PV_EVTCHNOP_status, &st) == 0 && st.status == PV_EVTCHNSTAT_interdomain;
}

/* LAB 6 BEGIN: the back end's request loop: requests copied, bad lengths refused, answered; the device dropped */
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
    splitcons_back_respond(&b->ring, &(struct pv_splitcons_rsp){q->id, status});
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
        /* A request read after the guest revoked its grant is the zero
         * page's, not the guest's: not answered. */
        while (taken < PV_SPLITCONS_PASS && !stopping(b) && splitcons_back_take(&b->ring, &q) == IO_RING_OK &&
               !b->revoked) {
            answer_request(b, &q);
            taken++;
        }
        if (taken && splitcons_back_push(&b->ring))
            notify(b);
        if (b->revoked)
            return "it revoked its page's grant: device dropped";
        if (splitcons_back_broken(&b->ring))
            return b->ring.vq ? "its queue broke (an index, a chain or a buffer out of bounds): device dropped"
                              : "its producer index moved backwards or past the ring: device dropped";
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

/* Map one of the guest's pages, grant ref (retried each tick until it is
 * granted, for at most PV_SPLITCONS_WAIT_MS), over a zeroed page of the
 * kernel's own, whose direct-map entry it replaces. */
static const char *map_guest_page(struct foreign_page *p, uint32_t ref)
{
    p->va = kalloc();
    if (!p->va)
        return "no page to map it at";
    memset(p->va, 0, PGSIZE);
    if (hypercall3(PV_update_va_mapping, (uint32_t)p->va, 0, PV_UVMF_INVLPG) < 0)
        return "its own page would not unmap";
    struct pv_gnttab_map_grant_ref m = {(uint32_t)p->va, 0, ref, PV_SPLITCONS_FRONT_DOM, 0, 0};
    for (uint32_t t = 0; t <= PV_SPLITCONS_WAIT_MS / MS_PER_TICK; t++) {
        if (grant_op(PV_GNTTABOP_map_grant_ref, &m) == 0 && m.status == PV_GNTST_okay) {
            p->mapped = 1;
            p->handle = m.handle;
            return NULL;
        }
        uint32_t flags = irq_save();
        sleep_on(tick_channel());
        irq_restore(flags);
    }
    return "no page granted";
}

/* The kernel's own page back at a guest's page's address. */
static int map_own_page(struct foreign_page *p)
{
    return hypercall3(PV_update_va_mapping, (uint32_t)p->va, pte_make(V2P(p->va), PTE_P | PTE_W), PV_UVMF_INVLPG) == 0;
}

/* The page mapped: its hello copied once, the port it names bound, the
 * buffer page mapped too if the hello names the virtqueue. */
static const char *connect(struct back *b)
{
    const char *why = map_guest_page(&b->pages[0], PV_SPLITCONS_GREF);
    if (why)
        return why;
    struct pv_splitcons_hello hello;
    memcpy(&hello, b->pages[0].va, sizeof hello);
    if (hello.magic != PV_SPLITCONS_MAGIC || hello.ring > PV_SPLITCONS_RING_VQ)
        return "its page has no hello";
    int vq = hello.ring == PV_SPLITCONS_RING_VQ;
    if (vq && (why = map_guest_page(&b->pages[1], PV_SPLITCONS_BUFS_GREF)))
        return why;
    struct pv_evtchn_bind_interdomain bind = {PV_SPLITCONS_FRONT_DOM, hello.port, 0};
    if (evtchn_op(PV_EVTCHNOP_bind_interdomain, &bind) < 0)
        return "the port its hello names was not offered to the driver VM";
    b->port = bind.local_port;
    listen_on_port(b->port, port_event);
    if (splitcons_back_attach(&b->ring, b->pages[0].va, b->pages[1].va, vq))
        return "no ring fits";
    printf("guestos: console back end: vm%u's page (grant ref %u) mapped%s, its port %u bound to port %u\n",
           PV_SPLITCONS_FRONT_DOM, PV_SPLITCONS_GREF, vq ? " with its buffer page (ref 1): a virtqueue" : "",
           hello.port, b->port);
    return NULL;
}

/* The device let go: each page unmapped (unless the guest revoked it, or
 * the driver VM stops: its end does it), the kernel's own page mapped
 * back, the port closed. */
static void disconnect(struct back *b)
{
    if (stopping(b))
        return;
    for (struct foreign_page *p = b->pages; p < b->pages + 2; p++) {
        if (!p->mapped || p->revoked)
            continue;
        struct pv_gnttab_unmap_grant_ref u = {(uint32_t)p->va, p->handle, 0};
        grant_op(PV_GNTTABOP_unmap_grant_ref, &u);
        map_own_page(p);
    }
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
    if (b->input_asked)
        printf("guestos: console back end: vm%u asked for input: %u bytes forwarded\n", PV_SPLITCONS_FRONT_DOM,
               b->input_bytes);
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

/* A kernel fault at one of the guest's pages: the guest revoked its
 * grant and the hypervisor took the mapping away (lib/pv_abi.h section
 * 10). The kernel's own zeroed page goes back there, so the faulting
 * access reads zeros instead of stopping the driver VM; the loop then
 * drops the device. */
int console_back_fault(uint32_t va)
{
    for (struct foreign_page *p = back.pages; p < back.pages + 2; p++) {
        if (!p->mapped || p->revoked || va - (uint32_t)p->va >= PGSIZE)
            continue;
        p->revoked = back.revoked = 1;
        return map_own_page(p);
    }
    return 0;
}
