/*
 * console_front.c: the split console's front end (lib/pv_abi.h section
 * 11; Xen's console front end, written anew): with `console=split` on the
 * command line the PV kernel's console lines (console.c) go as requests
 * on a ring in a page it grants to the driver VM (Xen's, or with ring=vq
 * a virtqueue: console_front_transport.c), which prints them on its own
 * console; without it console.c calls console_io as before. Input the
 * driver VM forwards comes back through the same page.
 *
 * Why a ring: console_io is an exit for every line, while here a line is
 * a copy into the page, and the driver VM is notified only when it asked
 * (it sleeps on an empty ring): a batch of lines costs one event, the
 * driver VM's console_io calls are its own. The page is set up at the
 * start of day, before the first line: the ring holds the lines until the
 * driver VM attaches, so every line the kernel prints goes through it.
 *
 * The front end trusts the back end no more than it is trusted: a
 * response index that moves backwards or past the requests breaks the
 * ring (io_ring.c, virtqueue.c), and it then, or when the driver VM has ended (its
 * port unbound) or takes nothing for PV_SPLITCONS_WAIT_MS, falls back to
 * console_io, says why, and writes again what was not answered. It never
 * waits for the driver VM but when the ring is full (and at power-off,
 * until its lines are answered), blocked until an event between looks.
 *
 * Everything runs with events masked (console.c's irq_save): the upcall
 * handler only raises a flag that the next line looks at, and takes input.
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/fmt.h"
#include "console_transport.h"
#include "../../../lib/printf.h"
#include "../../../lib/pv_clock.h"
#include "../../../lib/string.h"

static uint8_t page[PV_PAGE_SIZE] __attribute__((aligned(PV_PAGE_SIZE)));
static uint8_t bufs[PV_PAGE_SIZE] __attribute__((aligned(PV_PAGE_SIZE)));     /* ring=vq's buffer page */
static struct splitcons_front ring;
static uint32_t port, next_id;
static int active;                  /* lines go through the ring */
static volatile int peer_event;     /* the port had an event: look at the driver VM */
static struct {
    uint32_t requests, events, blocks, refused;
} counts;

static int32_t evtchn_op(uint32_t cmd, void *arg) { return hypercall2(PV_event_channel_op, cmd, arg); }

static void notify(void)
{
    struct pv_evtchn_port p = {port};
    evtchn_op(PV_EVTCHNOP_send, &p);
    counts.events++;
}

/* Is the port still bound to the driver VM's? */
static int back_end_bound(void)
{
    struct pv_evtchn_status st = {.port = port};
    return evtchn_op(PV_EVTCHNOP_status, &st) == 0 && st.status == PV_EVTCHNSTAT_interdomain;
}

/* Back to console_io: nothing shared any more (the grant ended: the
 * hypervisor unmaps the page from a back end that still maps it; the port
 * closed), the reason, then the requests not answered, from the page,
 * which is the kernel's own again (a length the back end rewrote is cut
 * to the slot's). */
static void write_again(const struct pv_splitcons_req *q)
{
    console_io_write(q->data, q->len <= PV_SPLITCONS_DATA ? q->len : PV_SPLITCONS_DATA);
}

static void end_grant(uint32_t ref)
{
    struct pv_gnttab_end_foreign_access end = {ref, 0};
    hypercall3(PV_grant_table_op, PV_GNTTABOP_end_foreign_access, &end, 1);
}

static void fall_back(const char *why)
{
    char line[160];
    uint32_t unanswered = splitcons_front_unanswered(&ring);
    active = 0;
    end_grant(PV_SPLITCONS_GREF);
    if (ring.vq)
        end_grant(PV_SPLITCONS_BUFS_GREF);
    struct pv_evtchn_port p = {port};
    evtchn_op(PV_EVTCHNOP_close, &p);
    int n = snprintf(line, sizeof line, "guestos: split console: %s; %u requests unanswered, written again; "
                     "console_io from here on\n", why, unanswered);
    console_io_write(line, (uint32_t)n);
    splitcons_front_each_unanswered(&ring, write_again);
}

