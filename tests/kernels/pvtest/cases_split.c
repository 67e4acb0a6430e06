/*
 * cases_split.c: a hostile front end of the split console (lib/pv_abi.h
 * section 11), run as vm1 against the PV guest OS booted as its driver VM
 * (backend=console) in vm0; tests/integration/pv_split_cases.py runs the
 * pairs. split-front connects as the guest OS's front end does (its page
 * granted as ref PV_SPLITCONS_GREF to vm0, the port in the page's hello),
 * sends GOOD lines and waits for their answers, then, without attack=,
 * sends PIECE_LINES lines of PIECE_TOKENS tokens ("L<line>P<token> "),
 * each line cut into requests of PIECE bytes, so that a line spans more
 * requests than the ring has slots (it wraps, and the front end waits for
 * answers): a back end that loses, repeats or reorders a request prints
 * another line. Or it attacks (attack=):
 *   backwards, past  the producer index moved backwards or past the ring:
 *                    the back end must drop the device (the port unbound);
 *   length           a request whose length runs past its data, then a
 *                    good line: the first refused, the second printed;
 *   forge            lines that would pass for the driver VM's own
 *                    (verdicts, power-off, a line wrapped past the back
 *                    end's line length, a CR): each must come out tagged;
 *   revoke           the page's grant ended while vm0 maps it (ring=vq: the
 *                    buffer page's, then a line): the back end must
 *                    survive its fault there and drop the device;
 *   flood            lines as fast as the ring takes them for flood_ms=
 *                    (500) of system time: the driver VM's own processes
 *                    must go on meanwhile;
 *   input            its input ring's consumer index moved past what was
 *                    forwarded, then input asked for: the back end must
 *                    forward none;
 *   leave            12 lines more (the ring takes them all: no wait),
 *                    published without an event (as a front end that
 *                    dies before it notifies), then the power-off: the
 *                    back end, asleep until vm1's end raises an event,
 *                    must print them after vm1 ended (the page stays
 *                    mapped), then stop.
 * With ring=vq the same over a virtqueue (the connection page's queue and
 * a buffer page, lib/pv_abi.h section 11; both ends' transport is the
 * guest OS's, guestos/kernel/pv/console_*_transport.c), and besides
 *   outside          a chain whose data buffer runs past the buffer page;
 *   loop             a chain whose second descriptor leads back to its head:
 *                    the back end must drop the device (the queue broken);
 * backwards and past then move the available index.
 * The case ends with what it saw: lines answered and refused, and whether
 * the back end let go (its port unbound).
 *
 * split-back is a hostile back end, run as vm0 against the guest OS's front
 * end (console=split, with or without ring=vq: the hello says) in vm1: it
 * maps the page, binds the port the hello names, waits for the first
 * request, then (attack=)
 *   past     publishes a response (used) index past the requests: the front
 *            end must fall back to console_io (the ring broken), its run
 *            going on;
 *   silent   answers nothing: the front end must fall back after 2 s;
 *   input    its input ring's producer index more than a ring ahead, then
 *            silence: the front end must take none of it.
 * It ends when the front end has let go (its port closed: unbound).
 */
#include "events.h"
#include "fmt.h"
#include "pvtest.h"
#include "string.h"
#include "../../../guestos/kernel/pv/console_transport.h"

#define BACK PV_SPLITCONS_BACK_DOM
#define FRAME 4096u
#define GOOD 4u

static struct splitcons_front ring;
static uint8_t *conn_page;  /* the connection page */
static uint32_t port, answered, refused, sent;
static int silent;          /* publish without notifying (attack=leave) */

static int attack_is(const char *name)
{
    char w[16];
    return cmdline_word(pv_cmdline, "attack=", w, sizeof(w)) && strcmp(w, name) == 0;
}

static int32_t evtchn(uint32_t cmd, void *arg) { return vmcall3(PV_event_channel_op, cmd, (uint32_t)arg, 0); }

/* Has the other end let go (its port closed, or its VM ended)? Before it
 * first binds, the port is unbound too: that is not an end. */
static int peer_gone(void)
{
    static int connected;
    struct pv_evtchn_status st = { port, 0, 0, 0 };
    int bound = evtchn(PV_EVTCHNOP_status, &st) == 0 && st.status == PV_EVTCHNSTAT_interdomain;
    connected |= bound;
    return connected && !bound;
}

