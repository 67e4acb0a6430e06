/*
 * cases_pipe.c: an inter-VM pipe (issue 20 point 3): two PV VMs exchange
 * messages through a ring in a frame vm0 grants to vm1 (lib/pv_abi.h
 * section 10), with an interdomain event channel (section 6) for the
 * notifications; tests/integration/pv_pipe_cases.py runs the pairs. Two
 * designs carry the same traffic:
 *   pipe-ring-send / pipe-ring-recv  Xen's request/response ring
 *       (lib/io_ring.c): vm0 the front end, vm1 the back end;
 *   pipe-vq-send / pipe-vq-recv      a virtio split virtqueue
 *       (lib/virtqueue.c): vm0 the driver, its buffers in a second granted
 *       frame, vm1 the device, which accepts only buffers inside that grant.
 * Each message is a request carrying a sequence number, a payload and its
 * checksum; the other side checks order and checksum and answers it; the
 * sender checks each answer. hold=1 (the default) publishes a batch at a
 * time and notifies only when the other side asked (hold-off, event
 * indexes); hold=0 publishes each message and notifies at every publish.
 * msgs=N sets the count (2000). attack=backwards|past|rewrite (ring) or
 * attack=outside|loop (virtqueue) makes vm0 hostile after its first 8
 * messages: the other side must report the ring or queue broken (or the
 * request bad) and go on living; the hypervisor need not care. On vm1,
 * attack=refetch plays a driver that races the device on another CPU:
 * each descriptor the device's check has just passed is rewritten at once
 * to point outside the grant, so a device that reads a descriptor again
 * after checking it (a double fetch) works on a buffer it never checked;
 * the device counts such a buffer bad and never touches it.
 *
 * Both sides print what they counted: messages, publishes that notified
 * and that were held off (struct io_ring's and struct virtqueue's
 * notified/held_off), events sent, blocks, and TSC cycles per message.
 */
#include "events.h"
#include "io_ring.h"
#include "pvtest.h"
#include "string.h"
#include "virtqueue.h"

#define VM0 0u
#define VM1 1u
#define PORT 3u             /* vm0's first port after its console's and its timer's */
#define FRAME 4096u
#define TRIES 20000u
#define GOOD_FIRST 8u       /* messages a hostile vm0 sends before its attack */

struct msg {
    uint32_t seq, a, b, sum;
};

static uint32_t sum_of(uint32_t seq, uint32_t a, uint32_t b)
{
    return (seq * 0x9E3779B1u) ^ (a + ((b << 7) | (b >> 25)));
}

static struct msg made(uint32_t seq, uint32_t a, uint32_t b)
{
    return (struct msg){ seq, a, b, sum_of(seq, a, b) };
}

static struct msg request(uint32_t seq)
{
    return made(seq, seq * 2654435761u + 1, ~seq ^ 0x5A5A5A5Au);
}

/* The back end's answer: the request's checksum and its complement. */
static struct msg answer(const struct msg *q)
{
    return made(q->seq, q->sum, ~q->sum);
}

static int answer_right(const struct msg *rsp, uint32_t seq)
{
    struct msg q = request(seq), want = answer(&q);
    return memcmp(rsp, &want, sizeof(want)) == 0;
}

/* ---- the command line, time, events ---- */