/* LAB 6 BEGIN: the front end's consumer: the back end's answers taken, a broken ring left for console_io */
/* Take the answers the back end published; a refused request is counted
 * (the front end sends none: only a bug of its own would earn one). */
static void consume_responses(void)
{
    struct pv_splitcons_rsp rsp;
    while (splitcons_front_take(&ring, &rsp) == IO_RING_OK)
        counts.refused += rsp.status < 0;
    if (splitcons_front_broken(&ring))
        fall_back("the back end's response index moved backwards or past the requests");
}
/* LAB 6 END */

/* Has the driver VM gone? Asked only after an event on the port (a VM's
 * end raises one) or while waiting. Until the driver VM first binds, the
 * port is unbound too: that is waiting (for at most the wait's limit),
 * not an end. */
static void check_back_end(void)
{
    static int connected;
    if (!active)
        return;
    if (back_end_bound())
        connected = 1;
    else if (connected)
        fall_back("the driver VM's end of the channel is gone");
}

/* Sleep until an event: the back end's answers (the final check asks for
 * the next one), the driver VM's end, or a tick. The block unmasks, so
 * the event's handlers run (inside console.c's irq_save: none of them
 * prints; the tick's, the balloon's and this port's only raise flags and
 * wake processes). Not a yield: a yield hands the CPU back and forth at
 * every turn's end while the driver VM prints, a VM switch each; a
 * blocked guest lets the driver VM run until it has answered a pass. */
static void sleep_for_answers(void)
{
    if (splitcons_front_final_check(&ring))
        return;
    idle_wait();
    counts.blocks++;
}

/* The ring full (or, done, the lines unanswered): sleep until the driver
 * VM answered, it is gone, or it answered nothing for PV_SPLITCONS_WAIT_MS. */
static void wait_for_answers(int all)
{
    uint64_t deadline = pv_clock_ns(&pv_vcpu->time) + PV_SPLITCONS_WAIT_MS * 1000000ull;
    for (;;) {
        uint32_t before = splitcons_front_unanswered(&ring);
        consume_responses();
        if (!active || (all ? !splitcons_front_unanswered(&ring) : splitcons_front_room(&ring)))
            return;
        uint64_t now = pv_clock_ns(&pv_vcpu->time);
        if (splitcons_front_unanswered(&ring) != before) {
            deadline = now + PV_SPLITCONS_WAIT_MS * 1000000ull;
        } else {
            if (peer_event) {       /* an event on the port, nothing answered: gone? */
                peer_event = 0;
                check_back_end();
            }
            if (!active)
                return;
            if (now > deadline) {
                static char why[64];
                snprintf(why, sizeof why, "the driver VM answered nothing for %u ms", PV_SPLITCONS_WAIT_MS);
                fall_back(why);
                return;
            }
        }
        sleep_for_answers();
    }
}

/* Publish what was queued; notify if the back end asked. */
static void publish(void)
{
    if (splitcons_front_push(&ring))
        notify();
}

/* LAB 6 BEGIN: the front end's producer: console output as requests, published as one batch */
/* The producer: n bytes of console output as requests of at most
 * PV_SPLITCONS_DATA bytes, published as one batch. Returns the bytes
 * queued: fewer than n if the front end fell back meanwhile. */
static uint32_t produce(const char *s, uint32_t n)
{
    uint32_t queued = 0;
    if (peer_event) {
        peer_event = 0;
        consume_responses();
        check_back_end();
    }
    while (n && active) {
        struct pv_splitcons_req *q = splitcons_front_next(&ring);
        if (!q) {
            publish();
            wait_for_answers(0);
            continue;
        }
        uint32_t len = n < PV_SPLITCONS_DATA ? n : PV_SPLITCONS_DATA;
        q->id = next_id++;
        q->len = len;
        memcpy(q->data, s, len);
        s += len;
        n -= len;
        queued += len;
        counts.requests++;
    }
    if (active)
        publish();
    return queued;
}
/* LAB 6 END */

