/*
 * virtqueue.c: the split virtqueue of virtqueue.h. Pure, as io_ring.c:
 * the guests use it on a granted frame, the host unit tests
 * (tests/unit/test_virtqueue.c) and the fuzzer (tests/fuzz/fuzz_virtqueue.c)
 * on a buffer that plays the hostile other side. Section numbers are the
 * VIRTIO 1.1 specification's; the ordering rules are io_ring.c's.
 */
#include "virtqueue.h"
#include "string.h"

#define compiler_barrier() __asm__ __volatile__("" ::: "memory")
#define full_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* 2.6: the descriptor table 16-byte aligned, the available ring 2, the
 * used ring 4; here one after the other. */
static uint32_t avail_offset(uint16_t n) { return 16u * n; }
static uint32_t used_offset(uint16_t n) { return (avail_offset(n) + 6u + 2u * n + 3u) & ~3u; }

uint32_t vq_bytes(uint16_t n)
{
    return used_offset(n) + 6u + 8u * n;
}

uint16_t vq_size_for(uint32_t frame_bytes)
{
    uint16_t n = 0;
    for (uint32_t k = 1; k <= 32768 && vq_bytes((uint16_t)k) <= frame_bytes; k *= 2)
        n = (uint16_t)k;
    return n;
}

static int lay_out(struct virtqueue *vq, void *frame, uint16_t size, int event_idx)
{
    memset(vq, 0, sizeof(*vq));
    if (size == 0 || (size & (size - 1)) || size > 32768)
        return -1;
    uint8_t *base = frame;
    volatile uint16_t *avail = (volatile uint16_t *)(base + avail_offset(size));
    volatile uint16_t *used = (volatile uint16_t *)(base + used_offset(size));
    vq->size = size;
    vq->event_idx = event_idx;
    vq->desc = (volatile struct vq_desc *)base;
    vq->avail_flags = &avail[0];
    vq->avail_idx = &avail[1];
    vq->avail_ring = &avail[2];
    vq->used_event = &avail[2 + size];          /* 2.6.7: after the available ring */
    vq->used_flags = &used[0];
    vq->used_idx = &used[1];
    vq->used_ring = (volatile struct vq_used_elem *)&used[2];
    vq->avail_event = &used[2 + 4 * size];      /* 2.6.8: after the used ring */
    return 0;
}

int vq_driver_init(struct virtqueue *vq, void *frame, uint16_t size, int event_idx,
                   struct vq_driver_slot *slots)
{
    if (lay_out(vq, frame, size, event_idx) < 0)
        return -1;
    memset(frame, 0, vq_bytes(size));
    vq->slot = slots;
    for (uint16_t i = 0; i < size; i++)
        slots[i] = (struct vq_driver_slot){ .next = (uint16_t)(i + 1) };
    vq->num_free = size;
    return 0;
}

/* The device starts from the indexes as the frame holds them (a queue in
 * use can be attached again); each is checked where it is used. */
int vq_device_attach(struct virtqueue *vq, void *frame, uint16_t size, int event_idx,
                     int (*check)(void *, uint64_t, uint32_t, int), void *ctx)
{
    if (lay_out(vq, frame, size, event_idx) < 0 || !check)
        return -1;
    vq->check = check;
    vq->check_ctx = ctx;
    vq->last_avail = *vq->avail_event;
    vq->used_pvt = vq->published = *vq->used_idx;
    return 0;
}

/* How many entries the other side published past `last`: its index read
 * once, before the entries it covers. */
static uint16_t published_past(volatile uint16_t *idx, uint16_t last)
{
    uint16_t i = *idx;
    compiler_barrier();         /* the index before the entries */
    return (uint16_t)(i - last);
}

/* LAB 6 BEGIN: a publish (notify, or suppressed by the event index), interrupts and kicks asked for again */
/* 2.6.7.2 and 2.6.8.2: publish a new index; notify only if the other side's
 * event index lies within what it covers (or, without event indexes, its
 * flag allows). */
static int publish(struct virtqueue *vq, volatile uint16_t *idx, uint16_t new, volatile uint16_t *event,
                   volatile uint16_t *flags, uint16_t no_flag)
{
    uint16_t old = vq->published;
    compiler_barrier();         /* the ring entries before the index (2.6.13.3, 2.6.8.2) */
    *idx = vq->published = new;
    full_fence();               /* the index before the other side's event or flags */
    int notify = vq->event_idx ? vq_need_event(*event, new, old) : !(*flags & no_flag);
    if (notify && new != old)
        vq->notified++;
    else if (new != old)
        vq->held_off++;
    return notify && new != old;
}

/* 2.6.7.1: the driver asks to be interrupted at the next used element, then
 * looks once more (a used element that came meanwhile sent none). */
int vq_driver_enable_interrupts(struct virtqueue *vq)
{
    if (vq->event_idx)
        *vq->used_event = vq->last_used;
    else
        *vq->avail_flags = (uint16_t)(*vq->avail_flags & ~VQ_AVAIL_F_NO_INTERRUPT);
    full_fence();               /* the event before the index is read again */
    return *vq->used_idx != vq->last_used;
}

/* 2.6.8.1: the device asks for a kick at the next available chain, then
 * looks once more. */
int vq_device_enable_kicks(struct virtqueue *vq)
{
    if (vq->event_idx)
        *vq->avail_event = vq->last_avail;
    else
        *vq->used_flags = (uint16_t)(*vq->used_flags & ~VQ_USED_F_NO_NOTIFY);
    full_fence();               /* the event before the index is read again */
    return *vq->avail_idx != vq->last_avail;
}
/* LAB 6 END */