static int attack_is(const char *name)
{
    char w[16];
    return cmdline_word(pv_cmdline, "attack=", w, sizeof(w)) && strcmp(w, name) == 0;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void yield(void)
{
    vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
}

/* One end's counts. */
struct end {
    uint32_t port, hold, msgs;
    uint32_t done, bad, events, blocks;
    uint64_t cycles;
};

static volatile uint8_t *upcall_mask(void)
{
    return &shared_info()->vcpu_info[0].evtchn_upcall_mask;
}

/* Sleep unless the final check (made with events masked, so that an event
 * after it still ends the block: block unmasks and tests at once) found
 * work. Gives up at the timer's deadline. */
static void sleep_unless(int (*final_check)(void *), void *ring, struct end *e)
{
    *upcall_mask() = 1;
    __asm__ volatile("" ::: "memory");
    if (final_check(ring)) {
        *upcall_mask() = 0;
        return;
    }
    e->blocks++;
    block();
    if (e->blocks > 4 * e->msgs + 16)
        result("FAILED gave up waiting after %u messages", e->done);
}

static void notify(struct end *e, int asked)
{
    if (asked || !e->hold) {
        evtchn_port_op(PV_EVTCHNOP_send, e->port);
        e->events++;
    }
}

static void print_end(const char *who, const struct end *e, uint32_t notified, uint32_t held_off, int broken)
{
    uint32_t per = e->done ? (uint32_t)(e->cycles / e->done) : 0;
    printf("pvtest: %s: %u messages, %u bad, broken %d; publishes notified %u, held off %u; events sent %u, "
           "blocks %u; %u cycles per message\n", who, e->done, e->bad, broken, notified, held_off, e->events,
           e->blocks, per);
}

/* A hostile vm0's attack made: vm1 told, then waited for (its power-off
 * unbinds the port, an event). */
static void attacked(const struct end *e)
{
    evtchn_port_op(PV_EVTCHNOP_send, e->port);
    block();
}

static _Noreturn void sender_done(const char *design, const char *who, const struct end *e, uint32_t notified,
                                  uint32_t held_off, int broken)
{
    print_end(who, e, notified, held_off, broken);
    result("%s send: %u of %u answered, %u wrong", design, e->done, e->msgs, e->bad);
}

static _Noreturn void receiver_done(const char *design, const char *who, const char *ring, const struct end *e,
                                    uint32_t notified, uint32_t held_off, int broken)
{
    print_end(who, e, notified, held_off, broken);
    result("%s recv: %u requests, %u bad, %s %s", design, e->done, e->bad, ring, broken ? "broken" : "whole");
}

/* ---- sharing: vm0 grants frames and offers the port, vm1 maps and binds ---- */

static uint32_t top_pfn(unsigned i)
{
    return start_info->nr_pages - 2 - i;
}

static void *page_of(uint32_t pfn)
{
    return (void *)(PV_VIRT_BASE + pfn * FRAME);
}

/* vm0: its page i (zeroed) granted writable to vm1 as ref i. */
static void *give(unsigned i)
{
    uint32_t pfn = top_pfn(i);
    memset(page_of(pfn), 0, FRAME);
    struct pv_gnttab_grant_foreign_access op = { i, VM1, ((const uint32_t *)start_info->mfn_list)[pfn], 0, 99 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)&op, 1);
    if (r || op.status)
        result("FAILED grant %u: %d %d", i, r, op.status);
    return page_of(pfn);
}

/* vm0: the port offered to vm1, then vm1's event that it is attached. */
static void offer(struct end *e)
{
    struct pv_evtchn_alloc_unbound a = { PV_DOMID_SELF, VM1, 0 };
    int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_alloc_unbound, (uint32_t)&a, 0);
    if (r || (r = evtchn_port_op(PV_EVTCHNOP_unmask, a.port)))
        result("FAILED offer: %d", r);
    e->port = a.port;
    for (uint32_t i = 0; port_events[e->port] == 0 && i < TRIES; i++)
        block();
}

/* vm1: vm0's ref i mapped over its own page i, retried until granted. */
static void *take(unsigned i)
{
    return map_grant_over(page_of(top_pfn(i)), VM0, i, TRIES);
}

/* vm1: bound to vm0's port (retried until offered), then vm0 told. */
static void bind(struct end *e)
{
    struct pv_evtchn_bind_interdomain b = { VM0, PORT, 0 };
    int32_t r = -PV_EINVAL;
    for (uint32_t t = 0; t < TRIES && (r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_bind_interdomain,
                                                   (uint32_t)&b, 0)) == -PV_EINVAL; t++)
        yield();
    if (r || (r = evtchn_port_op(PV_EVTCHNOP_unmask, b.local_port)))
        result("FAILED bind: %d", r);
    e->port = b.local_port;
    evtchn_port_op(PV_EVTCHNOP_send, e->port);
}