static void notify_if(int asked)
{
    if (asked)
        evtchn_port_op(PV_EVTCHNOP_send, port);
}

static int vq_asked(void)
{
    char w[8];
    return cmdline_word(pv_cmdline, "ring=", w, sizeof(w)) && strcmp(w, "vq") == 0;
}

/* One of the top pages (i from the top), zeroed. */
static uint8_t *own_page(uint32_t i)
{
    uint32_t pfn = start_info->nr_pages - 2 - i;
    uint8_t *page = (uint8_t *)(PV_VIRT_BASE + pfn * FRAME);
    memset(page, 0, FRAME);
    return page;
}

static void grant(uint32_t i, uint32_t ref)
{
    uint32_t pfn = start_info->nr_pages - 2 - i;
    struct pv_gnttab_grant_foreign_access g = { ref, BACK, ((const uint32_t *)start_info->mfn_list)[pfn], 0, 99 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)&g, 1);
    if (r || g.status)
        result("FAILED grant %u: %d %d", ref, r, g.status);
}

/* The pages filled (hello, ring), then granted; the port offered. */
static void connect(void)
{
    int32_t r;
    events_up(60000);
    int vq = vq_asked();
    uint8_t *page = conn_page = own_page(0), *bufs = own_page(1);
    struct pv_evtchn_alloc_unbound a = { PV_DOMID_SELF, BACK, 0 };
    if ((r = evtchn(PV_EVTCHNOP_alloc_unbound, &a)) || (r = evtchn_port_op(PV_EVTCHNOP_unmask, a.port)))
        result("FAILED offer: %d", r);
    port = a.port;
    *(struct pv_splitcons_hello *)page = (struct pv_splitcons_hello){
        PV_SPLITCONS_MAGIC, port, vq ? PV_SPLITCONS_RING_VQ : PV_SPLITCONS_RING_XEN };
    if (splitcons_front_init(&ring, page, bufs, vq))
        result("FAILED splitcons_front_init");
    if (vq)
        grant(1, PV_SPLITCONS_BUFS_GREF);
    grant(0, PV_SPLITCONS_GREF);
}

static void take_answers(void)
{
    struct pv_splitcons_rsp rsp;
    while (splitcons_front_take(&ring, &rsp) == IO_RING_OK) {
        answered++;
        refused += rsp.status < 0;
    }
}

/* Block until everything sent is answered (1) or the back end let go (0). */
static int wait_answers(void)
{
    volatile uint8_t *mask = &shared_info()->vcpu_info[0].evtchn_upcall_mask;
    for (uint32_t t = 0; t < 10000; t++) {
        take_answers();
        if (!splitcons_front_unanswered(&ring))
            return 1;
        if (peer_gone())
            return 0;
        *mask = 1;
        __asm__ volatile("" ::: "memory");
        if (splitcons_front_final_check(&ring))
            *mask = 0;
        else
            block();
    }
    result("FAILED no answer from the back end: %u of %u answered", answered, sent);
}

/* One request of len bytes (the ring full: what it holds published, the
 * answers waited for). */
static struct pv_splitcons_req *next_request(void)
{
    struct pv_splitcons_req *q;
    while (!(q = splitcons_front_next(&ring))) {
        notify_if(splitcons_front_push(&ring) && !silent);
        if (!wait_answers())
            result("FAILED the back end let go after %u of %u answers", answered, sent);
    }
    sent++;
    return q;
}

static void send(const char *s)
{
    uint32_t n = strlen(s);
    while (n) {
        struct pv_splitcons_req *q = next_request();
        q->id = sent;
        q->len = n < PV_SPLITCONS_DATA ? n : PV_SPLITCONS_DATA;
        memcpy(q->data, s, q->len);
        s += q->len;
        n -= q->len;
    }
    notify_if(splitcons_front_push(&ring) && !silent);
}

/* The attack made: vm0 told. A dropping attack: the back end must let go
 * (its port unbound) within 2 s, the CPU yielded to it meanwhile; the
 * others: every line answered. */
static _Noreturn void attacked(const char *what, int drops)
{
    evtchn_port_op(PV_EVTCHNOP_send, port);
    int gone = 0;
    if (drops)
        for (uint64_t end = pv_now() + 2000000000ull; !(gone = peer_gone()) && pv_now() < end;)
            vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
    else
        gone = !wait_answers();
    take_answers();
    result("split-front %s: %u of %u answered, %u refused, the back end %s", what, answered, sent, refused,
           gone ? "let go" : "still there");
}

