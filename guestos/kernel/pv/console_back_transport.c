/*
 * console_back_transport.c: the split console's back end over either
 * ring (console_transport.h). Over Xen's ring a request is the ring's
 * slot, copied out whole (io_ring.c). Over the virtqueue it is a chain of
 * two buffers in the guest's buffer page (lib/pv_abi.h section 11):
 * virtqueue.c's device reads each descriptor once and breaks the queue
 * for a buffer outside the page or a chain that loops; here the data is
 * copied once into the back end's request, and a chain of another shape
 * comes out as a request with a length past its data, which the loop
 * refuses as it refuses one on Xen's ring.
 */
#include "console_transport.h"
#include "../../../lib/string.h"

/* virtqueue.c's check of every buffer: inside the buffer page (the
 * addresses are offsets in it). */
static int inside_buffer_page(void *ctx, uint64_t addr, uint32_t len, int device_writes)
{
    (void)ctx, (void)device_writes;
    return addr < PV_PAGE_SIZE && len <= PV_PAGE_SIZE - addr;
}

int splitcons_back_attach(struct splitcons_back *t, uint8_t *page, uint8_t *bufs, int vq)
{
    *t = (struct splitcons_back){.vq = vq, .bufs = bufs};
    if (!vq)
        return io_ring_back_attach(&t->ring, page + PV_SPLITCONS_RING, SPLITCONS_RING_BYTES, PV_SPLITCONS_SLOT);
    return vq_device_attach(&t->queue, page + PV_SPLITCONS_RING, vq_size_for(SPLITCONS_RING_BYTES), 1,
                            inside_buffer_page, NULL);
}

/* A chain: data (readable), then room for the answer (writable). */
static enum io_ring_status take_chain(struct splitcons_back *t, struct pv_splitcons_req *q)
{
    struct vq_chain c;
    enum vq_status st = vq_device_pop(&t->queue, &c);
    if (st != VQ_OK)
        return st == VQ_EMPTY ? IO_RING_EMPTY : IO_RING_BROKEN;
    int shaped = c.nsegs == 2 && c.nreadable == 1 && c.seg[1].len >= sizeof(struct pv_splitcons_rsp);
    t->head = c.head;
    t->answer_at = c.nsegs > c.nreadable && c.seg[c.nsegs - 1].len >= sizeof(struct pv_splitcons_rsp)
                       ? (int32_t)c.seg[c.nsegs - 1].addr : -1;
    q->id = c.head;
    q->len = shaped ? c.seg[0].len : PV_SPLITCONS_DATA + 1;
    if (shaped)
        memcpy(q->data, t->bufs + c.seg[0].addr, q->len < PV_SPLITCONS_DATA ? q->len : PV_SPLITCONS_DATA);
    return IO_RING_OK;
}

enum io_ring_status splitcons_back_take(struct splitcons_back *t, struct pv_splitcons_req *q)
{
    return t->vq ? take_chain(t, q) : io_ring_back_take_request(&t->ring, q);
}

void splitcons_back_respond(struct splitcons_back *t, const struct pv_splitcons_rsp *rsp)
{
    if (!t->vq) {
        struct pv_splitcons_rsp *slot = io_ring_back_respond(&t->ring);
        if (slot)
            *slot = *rsp;
        return;
    }
    if (t->answer_at >= 0)
        memcpy(t->bufs + t->answer_at, rsp, sizeof *rsp);
    vq_device_push(&t->queue, t->head, t->answer_at >= 0 ? sizeof *rsp : 0);
}

int splitcons_back_push(struct splitcons_back *t)
{
    return t->vq ? vq_device_notify(&t->queue) : io_ring_back_push_responses(&t->ring);
}

int splitcons_back_final_check(struct splitcons_back *t)
{
    return t->vq ? vq_device_enable_kicks(&t->queue) : io_ring_back_final_check(&t->ring);
}

int splitcons_back_broken(const struct splitcons_back *t)
{
    return t->vq ? t->queue.broken : t->ring.broken;
}