/* The input ring (lib/pv_abi.h section 11): what the driver VM forwarded,
 * for read(0, ...). The back end's prod read once; more than a ring ahead
 * of what was taken, and no more is taken. */
static uint32_t input_cons;
static int input_broken;

static void take_input(void)
{
    volatile struct pv_splitcons_input *in = (void *)(page + PV_SPLITCONS_INPUT);
    uint32_t prod = in->prod, n = prod - input_cons;
    __asm__ volatile("" ::: "memory");     /* the index before the bytes */
    if (input_broken || n == 0)
        return;
    if (n > PV_SPLITCONS_INPUT_BYTES) {
        input_broken = 1;
        return;
    }
    char bytes[PV_SPLITCONS_INPUT_BYTES];
    for (uint32_t i = 0; i < n; i++)
        bytes[i] = in->data[(input_cons + i) % PV_SPLITCONS_INPUT_BYTES];
    in->cons = input_cons = prod;
    console_input(bytes, n);
}

/* An event on the port: the back end's answers or its end, looked at by
 * the next line; input, taken now (a reader may wait for it). */
static void port_event(void)
{
    peer_event = 1;
    take_input();
}

/* Grant one of the front end's pages to the driver VM, writable. */
static int grant(uint32_t ref, void *p)
{
    struct pv_gnttab_grant_foreign_access g = {ref, PV_SPLITCONS_BACK_DOM, pv_machine_addr(p) >> 12, 0, 0};
    return hypercall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, &g, 1) == 0 && g.status == 0;
}

/* The start of day (start.c, before the first line): the page filled,
 * then granted (with ring=vq the buffer page first), the port offered
 * (its number in the page). */
void split_console_init(int vq)
{
    struct pv_splitcons_hello *hello = (void *)page;
    struct pv_evtchn_alloc_unbound a = {PV_DOMID_SELF, PV_SPLITCONS_BACK_DOM, 0};
    if (evtchn_op(PV_EVTCHNOP_alloc_unbound, &a) < 0 || splitcons_front_init(&ring, page, bufs, vq)) {
        printf("guestos: split console: no port for the driver VM; console_io\n");
        return;
    }
    *hello = (struct pv_splitcons_hello){PV_SPLITCONS_MAGIC, a.port, vq ? PV_SPLITCONS_RING_VQ : PV_SPLITCONS_RING_XEN};
    port = a.port;
    if ((vq && !grant(PV_SPLITCONS_BUFS_GREF, bufs)) || !grant(PV_SPLITCONS_GREF, page)) {
        printf("guestos: split console: grant of its page refused; console_io\n");
        return;
    }
    listen_on_port(port, port_event);
    active = 1;
}

/* Inside the front end's own code (a line going out, the drain): a panic
 * there (a bug, or a lab's stub) prints by console_io and drains nothing,
 * instead of coming back into the code that panicked. */
static int inside;

/* console.c's line out while active: through the ring, or what the ring
 * did not take by console_io. */
void split_console_write(const char *s, uint32_t n)
{
    inside = 1;
    uint32_t queued = produce(s, n);
    inside = 0;
    if (queued < n)
        console_io_write(s + queued, n - queued);
}

int split_console_active(void) { return active && !inside; }

/* At power-off, before its last line: what the front end counted. */
void split_console_report(void)
{
    if (input_broken)
        printf("guestos: split console: the driver VM's input index moved more than a ring ahead: input "
               "taken no more\n");
    if (split_console_active())
        printf("guestos: split console: %u requests, %u events, %u blocks, %u refused\n", counts.requests,
               counts.events, counts.blocks, counts.refused);
}

/* serial_drain: wait until every line is answered (or fallen back), so
 * that none is left behind in the ring when the VM ends. */
void split_console_drain(void)
{
    if (!split_console_active())
        return;
    inside = 1;
    wait_for_answers(1);
    inside = 0;
}