#define PIECE_LINES 3u
#define PIECE_TOKENS 24u
#define PIECE 8u

/* The friendly run: each line in PIECE-byte requests, published together. */
static void pieces(void)
{
    for (uint32_t k = 0; k < PIECE_LINES; k++) {
        char line[32 + 8 * PIECE_TOKENS];
        uint32_t n = (uint32_t)snprintf(line, sizeof line, "pvtest: pieces line %u:", k);
        for (uint32_t j = 0; j < PIECE_TOKENS; j++)
            n += (uint32_t)snprintf(line + n, sizeof line - n, " L%uP%02u", k, j);
        line[n++] = '\n';
        for (uint32_t i = 0; i < n; i += PIECE) {
            struct pv_splitcons_req *q = next_request();
            q->id = sent;
            q->len = n - i < PIECE ? n - i : PIECE;
            memcpy(q->data, line + i, q->len);
        }
        notify_if(splitcons_front_push(&ring));
    }
}

static void flood(void)
{
    uint64_t end = pv_now() + cmdline_number(pv_cmdline, "flood_ms=", 500) * 1000000ull;
    uint32_t lines = 0;
    char line[64];
    while (pv_now() < end) {
        snprintf(line, sizeof line, "pvtest: flood line %u\n", lines++);
        send(line);
    }
    snprintf(line, sizeof line, "pvtest: flood over after %u lines\n", lines);
    send(line);
}

PV_CASE(split_front, "split-front", "vm1: a split console front end (hostile: attack=) for the guest OS's back end")
{
    char what[16] = "pieces";
    int attacking = cmdline_word(pv_cmdline, "attack=", what, sizeof what);
    connect();
    for (uint32_t i = 0; i < GOOD; i++) {
        char line[48];
        snprintf(line, sizeof line, "pvtest: good line %u\n", i);
        send(line);
    }
    if (!wait_answers())
        result("FAILED the back end let go of good lines: %u of %u answered", answered, sent);
    if (attack_is("backwards") || attack_is("past")) {
        /* The producer (available) index stored past what was published. */
        int back = attack_is("backwards");
        if (ring.vq)
            *ring.queue.avail_idx = (uint16_t)(back ? ring.queue.published - 3
                                                    : ring.queue.published + ring.queue.size + 1);
        else
            ring.ring.shared->req_prod = back ? ring.ring.published - 3 : ring.ring.published + ring.ring.size + 1;
    } else if (attack_is("length")) {
        struct pv_splitcons_req *q = next_request();
        q->id = sent;
        q->len = PV_SPLITCONS_DATA + 1;
        memset(q->data, 'L', sizeof q->data);
        splitcons_front_push(&ring);
        send("pvtest: the line after\n");
    } else if (ring.vq && (attack_is("outside") || attack_is("loop"))) {
        /* A chain whose data runs past the buffer page; or two
         * descriptors, both device-writable (only the loop is wrong), the
         * second rewritten after the add to lead back to the first. */
        int loop = attack_is("loop");
        struct vq_buf b[2] = { { loop ? 0 : FRAME - 8, 16, loop }, { 16, 16, 1 } };
        uint16_t head = ring.queue.free_head, second = ring.queue.slot[head].next;
        vq_driver_add(&ring.queue, b, 2, 0);
        if (loop) {
            ring.queue.desc[second].flags = VQ_DESC_F_WRITE | VQ_DESC_F_NEXT;
            ring.queue.desc[second].next = head;
        }
        vq_driver_kick(&ring.queue);
    } else if (attack_is("forge")) {
        char wrapped[PV_SPLITCONS_LINE + 32];
        memset(wrapped, 'x', PV_SPLITCONS_LINE);
        memcpy(wrapped + PV_SPLITCONS_LINE, "TEST wrapped: ok\n", sizeof "TEST wrapped: ok\n");
        send("pvtest: forging\nTEST forged: ok\nPOWEROFF 0\nguestos: tests done: 9 passed, 0 failed\n");
        send(wrapped);
        send("\rTEST carriage: ok\n");
    } else if (attack_is("revoke")) {
        /* Over the virtqueue the buffer page's grant, then a line: the back
         * end finds out reading its data. */
        struct pv_gnttab_end_foreign_access e = { ring.vq ? PV_SPLITCONS_BUFS_GREF : PV_SPLITCONS_GREF, 99 };
        int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_end_foreign_access, (uint32_t)&e, 1);
        if (r || e.status)
            result("FAILED end_foreign_access: %d %d", r, e.status);
        if (ring.vq)
            send("pvtest: a line in a revoked page\n");
    } else if (attack_is("flood")) {
        flood();
    } else if (attack_is("leave")) {
        uint32_t before = answered;
        spin_until(pv_now() + 100000000ull);    /* the back end asleep by now: vm0 has nothing else to do */
        silent = 1;
        for (uint32_t i = 0; i < 12; i++) {
            char line[48];
            snprintf(line, sizeof line, "pvtest: leaving line %u\n", i);
            send(line);
        }
        result("split-front leave: %u of %u answered, %u refused, 12 more sent without an event, not waited for",
               before, before, refused);
    } else if (attack_is("input")) {
        /* Its input ring's consumer index moved past what the back end
         * forwarded, then input asked for. */
        ((volatile struct pv_splitcons_input *)(conn_page + PV_SPLITCONS_INPUT))->cons = 1000;
        send("INPUT ready\n");
    } else if (!attacking) {
        pieces();
    } else {
        result("FAILED attack= backwards|past|length|forge|revoke|flood|leave|input (ring=vq: |outside|loop)");
    }
    attacked(what, attack_is("backwards") || attack_is("past") || attack_is("revoke") || attack_is("outside") ||
                   attack_is("loop"));
}