int vq_driver_kick(struct virtqueue *vq)
{
    return publish(vq, vq->avail_idx, vq->avail_pvt, vq->avail_event, vq->used_flags, VQ_USED_F_NO_NOTIFY);
}

int vq_device_notify(struct virtqueue *vq)
{
    return publish(vq, vq->used_idx, vq->used_pvt, vq->used_event, vq->avail_flags, VQ_AVAIL_F_NO_INTERRUPT);
}

/* LAB 6 BEGIN: the driver: a chain offered, a used element checked and its chain freed */
/* 2.6.13: a chain of n descriptors from the free list, its head offered. */
enum vq_status vq_driver_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n, uint64_t token)
{
    if (vq->broken)
        return VQ_BROKEN;
    if (n == 0 || n > vq->num_free)
        return VQ_FULL;
    uint16_t head = vq->free_head, i = head;
    uint32_t writable = 0;
    for (uint16_t k = 0; k < n; k++) {
        volatile struct vq_desc *d = &vq->desc[i];
        d->addr = bufs[k].addr;
        d->len = bufs[k].len;
        d->flags = (uint16_t)((bufs[k].device_writes ? VQ_DESC_F_WRITE : 0) | (k + 1 < n ? VQ_DESC_F_NEXT : 0));
        d->next = vq->slot[i].next;
        if (bufs[k].device_writes)
            writable += bufs[k].len;
        i = vq->slot[i].next;
    }
    vq->free_head = i;
    vq->num_free = (uint16_t)(vq->num_free - n);
    vq->slot[head].chain_len = n;
    vq->slot[head].writable = writable;
    vq->slot[head].token = token;
    vq->avail_ring[vq->avail_pvt & (vq->size - 1)] = head;
    vq->avail_pvt++;
    return VQ_OK;
}

/* 2.6.14: a used element names a head in flight and at most the bytes its
 * chain let the device write; its descriptors go back to the free list. */
enum vq_status vq_driver_get_used(struct virtqueue *vq, uint64_t *token, uint32_t *len)
{
    if (vq->broken)
        return VQ_BROKEN;
    uint16_t pending = published_past(vq->used_idx, vq->last_used);
    if (pending == 0)
        return VQ_EMPTY;
    struct vq_used_elem e = vq->used_ring[vq->last_used & (vq->size - 1)];
    if (pending > vq->size || e.id >= vq->size || vq->slot[e.id].chain_len == 0 ||
        e.len > vq->slot[e.id].writable) {
        vq->broken = 1;
        return VQ_BROKEN;
    }
    vq->last_used++;
    struct vq_driver_slot *s = &vq->slot[e.id];
    uint16_t tail = (uint16_t)e.id;
    for (uint16_t k = 1; k < s->chain_len; k++)
        tail = vq->slot[tail].next;
    vq->slot[tail].next = vq->free_head;
    vq->free_head = (uint16_t)e.id;
    vq->num_free = (uint16_t)(vq->num_free + s->chain_len);
    s->chain_len = 0;
    *token = s->token;
    *len = e.len;
    return VQ_OK;
}
/* LAB 6 END */

/* LAB 6 BEGIN: the device: a chain walked, each descriptor read once and checked; the used ring */
/* The queue broken (virtio's DEVICE_NEEDS_RESET, 2.1.2): every later call
 * refuses. */
static enum vq_status broken(struct virtqueue *vq)
{
    vq->broken = 1;
    return VQ_BROKEN;
}

/* 2.6.12 and 2.6.5: the next offered chain, each descriptor read once into
 * chain and checked before the device may touch its buffer. */
enum vq_status vq_device_pop(struct virtqueue *vq, struct vq_chain *chain)
{
    if (vq->broken)
        return VQ_BROKEN;
    uint16_t pending = published_past(vq->avail_idx, vq->last_avail);
    if (pending == 0)
        return VQ_EMPTY;
    if (pending > vq->size)
        return broken(vq);
    uint16_t head = vq->avail_ring[vq->last_avail & (vq->size - 1)];
    if (head >= vq->size)
        return broken(vq);
    vq->last_avail++;
    chain->head = head;
    chain->nsegs = chain->nreadable = 0;
    for (uint16_t i = head;;) {
        /* A chain longer than the table must visit a descriptor twice: a
         * loop (2.6.5.2: the driver MUST NOT). */
        if (chain->nsegs >= VQ_MAX_SEGS || chain->nsegs >= vq->size)
            return broken(vq);
        struct vq_desc d = vq->desc[i];
        int writes = (d.flags & VQ_DESC_F_WRITE) != 0;
        if ((d.flags & VQ_DESC_F_INDIRECT) || (!writes && chain->nreadable < chain->nsegs) ||
            d.addr + d.len < d.addr || !vq->check(vq->check_ctx, d.addr, d.len, writes))
            return broken(vq);
        chain->seg[chain->nsegs++] = (struct vq_buf){ d.addr, d.len, writes };
        if (!writes)
            chain->nreadable++;
        if (!(d.flags & VQ_DESC_F_NEXT))
            return VQ_OK;
        if (d.next >= vq->size)
            return broken(vq);
        i = d.next;
    }
}

/* 2.6.8: the chain headed by head is done, written bytes of it written;
 * the driver sees it once vq_device_notify publishes. */
void vq_device_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
    vq->used_ring[vq->used_pvt & (vq->size - 1)] = (struct vq_used_elem){ head, written };
    vq->used_pvt++;
}
/* LAB 6 END */
