/*
 * fuzz_rings.c: lib/io_ring.c and lib/virtqueue.c, lab 6's two ring
 * designs, with both sides of each honest and a third party (the input)
 * writing any word of the shared frames between their steps: the hostile
 * front end, back end, driver or device.
 *
 * The input is a script, a byte a step (its low 3 bits the operation, the
 * next bytes its arguments). After every step:
 *   - io_ring: the back end never holds more than a ring of requests it
 *     took and has not answered; the front end never takes more responses
 *     than it published requests, nor has more than a ring outstanding;
 *   - virtqueue: a chain the device took has 1..VQ_MAX_SEGS segments, each
 *     inside the grant, the readable ones first; the device takes at most
 *     a ring of chains per look; the driver's descriptors are exactly
 *     accounted for: free ones on its free list once each, the others in
 *     exactly one chain in flight;
 *   - nothing reads or writes outside the frames (AddressSanitizer: each
 *     frame is a heap block of exactly its size), and every loop ends.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "io_ring.h"
#include "virtqueue.h"

#define FRAME 4096u
#define SLOT 24u                /* (4096 - 64) / 24 = 168: 128 slots */
#define GRANT_BASE 0x10000u
#define GRANT_LEN 0x4000u

static int in_grant(void *ctx, uint64_t addr, uint32_t len, int writes)
{
    (void)ctx, (void)writes;
    return addr >= GRANT_BASE && addr + len <= GRANT_BASE + GRANT_LEN;
}

/* The other side's write: any 2 or 4 bytes anywhere, or one of the
 * indexes moved by a small step (a lie the fuzzer would rarely guess). */
static void hostile_write(struct fuzz_input *in, uint8_t *frame, const uint32_t *indexes, unsigned n,
                          unsigned index_bytes)
{
    unsigned how = (unsigned)fuzz_take(in, 1);
    if (how & 1) {
        uint32_t off = indexes[(how >> 1) % n], v = 0;
        memcpy(&v, frame + off, index_bytes);
        v += (uint32_t)(int32_t)(int8_t)fuzz_take(in, 1);
        memcpy(frame + off, &v, index_bytes);
        return;
    }
    uint32_t off = (uint32_t)fuzz_take(in, 2) % (FRAME - 3);
    uint32_t v = (uint32_t)fuzz_take(in, 4);
    memcpy(frame + off, &v, (how & 2) ? 2 : 4);
}

static void check_io_ring(const struct io_ring *front, const struct io_ring *back)
{
    FUZZ_CHECK(back->cons - back->prod_pvt <= back->size, "back end holds %u unanswered",
               back->cons - back->prod_pvt);
    FUZZ_CHECK(front->prod_pvt - front->cons <= front->size, "front end has %u outstanding",
               front->prod_pvt - front->cons);
    FUZZ_CHECK(front->published - front->cons <= front->size,
               "front end took responses to unpublished requests");
}

static void io_ring_step(struct fuzz_input *in, unsigned op, struct io_ring *front, struct io_ring *back)
{
    uint8_t buf[SLOT];
    switch (op) {
    case 0: {                                   /* the front end queues and publishes */
        unsigned n = (unsigned)fuzz_take(in, 1) % 40;
        for (unsigned k = 0; k < n; k++) {
            uint8_t *s = io_ring_front_next_request(front);
            if (!s)
                break;
            memset(s, (int)k, SLOT);
        }
        io_ring_front_push_requests(front);
        break;
    }
    case 1: {                                   /* the back end takes, answers some, publishes */
        unsigned answer = (unsigned)fuzz_take(in, 1), taken = 0;
        while (io_ring_back_take_request(back, buf) == IO_RING_OK) {
            FUZZ_CHECK(++taken <= back->size, "took %u requests in one look", taken);
            if (taken <= answer) {
                uint8_t *r = io_ring_back_respond(back);
                FUZZ_CHECK(r != NULL, "no slot for a response to a request taken");
                memcpy(r, buf, SLOT);
            }
        }
        io_ring_back_push_responses(back);
        io_ring_back_final_check(back);
        break;
    }
    case 2: {                                   /* the front end takes the responses */
        unsigned taken = 0;
        while (io_ring_front_take_response(front, buf) == IO_RING_OK)
            FUZZ_CHECK(++taken <= front->size, "took %u responses in one look", taken);
        io_ring_front_final_check(front);
        break;
    }
    }
}