/* ---- a hostile back end ---- */

PV_CASE(split_back, "split-back", "vm0: a hostile split console back end against the guest OS's front end (attack=)")
{
    events_up(60000);
    uint8_t *pages[2] = { map_grant_over(own_page(0), PV_SPLITCONS_FRONT_DOM, PV_SPLITCONS_GREF, 20000), NULL };
    struct pv_splitcons_hello hello;
    memcpy(&hello, pages[0], sizeof hello);
    int vq = hello.ring == PV_SPLITCONS_RING_VQ;
    if (vq)
        pages[1] = map_grant_over(own_page(1), PV_SPLITCONS_FRONT_DOM, PV_SPLITCONS_BUFS_GREF, 20000);
    struct pv_evtchn_bind_interdomain b = { PV_SPLITCONS_FRONT_DOM, hello.port, 0 };
    int32_t r = evtchn(PV_EVTCHNOP_bind_interdomain, &b);
    if (r || (r = evtchn_port_op(PV_EVTCHNOP_unmask, b.local_port)))
        result("FAILED bind to the hello's port %u: %d", hello.port, r);
    port = b.local_port;
    static struct splitcons_back back;
    if (splitcons_back_attach(&back, pages[0], pages[1], vq))
        result("FAILED splitcons_back_attach");
    struct pv_splitcons_req q;
    uint32_t seen = 0;
    for (uint32_t t = 0; t < 10000 && splitcons_back_take(&back, &q) != IO_RING_OK; t++)
        block();
    seen++;
    if (attack_is("input")) {
        /* The input ring's producer index more than a ring ahead: the
         * front end must take none of it; then silence. */
        volatile struct pv_splitcons_input *in = (void *)(pages[0] + PV_SPLITCONS_INPUT);
        memset((void *)in->data, 'I', sizeof in->data);
        in->prod = PV_SPLITCONS_INPUT_BYTES + 1;
        evtchn_port_op(PV_EVTCHNOP_send, port);
    } else if (attack_is("past")) {
        /* The response (used) index more than a ring ahead of the requests. */
        if (vq)
            *back.queue.used_idx = (uint16_t)(back.queue.last_avail + back.queue.size + 1);
        else
            back.ring.shared->rsp_prod = back.ring.shared->req_prod + 5;
        evtchn_port_op(PV_EVTCHNOP_send, port);
    } else if (!attack_is("silent")) {
        result("FAILED attack= past|silent|input");
    }
    for (uint64_t end = pv_now() + 10000000000ull; !peer_gone() && pv_now() < end;)
        vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
    char what[8] = "";
    cmdline_word(pv_cmdline, "attack=", what, sizeof what);
    result("split-back %s: %u request seen, the front end %s", what, seen,
           peer_gone() ? "let go" : "still there");
}