static struct end end_up(uint32_t msgs)
{
    events_up(60000);
    return (struct end){ .hold = cmdline_number(pv_cmdline, "hold=", 1),
                         .msgs = cmdline_number(pv_cmdline, "msgs=", msgs) };
}

/* vm1's start: vm0's refs 0 to n - 1 mapped in frames[], the port bound. */
static struct end receiver_up(void **frames, unsigned n)
{
    struct end e = end_up(2000);
    for (unsigned i = 0; i < n; i++)
        frames[i] = take(i);
    bind(&e);
    return e;
}

/* ---- Xen's ring ---- */

static int ring_front_check(void *r) { return io_ring_front_final_check(r); }
static int ring_back_check(void *r) { return io_ring_back_final_check(r); }

/* vm0 sends msgs requests from *sent on and takes their responses. */
static void ring_send(struct io_ring *r, struct end *e, uint32_t *sent)
{
    uint64_t t0 = rdtsc();
    while (e->done < e->msgs && !r->broken) {
        struct msg *q;
        uint32_t added = 0, taken = 0;
        while (*sent < e->msgs && (q = io_ring_front_next_request(r))) {
            *q = request((*sent)++);
            added++;
            if (!e->hold)
                notify(e, io_ring_front_push_requests(r));
        }
        if (added && e->hold)
            notify(e, io_ring_front_push_requests(r));
        struct msg rsp;
        while (io_ring_front_take_response(r, &rsp) == IO_RING_OK) {
            e->bad += !answer_right(&rsp, e->done);
            e->done++;
            taken++;
        }
        if (!taken && e->done < e->msgs && (*sent == e->msgs || io_ring_front_free(r) == 0))
            sleep_unless(ring_front_check, r, e);
    }
    e->cycles += rdtsc() - t0;
}

PV_CASE(pipe_ring_send, "pipe-ring-send", "vm0: messages to vm1 through a granted io_ring (hold=, msgs=, attack=)")
{
    int hostile = attack_is("backwards") || attack_is("past") || attack_is("rewrite");
    struct end e = end_up(hostile ? GOOD_FIRST : 2000);
    struct io_ring r;
    if (io_ring_front_init(&r, give(0), FRAME, sizeof(struct msg)))
        result("FAILED io_ring_front_init");
    offer(&e);
    uint32_t sent = 0;
    ring_send(&r, &e, &sent);
    if (hostile) {
        volatile struct io_ring_shared *s = r.shared;
        if (attack_is("backwards"))
            s->req_prod = r.published - 3;
        else if (attack_is("past"))
            s->req_prod = r.published + r.size + 1;
        else {
            /* One more request published, then rewritten: the back end
             * sees a request whose checksum no longer holds. */
            struct msg *q = io_ring_front_next_request(&r);
            *q = request(sent++);
            io_ring_front_push_requests(&r);
            q->a ^= 0x100;
        }
        attacked(&e);
    }
    sender_done("ring", "ring front", &e, r.notified, r.held_off, r.broken);
}