/* The driver's books: every descriptor free once or in exactly one chain. */
static void check_driver(const struct virtqueue *vq)
{
    uint8_t owner[128] = { 0 };
    unsigned in_flight = 0;
    for (uint16_t h = 0; h < vq->size; h++) {
        const struct vq_driver_slot *s = &vq->slot[h];
        if (!s->chain_len)
            continue;
        uint16_t i = h;
        for (uint16_t k = 0; k < s->chain_len; k++, i = vq->slot[i].next) {
            FUZZ_CHECK(i < vq->size && !owner[i], "descriptor %u in two places", i);
            owner[i] = 1;
            in_flight++;
        }
    }
    uint16_t i = vq->free_head;
    for (uint16_t k = 0; k < vq->num_free; k++, i = vq->slot[i].next) {
        FUZZ_CHECK(i < vq->size && !owner[i], "free descriptor %u also in use", i);
        owner[i] = 1;
    }
    FUZZ_CHECK(in_flight + vq->num_free == vq->size, "%u in flight + %u free", in_flight, vq->num_free);
}

static void vq_step(struct fuzz_input *in, unsigned op, struct virtqueue *drv, struct virtqueue *dev)
{
    switch (op) {
    case 0: {                                   /* the driver offers chains and kicks */
        unsigned n = (unsigned)fuzz_take(in, 1) % 8;
        for (unsigned k = 0; k < n; k++) {
            struct vq_buf b[4];
            uint16_t segs = (uint16_t)(1 + fuzz_take(in, 1) % 4);
            for (uint16_t j = 0; j < segs; j++)
                b[j] = (struct vq_buf){ GRANT_BASE + 64u * j, 64, j >= segs / 2 };
            if (vq_driver_add(drv, b, segs, k) != VQ_OK)
                break;
        }
        vq_driver_kick(drv);
        break;
    }
    case 1: {                                   /* the device takes chains, uses some */
        unsigned use = (unsigned)fuzz_take(in, 1), taken = 0;
        struct vq_chain c;
        while (vq_device_pop(dev, &c) == VQ_OK) {
            FUZZ_CHECK(++taken <= dev->size, "took %u chains in one look", taken);
            FUZZ_CHECK(c.nsegs >= 1 && c.nsegs <= VQ_MAX_SEGS && c.nreadable <= c.nsegs, "%u segments",
                       c.nsegs);
            uint32_t writable = 0;
            for (uint16_t j = 0; j < c.nsegs; j++) {
                FUZZ_CHECK(in_grant(NULL, c.seg[j].addr, c.seg[j].len, 0), "segment %u outside the grant", j);
                FUZZ_CHECK(c.seg[j].device_writes == (j >= c.nreadable), "segment %u out of order", j);
                writable += c.seg[j].device_writes ? c.seg[j].len : 0;
            }
            if (taken <= use)
                vq_device_push(dev, c.head, writable);
        }
        vq_device_notify(dev);
        vq_device_enable_kicks(dev);
        break;
    }
    case 2: {                                   /* the driver takes used chains */
        uint64_t token;
        uint32_t len;
        unsigned taken = 0;
        while (vq_driver_get_used(drv, &token, &len) == VQ_OK)
            FUZZ_CHECK(++taken <= drv->size, "took %u used chains in one look", taken);
        vq_driver_enable_interrupts(drv);
        break;
    }
    }
    check_driver(drv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    uint8_t *ring_frame = calloc(1, FRAME), *vq_frame = calloc(1, FRAME);
    static struct vq_driver_slot slots[128];
    struct io_ring front, back;
    struct virtqueue drv, dev;
    int event_idx = size > 0 && (data[0] & 0x80);
    if (!ring_frame || !vq_frame || io_ring_front_init(&front, ring_frame, FRAME, SLOT) < 0 ||
        io_ring_back_attach(&back, ring_frame, FRAME, SLOT) < 0 ||
        vq_driver_init(&drv, vq_frame, vq_size_for(FRAME), event_idx, slots) < 0 ||
        vq_device_attach(&dev, vq_frame, drv.size, event_idx, in_grant, NULL) < 0)
        abort();
    FUZZ_CHECK(front.size == 128 && drv.size == 128, "sizes %u %u", front.size, drv.size);
    const uint32_t ring_indexes[4] = { 0, 4, 8, 12 };  /* req_prod, req_event, rsp_prod, rsp_event */
    const uint32_t vq_indexes[4] = {
        (uint32_t)((uint8_t *)drv.avail_idx - vq_frame), (uint32_t)((uint8_t *)drv.used_event - vq_frame),
        (uint32_t)((uint8_t *)drv.used_idx - vq_frame), (uint32_t)((uint8_t *)drv.avail_event - vq_frame),
    };
    for (int steps = 0; in.pos < in.size && steps < 400; steps++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        switch (op & 7) {
        case 0: case 1: case 2: io_ring_step(&in, op & 7, &front, &back); break;
        case 3: hostile_write(&in, ring_frame, ring_indexes, 4, 4); break;
        case 4: case 5: case 6: vq_step(&in, (op & 7) - 4, &drv, &dev); break;
        case 7: hostile_write(&in, vq_frame, vq_indexes, 4, 2); break;
        }
        check_io_ring(&front, &back);
    }
    free(ring_frame);
    free(vq_frame);
    return 0;
}
