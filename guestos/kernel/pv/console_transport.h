/*
 * console_transport.h: the split console's ring (lib/pv_abi.h section
 * 11), Xen's request/response ring (lib/io_ring.h) or a virtio split
 * virtqueue (lib/virtqueue.h): the front end chooses (`console=split
 * ring=vq`) and says which in its hello; the back end follows. Both ends'
 * loops (console_front.c, console_back.c) see requests and answers in the
 * ring's terms (struct pv_splitcons_req, _rsp) whichever carries them,
 * so the same traffic can be compared over the two (tests/bench/split.py).
 */
#pragma once
#include <stdint.h>
#include "../../../lib/io_ring.h"
#include "../../../lib/pv_abi.h"
#include "../../../lib/virtqueue.h"

/* The ring's (or queue's) bytes: the connection page between the hello
 * and the input ring. */
#define SPLITCONS_RING_BYTES (PV_SPLITCONS_INPUT - PV_SPLITCONS_RING)

/* The back end's view. */
struct splitcons_back {
    int vq;                         /* hello.ring == PV_SPLITCONS_RING_VQ */
    struct io_ring ring;
    struct virtqueue queue;
    uint8_t *bufs;                  /* the guest's buffer page, mapped (vq) */
    uint16_t head;                  /* the chain taken last (vq) */
    int32_t answer_at;              /* its answer's offset in bufs, or -1: none to write */
};

/* 0, or -1 if no ring fits. page: the connection page; bufs: the buffer
 * page (vq only). */
int splitcons_back_attach(struct splitcons_back *t, uint8_t *page, uint8_t *bufs, int vq);
/* The oldest request not taken, into q (the back end's own copy, its data
 * read once); q->len as the guest gave it (its data copied up to
 * PV_SPLITCONS_DATA bytes). IO_RING_EMPTY, or IO_RING_BROKEN for good. */
enum io_ring_status splitcons_back_take(struct splitcons_back *t, struct pv_splitcons_req *q);
void splitcons_back_respond(struct splitcons_back *t, const struct pv_splitcons_rsp *rsp);    /* the last taken's */
int splitcons_back_push(struct splitcons_back *t);          /* publish the answers; 1: notify the front end */
int splitcons_back_final_check(struct splitcons_back *t);   /* ask for the next event; 1: requests came */
int splitcons_back_broken(const struct splitcons_back *t);

/* The front end's view. */
struct splitcons_front {
    int vq;
    struct io_ring ring;
    struct virtqueue queue;
    struct vq_driver_slot slots[128];
    uint8_t *bufs;                  /* the buffer page (vq) */
    uint32_t next, added;           /* requests handed out, and added to the queue (vq) */
    uint32_t busy;                  /* slots in flight, a bit each (vq) */
};

int splitcons_front_init(struct splitcons_front *t, uint8_t *page, uint8_t *bufs, int vq);
struct pv_splitcons_req *splitcons_front_next(struct splitcons_front *t);  /* to fill, or NULL: full */
int splitcons_front_push(struct splitcons_front *t);        /* publish; 1: notify the back end */
enum io_ring_status splitcons_front_take(struct splitcons_front *t, struct pv_splitcons_rsp *rsp);
int splitcons_front_final_check(struct splitcons_front *t);
int splitcons_front_room(const struct splitcons_front *t);  /* 1: a request can be queued */
int splitcons_front_broken(const struct splitcons_front *t);
/* The requests handed out and not answered, oldest first. */
uint32_t splitcons_front_unanswered(const struct splitcons_front *t);
void splitcons_front_each_unanswered(const struct splitcons_front *t, void (*fn)(const struct pv_splitcons_req *q));