PV_CASE(pipe_ring_recv, "pipe-ring-recv", "vm1: the io_ring's back end: each request checked and answered")
{
    void *frame;
    struct end e = receiver_up(&frame, 1);
    struct io_ring r;
    if (io_ring_back_attach(&r, frame, FRAME, sizeof(struct msg)))
        result("FAILED io_ring_back_attach");
    uint64_t t0 = rdtsc();
    uint32_t answered = 0;
    enum io_ring_status st = IO_RING_OK;
    while (answered < e.msgs && st != IO_RING_BROKEN) {
        struct msg q;
        uint32_t taken = 0;
        while ((st = io_ring_back_take_request(&r, &q)) == IO_RING_OK) {
            /* q is the back end's own copy: only it is looked at. */
            e.bad += q.seq != e.done || q.sum != sum_of(q.seq, q.a, q.b);
            e.done++;
            *(struct msg *)io_ring_back_respond(&r) = answer(&q);
            answered++;
            taken++;
            if (!e.hold)
                notify(&e, io_ring_back_push_responses(&r));
        }
        if (taken && e.hold)
            notify(&e, io_ring_back_push_responses(&r));
        if (!taken && st == IO_RING_EMPTY && answered < e.msgs)
            sleep_unless(ring_back_check, &r, &e);
    }
    e.cycles = rdtsc() - t0;
    receiver_done("ring", "ring back", "ring", &e, r.notified, r.held_off, r.broken);
}

/* ---- the virtqueue ---- */

#define BUFS 64u            /* request and response buffers, 32 bytes a pair, in the second frame */

static int vq_driver_check(void *vq) { return vq_driver_enable_interrupts(vq); }
static int vq_device_check(void *vq) { return vq_device_enable_kicks(vq); }

/* The device's check: a buffer lies inside the grant's window, addresses
 * 0 to FRAME - 1 (the driver's buffer frame, ref 1). */
static int inside_grant(void *ctx, uint64_t addr, uint32_t len, int device_writes)
{
    (void)ctx;
    (void)device_writes;
    return addr < FRAME && len <= FRAME - addr;
}

/* attack=refetch (vm1): the check, then the racing driver's write: every
 * descriptor of the table naming the buffer just checked now names one
 * past the grant's end. ctx: the device's queue. */
static int inside_grant_then_moved(void *ctx, uint64_t addr, uint32_t len, int device_writes)
{
    struct virtqueue *vq = ctx;
    int ok = inside_grant(0, addr, len, device_writes);
    for (uint16_t i = 0; i < vq->size; i++)
        if (vq->desc[i].addr == addr && vq->desc[i].len == len)
            vq->desc[i].addr = addr + 16 * FRAME;
    return ok;
}

static int inside(const struct vq_buf *b)
{
    return inside_grant(0, b->addr, b->len, b->device_writes);
}

static struct vq_driver_slot slots[128];

/* vm0 offers msgs requests (from *sent on), each a chain of a readable
 * request and a writable response buffer, and takes them back used. */
static void vq_send(struct virtqueue *vq, uint8_t *bufs, struct end *e, uint32_t *sent)
{
    static uint32_t seq_of[BUFS], free_bufs[BUFS];
    uint32_t nfree = BUFS;
    for (uint32_t i = 0; i < BUFS; i++)
        free_bufs[i] = BUFS - 1 - i;
    uint64_t t0 = rdtsc();
    while (e->done < e->msgs && !vq->broken) {
        uint32_t added = 0, taken = 0;
        while (*sent < e->msgs && nfree) {
            uint32_t k = free_bufs[nfree - 1];
            *(struct msg *)(bufs + k * 32) = request(*sent);
            struct vq_buf b[2] = { { k * 32, 16, 0 }, { k * 32 + 16, 16, 1 } };
            if (vq_driver_add(vq, b, 2, k) != VQ_OK)
                break;
            nfree--;
            seq_of[k] = (*sent)++;
            added++;
            if (!e->hold)
                notify(e, vq_driver_kick(vq));
        }
        if (added && e->hold)
            notify(e, vq_driver_kick(vq));
        uint64_t k;
        uint32_t len;
        while (vq_driver_get_used(vq, &k, &len) == VQ_OK) {
            e->bad += len != 16 || seq_of[k] != e->done || !answer_right((struct msg *)(bufs + k * 32 + 16), e->done);
            e->done++;
            free_bufs[nfree++] = (uint32_t)k;
            taken++;
        }
        if (!taken && e->done < e->msgs && (*sent == e->msgs || nfree == 0))
            sleep_unless(vq_driver_check, vq, e);
    }
    e->cycles += rdtsc() - t0;
}

