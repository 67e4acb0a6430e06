/*
 * virtqueue.h: a virtio split virtqueue (Virtual I/O Device (VIRTIO)
 * Version 1.1, section 2.6 "Split Virtqueues"), written anew beside
 * io_ring.h so that lab 6 can compare the two designs for one device.
 *
 * Three parts in shared memory, laid out here in one frame:
 *   descriptor table  N x {addr, len, flags, next}: buffers, chained by next;
 *   available ring    {flags, idx, ring[N], used_event}: heads the driver offers;
 *   used ring         {flags, idx, ring[N] {id, len}, avail_event}: heads the
 *                     device is done with, and how many bytes it wrote.
 * Unlike Xen's ring, a request is not copied into the ring: the driver
 * lends buffers by address, and a chain may gather and scatter several.
 * The driver owns the descriptor table (it keeps the free list); the
 * device only reads it. Indexes are free-running 16-bit counters.
 *
 * Event suppression (VIRTIO_F_EVENT_IDX, 2.6.7 and 2.6.8): each side writes
 * the index at which it wants the next notification (used_event, written
 * by the driver; avail_event, by the device); the other notifies only when
 * its index passes it (vring_need_event).
 *
 * The device does not trust the driver: an available index more than a
 * queue ahead, a head or next out of the table, a chain longer than the
 * table (a loop), a device-readable buffer after a device-writable one
 * (2.6.4.2), an indirect descriptor (not offered here) or a buffer the
 * device's check refuses (outside what the driver granted) breaks the
 * queue (VQ_BROKEN): virtio's DEVICE_NEEDS_RESET. Each descriptor is read
 * once into the chain the device works from. The driver does not trust
 * the device either: a used id that is no chain in flight breaks it.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define VQ_DESC_F_NEXT     1u
#define VQ_DESC_F_WRITE    2u   /* device-writable (else device-readable) */
#define VQ_DESC_F_INDIRECT 4u   /* not offered: a device seeing it breaks the queue */
#define VQ_USED_F_NO_NOTIFY 1u  /* without event indexes: the device's "do not kick" */
#define VQ_AVAIL_F_NO_INTERRUPT 1u

struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct vq_used_elem {
    uint32_t id, len;
};

enum vq_status {
    VQ_OK = 0,
    VQ_EMPTY = 1,
    VQ_FULL = 2,                /* the driver: not enough free descriptors */
    VQ_BROKEN = -1,
};

/* The most segments one chain may have (the device's private copy). */
#define VQ_MAX_SEGS 16

/* A buffer as the driver offers it. */
struct vq_buf {
    uint64_t addr;
    uint32_t len;
    int device_writes;
};

/* A chain as the device took it: private copies of its descriptors. */
struct vq_chain {
    uint16_t head;
    uint16_t nsegs, nreadable;  /* the readable segments come first */
    struct vq_buf seg[VQ_MAX_SEGS];
};

/* The driver's private record of descriptor i: while free, the next free
 * one; while in a chain in flight, the chain's next (the table's own next
 * fields are shared: a device could rewrite them). */
struct vq_driver_slot {
    uint16_t next, chain_len;   /* chain_len: the chain's descriptors if i is a head in flight, else 0 */
    uint32_t writable;          /* the device-writable bytes of the chain headed by i */
    uint64_t token;             /* the driver's cookie for that chain */
};

/* One side's view of a queue: the shared parts and its private state. */
struct virtqueue {
    uint16_t size;              /* N, a power of 2 */
    volatile struct vq_desc *desc;
    volatile uint16_t *avail_flags, *avail_idx, *avail_ring, *used_event;
    volatile uint16_t *used_flags, *used_idx, *avail_event;
    volatile struct vq_used_elem *used_ring;
    int event_idx;              /* VIRTIO_F_EVENT_IDX negotiated */
    int broken;
    uint32_t notified, held_off;        /* publishes that did and did not need to notify */
    uint16_t published;         /* the index last stored (driver: avail; device: used) */
    /* the driver's */
    struct vq_driver_slot *slot;
    uint16_t free_head, num_free, avail_pvt, last_used;
    /* the device's */
    uint16_t last_avail, used_pvt;
    int (*check)(void *ctx, uint64_t addr, uint32_t len, int device_writes);
    void *check_ctx;
};

/* Bytes a queue of n descriptors needs (the three parts, each aligned as
 * 2.6 asks: 16, 2 and 4); the largest power of 2 that fits in a frame. */
uint32_t vq_bytes(uint16_t n);
uint16_t vq_size_for(uint32_t frame_bytes);

/* The driver lays a new queue out in its frame and zeroes it; slots is
 * its private array of size entries. The device attaches
 * to the same layout with a check of every buffer (addr, len, whether it
 * writes): nonzero if the buffer is one the driver may lend (inside what
 * it granted). 0, or -1 if size is no power of 2 or is 0. */
int vq_driver_init(struct virtqueue *vq, void *frame, uint16_t size, int event_idx,
                   struct vq_driver_slot *slots);
int vq_device_attach(struct virtqueue *vq, void *frame, uint16_t size, int event_idx,
                     int (*check)(void *, uint64_t, uint32_t, int), void *ctx);

/* vring_need_event: does moving an index from old to new pass event? */
static inline int vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Driver. */
enum vq_status vq_driver_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n, uint64_t token);
int vq_driver_kick(struct virtqueue *vq);                    /* publish; 1: notify the device */
enum vq_status vq_driver_get_used(struct virtqueue *vq, uint64_t *token, uint32_t *len);
int vq_driver_enable_interrupts(struct virtqueue *vq);       /* 1: used buffers came meanwhile */

/* Device. */
enum vq_status vq_device_pop(struct virtqueue *vq, struct vq_chain *chain);
void vq_device_push(struct virtqueue *vq, uint16_t head, uint32_t written);
int vq_device_notify(struct virtqueue *vq);                  /* publish; 1: interrupt the driver */
int vq_device_enable_kicks(struct virtqueue *vq);            /* 1: buffers came meanwhile */
