/*
 * io_ring.h: a request/response ring in one shared frame, Xen's design
 * (xen/include/public/io/ring.h), written anew as functions (lab 6).
 *
 * The frame holds a header and a power-of-2 number of slots; a slot holds
 * a request or, once the back end has taken that request, its response.
 * The front end (the guest's driver) produces requests and consumes
 * responses; the back end (the driver domain) consumes requests and
 * produces responses. Each side keeps its private indexes in struct
 * io_ring, outside the shared frame, and publishes with one store:
 *
 *     shared frame:  req_prod  req_event  rsp_prod  rsp_event  | slots...
 *     front (private): req_prod_pvt  rsp_cons
 *     back  (private): rsp_prod_pvt  req_cons
 *
 * Indexes run freely (uint32_t, wrapping) and are taken modulo the ring's
 * size. Notification hold-off: a side asks to be woken at index E by
 * writing E into req_event (or rsp_event); the other side notifies only
 * when its new producer index passes E (io_ring_need_notify). A side that
 * finds no work sets E to one past what it consumed and looks once more
 * (the final check), so no notification is lost between its look and its
 * sleep.
 *
 * The other side of a ring is not trusted. Everything read from the
 * shared frame is read once into a private copy (a request is copied out
 * whole before it is looked at: a front end that rewrites it afterwards
 * changes nothing, no "double fetch"), and a producer index that moves
 * backwards or more than a ring ahead marks the ring broken: the caller
 * stops using it (IO_RING_BROKEN) instead of reading stale slots as new.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

/* The shared frame's header; the slots follow at IO_RING_HEADER bytes. */
struct io_ring_shared {
    uint32_t req_prod, req_event;
    uint32_t rsp_prod, rsp_event;
};
#define IO_RING_HEADER 64u      /* Xen's header with its padding: slots stay cache-line aligned */

enum io_ring_status {
    IO_RING_OK = 0,
    IO_RING_EMPTY = 1,          /* nothing to take */
    IO_RING_FULL = 2,           /* no free slot (front: requests; back: never, see io_ring_back_respond) */
    IO_RING_BROKEN = -1,        /* the other side moved its index backwards or past the ring */
};

/* One side's view of a ring: the shared frame and its private indexes. */
struct io_ring {
    volatile struct io_ring_shared *shared;
    uint8_t *slots;             /* IO_RING_HEADER bytes into the frame */
    uint32_t size;              /* slots, a power of 2 */
    uint32_t slot_bytes;
    uint32_t prod_pvt;          /* front: req_prod_pvt; back: rsp_prod_pvt */
    uint32_t cons;              /* front: rsp_cons; back: req_cons */
    uint32_t published;         /* the producer index last stored in the frame (not read back: the
                                   other side can write the frame) */
    int broken;
    uint32_t notified, held_off;        /* pushes that did and did not need to wake the other side */
};

/* The number of slots of slot_bytes a frame of frame_bytes holds: the
 * largest power of 2 that fits after the header (0 if none). */
uint32_t io_ring_slots(uint32_t frame_bytes, uint32_t slot_bytes);

/* The front end makes a new ring in its frame (zeroed indexes, both sides
 * asking to be woken at the first item); the back end attaches to one
 * (it must agree on frame_bytes and slot_bytes, as Xen's protocols fix
 * them per device type). 0, or -1 if no slot fits. */
int io_ring_front_init(struct io_ring *r, void *frame, uint32_t frame_bytes, uint32_t slot_bytes);
int io_ring_back_attach(struct io_ring *r, void *frame, uint32_t frame_bytes, uint32_t slot_bytes);

/* Would moving a producer from old to new pass the index event the other
 * side asked to be woken at? (Xen's RING_PUSH_..._AND_CHECK_NOTIFY.) */
static inline int io_ring_need_notify(uint32_t new_prod, uint32_t old_prod, uint32_t event)
{
    return (uint32_t)(new_prod - event) < (uint32_t)(new_prod - old_prod);
}

/* Front end. */
uint32_t io_ring_front_free(const struct io_ring *r);
void *io_ring_front_next_request(struct io_ring *r);         /* a slot to fill, or NULL if full */
int io_ring_front_push_requests(struct io_ring *r);          /* publish; 1: notify the back end */
enum io_ring_status io_ring_front_take_response(struct io_ring *r, void *rsp);
int io_ring_front_final_check(struct io_ring *r);            /* 1: responses came meanwhile */

/* Back end. */
enum io_ring_status io_ring_back_take_request(struct io_ring *r, void *req);
void *io_ring_back_respond(struct io_ring *r);               /* the slot for the oldest unanswered request */
int io_ring_back_push_responses(struct io_ring *r);          /* publish; 1: notify the front end */
int io_ring_back_final_check(struct io_ring *r);             /* 1: requests came meanwhile */