PV_CASE(pipe_vq_send, "pipe-vq-send", "vm0: messages to vm1 through a virtqueue in granted frames (hold=, attack=)")
{
    int hostile = attack_is("outside") || attack_is("loop");
    struct end e = end_up(hostile ? GOOD_FIRST : 2000);
    struct virtqueue vq;
    if (vq_driver_init(&vq, give(0), vq_size_for(FRAME), e.hold, slots))
        result("FAILED vq_driver_init");
    uint8_t *bufs = give(1);
    offer(&e);
    uint32_t sent = 0;
    vq_send(&vq, bufs, &e, &sent);
    if (attack_is("outside")) {
        /* A request whose response buffer runs past the grant's end. */
        struct vq_buf b[2] = { { 0, 16, 0 }, { FRAME - 8, 16, 1 } };
        vq_driver_add(&vq, b, 2, 0);
    } else if (hostile) {
        /* A chain of two whose second descriptor leads back to the first:
         * a loop (2.6.5.2), rewritten in the shared table after the add.
         * Both device-writable, so that only the loop is wrong. */
        struct vq_buf b[2] = { { 0, 16, 1 }, { 16, 16, 1 } };
        uint16_t head = vq.free_head, second = vq.slot[head].next;
        vq_driver_add(&vq, b, 2, 0);
        vq.desc[second].flags = VQ_DESC_F_WRITE | VQ_DESC_F_NEXT;
        vq.desc[second].next = head;
    }
    if (hostile) {
        vq_driver_kick(&vq);
        attacked(&e);
    }
    sender_done("vq", "vq driver", &e, vq.notified, vq.held_off, vq.broken);
}

PV_CASE(pipe_vq_recv, "pipe-vq-recv", "vm1: the virtqueue's device: buffers inside the grant only, each answered")
{
    void *frames[2];
    struct end e = receiver_up(frames, 2);
    uint8_t *bufs = frames[1];
    struct virtqueue vq;
    int refetch = attack_is("refetch");
    if (vq_device_attach(&vq, frames[0], vq_size_for(FRAME), e.hold, refetch ? inside_grant_then_moved : inside_grant,
                         &vq))
        result("FAILED vq_device_attach");
    uint64_t t0 = rdtsc();
    enum vq_status st = VQ_OK;
    while (e.done < e.msgs && st != VQ_BROKEN) {
        struct vq_chain c;
        uint32_t taken = 0;
        while ((st = vq_device_pop(&vq, &c)) == VQ_OK) {
            struct msg q = { 0, 0, 0, 0 };
            /* Under attack=refetch, its buffers as the device took them:
             * inside the grant (the queue's check said so), unless the
             * device read a descriptor again after checking it. */
            int shaped = c.nsegs == 2 && c.nreadable == 1 && c.seg[0].len >= sizeof(q) && c.seg[1].len >= sizeof(q) &&
                         (!refetch || (inside(&c.seg[0]) && inside(&c.seg[1])));
            if (shaped)
                memcpy(&q, bufs + c.seg[0].addr, sizeof(q));    /* read once, then looked at */
            e.bad += !shaped || q.seq != e.done || q.sum != sum_of(q.seq, q.a, q.b);
            e.done++;
            struct msg a = answer(&q);
            if (shaped)
                memcpy(bufs + c.seg[1].addr, &a, sizeof(a));
            vq_device_push(&vq, c.head, shaped ? sizeof(a) : 0);
            taken++;
            if (!e.hold)
                notify(&e, vq_device_notify(&vq));
        }
        if (taken && e.hold)
            notify(&e, vq_device_notify(&vq));
        if (!taken && st == VQ_EMPTY && e.done < e.msgs)
            sleep_unless(vq_device_check, &vq, &e);
    }
    e.cycles = rdtsc() - t0;
    receiver_done("vq", "vq device", "queue", &e, vq.notified, vq.held_off, vq.broken);
}
