/*
 * console_front_transport.c: the split console's front end over either
 * ring (console_transport.h). Over Xen's ring a request is filled in its
 * slot. Over the virtqueue it is filled in one of PV_SPLITCONS_VQ_SLOTS
 * slots of the buffer page (lib/pv_abi.h section 11), handed out in
 * order (a slot still in flight holds the next back), and becomes a chain
 * at the publish: its data for the device to read, its answer's room to
 * write. The device's answers are taken through virtqueue.c's driver,
 * which breaks the queue for a used element that names no chain in flight
 * or claims more bytes than the chain let it write.
 */
#include "console_transport.h"
#include "../../../lib/string.h"

#define SLOTS PV_SPLITCONS_VQ_SLOTS

static struct pv_splitcons_req *vq_slot(const struct splitcons_front *t, uint32_t k)
{
    return (struct pv_splitcons_req *)(t->bufs + k * PV_SPLITCONS_SLOT);
}

int splitcons_front_init(struct splitcons_front *t, uint8_t *page, uint8_t *bufs, int vq)
{
    *t = (struct splitcons_front){.vq = vq, .bufs = bufs};
    if (!vq)
        return io_ring_front_init(&t->ring, page + PV_SPLITCONS_RING, SPLITCONS_RING_BYTES, PV_SPLITCONS_SLOT);
    uint16_t n = vq_size_for(SPLITCONS_RING_BYTES);     /* 128: as many as t->slots */
    if (n > sizeof t->slots / sizeof t->slots[0])
        return -1;
    return vq_driver_init(&t->queue, page + PV_SPLITCONS_RING, n, 1, t->slots);
}

struct pv_splitcons_req *splitcons_front_next(struct splitcons_front *t)
{
    if (!t->vq)
        return io_ring_front_next_request(&t->ring);
    uint32_t k = t->next % SLOTS;
    if (t->busy & (1u << k))
        return NULL;
    t->busy |= 1u << k;
    t->next++;
    return vq_slot(t, k);
}

/* The requests filled since the last publish, offered as chains. A
 * length the front end itself made too long is offered as it is: the
 * device refuses it. */
int splitcons_front_push(struct splitcons_front *t)
{
    if (!t->vq)
        return io_ring_front_push_requests(&t->ring);
    for (; t->added != t->next; t->added++) {
        uint32_t k = t->added % SLOTS;
        struct vq_buf b[2] = {{k * PV_SPLITCONS_SLOT + 8, vq_slot(t, k)->len, 0},
                              {PV_SPLITCONS_VQ_RSP + k * sizeof(struct pv_splitcons_rsp),
                               sizeof(struct pv_splitcons_rsp), 1}};
        if (vq_driver_add(&t->queue, b, 2, k) != VQ_OK)
            break;      /* never: 2 descriptors a slot, fewer slots than half the table */
    }
    return vq_driver_kick(&t->queue);
}

enum io_ring_status splitcons_front_take(struct splitcons_front *t, struct pv_splitcons_rsp *rsp)
{
    if (!t->vq) {
        struct pv_splitcons_req slot;   /* a response comes in a slot's bytes */
        enum io_ring_status st = io_ring_front_take_response(&t->ring, &slot);
        if (st == IO_RING_OK)
            *rsp = *(struct pv_splitcons_rsp *)&slot;
        return st;
    }
    uint64_t k;
    uint32_t len;
    enum vq_status st = vq_driver_get_used(&t->queue, &k, &len);
    if (st != VQ_OK)
        return st == VQ_EMPTY ? IO_RING_EMPTY : IO_RING_BROKEN;
    memcpy(rsp, t->bufs + PV_SPLITCONS_VQ_RSP + k * sizeof *rsp, sizeof *rsp);
    if (len < sizeof *rsp)
        rsp->status = -PV_EINVAL;   /* no answer written: refused */
    t->busy &= ~(1u << k);
    return IO_RING_OK;
}

int splitcons_front_final_check(struct splitcons_front *t)
{
    return t->vq ? vq_driver_enable_interrupts(&t->queue) : io_ring_front_final_check(&t->ring);
}

int splitcons_front_room(const struct splitcons_front *t)
{
    return t->vq ? !(t->busy & (1u << (t->next % SLOTS))) : io_ring_front_free(&t->ring) > 0;
}

int splitcons_front_broken(const struct splitcons_front *t)
{
    return t->vq ? t->queue.broken : t->ring.broken;
}

uint32_t splitcons_front_unanswered(const struct splitcons_front *t)
{
    return t->vq ? (uint32_t)__builtin_popcount(t->busy) : t->ring.prod_pvt - t->ring.cons;
}

void splitcons_front_each_unanswered(const struct splitcons_front *t, void (*fn)(const struct pv_splitcons_req *q))
{
    if (!t->vq) {
        for (uint32_t i = t->ring.cons; i != t->ring.prod_pvt; i++)
            fn((const void *)(t->ring.slots + (i & (t->ring.size - 1)) * t->ring.slot_bytes));
        return;
    }
    /* A slot is handed out again only once answered: the ones in flight
     * are among the last SLOTS handed out. */
    for (uint32_t i = t->next - (t->next < SLOTS ? t->next : SLOTS); i != t->next; i++)
        if (t->busy & (1u << (i % SLOTS)))
            fn(vq_slot(t, i % SLOTS));
}
