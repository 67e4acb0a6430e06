/*
 * io_ring.c: the request/response ring of io_ring.h. Pure: the guests'
 * front and back ends use it on a granted frame, the host unit tests
 * (tests/unit/test_io_ring.c) and the fuzzer (tests/fuzz/fuzz_io_ring.c)
 * on a buffer that plays the other, hostile, side.
 *
 * Ordering (x86 keeps stores in order and loads in order, SDM vol. 3,
 * 9.2.2, so only the compiler must be held back there; a store followed
 * by a load of another location may pass it, so that needs a fence):
 *  - a producer fills its slots, then stores its index (publish);
 *  - a consumer loads the index, then the slots it covers;
 *  - a producer that stored its index, and a consumer that stored its
 *    event, load the other's word only after a full fence: otherwise both
 *    may miss each other's store and sleep with work pending.
 */
#include "io_ring.h"
#include "string.h"

#define compiler_barrier() __asm__ __volatile__("" ::: "memory")
#define full_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)

uint32_t io_ring_slots(uint32_t frame_bytes, uint32_t slot_bytes)
{
    if (slot_bytes == 0 || frame_bytes <= IO_RING_HEADER)
        return 0;
    uint32_t n = (frame_bytes - IO_RING_HEADER) / slot_bytes, size = 1;
    if (n == 0)
        return 0;
    while (size * 2 <= n)
        size *= 2;
    return size;
}

static int attach(struct io_ring *r, void *frame, uint32_t frame_bytes, uint32_t slot_bytes)
{
    memset(r, 0, sizeof(*r));
    r->size = io_ring_slots(frame_bytes, slot_bytes);
    if (r->size == 0)
        return -1;
    r->shared = frame;
    r->slots = (uint8_t *)frame + IO_RING_HEADER;
    r->slot_bytes = slot_bytes;
    return 0;
}

int io_ring_front_init(struct io_ring *r, void *frame, uint32_t frame_bytes, uint32_t slot_bytes)
{
    if (attach(r, frame, frame_bytes, slot_bytes) < 0)
        return -1;
    memset(frame, 0, IO_RING_HEADER);
    r->shared->req_event = 1;   /* wake the back end at the first request */
    r->shared->rsp_event = 1;   /* and the front end at the first response */
    return 0;
}

/* The back end starts from the frame's indexes as they are: a ring in use
 * can be attached again (a restarted driver domain). Whatever they hold
 * is checked at each take, as everything else the front end writes. */
int io_ring_back_attach(struct io_ring *r, void *frame, uint32_t frame_bytes, uint32_t slot_bytes)
{
    if (attach(r, frame, frame_bytes, slot_bytes) < 0)
        return -1;
    r->prod_pvt = r->cons = r->published = r->shared->rsp_prod;
    return 0;
}

/* LAB 6 BEGIN: the slot of an index, a producer index published (notify or hold off), the final check */
/* The slot of a free-running index: the size is a power of 2. */
static void *slot(const struct io_ring *r, uint32_t idx)
{
    return r->slots + (size_t)(idx & (r->size - 1)) * r->slot_bytes;
}

/* Publish a new producer index and say whether the other side asked to be
 * woken within what it covers. */
static int push(struct io_ring *r, volatile uint32_t *prod, volatile uint32_t *event)
{
    uint32_t old = r->published, new = r->prod_pvt;
    compiler_barrier();         /* the slots before the index */
    *prod = r->published = new;
    full_fence();               /* the index before the event is read */
    int notify = io_ring_need_notify(new, old, *event);
    if (notify)
        r->notified++;
    else if (new != old)
        r->held_off++;
    return notify;
}

/* Nothing left to take: ask to be woken at the next item, then look once
 * more, in case it came between the last look and the request. */
static int final_check(struct io_ring *r, volatile uint32_t *prod, volatile uint32_t *event)
{
    if (*prod != r->cons)
        return 1;
    *event = r->cons + 1;
    full_fence();               /* the event before the index is read again */
    return *prod != r->cons;
}
/* LAB 6 END */

uint32_t io_ring_front_free(const struct io_ring *r)
{
    return r->size - (r->prod_pvt - r->cons);
}

void *io_ring_front_next_request(struct io_ring *r)
{
    if (r->broken || io_ring_front_free(r) == 0)
        return NULL;
    return slot(r, r->prod_pvt++);
}

int io_ring_front_push_requests(struct io_ring *r)
{
    return push(r, &r->shared->req_prod, &r->shared->req_event);
}

int io_ring_front_final_check(struct io_ring *r)
{
    return final_check(r, &r->shared->rsp_prod, &r->shared->rsp_event);
}

/* Responses go in request order, into the slots their requests came in:
 * the one for the oldest request taken and not yet answered. NULL when
 * every request taken has its response. */
void *io_ring_back_respond(struct io_ring *r)
{
    if (r->broken || r->prod_pvt == r->cons)
        return NULL;
    return slot(r, r->prod_pvt++);
}

int io_ring_back_push_responses(struct io_ring *r)
{
    return push(r, &r->shared->rsp_prod, &r->shared->rsp_event);
}

int io_ring_back_final_check(struct io_ring *r)
{
    return final_check(r, &r->shared->req_prod, &r->shared->req_event);
}

/* LAB 6 BEGIN: a response or a request taken: the other side's index checked, the slot copied once */
/* A response is taken only if the back end says it answered no more
 * requests than were published: a back end ahead of the requests (or
 * behind the responses already taken) has broken the ring. */
enum io_ring_status io_ring_front_take_response(struct io_ring *r, void *rsp)
{
    if (r->broken)
        return IO_RING_BROKEN;
    uint32_t prod = r->shared->rsp_prod;
    compiler_barrier();         /* the index before the slots */
    if (prod - r->cons > r->published - r->cons) {
        r->broken = 1;
        return IO_RING_BROKEN;
    }
    if (prod == r->cons)
        return IO_RING_EMPTY;
    memcpy(rsp, slot(r, r->cons++), r->slot_bytes);
    return IO_RING_OK;
}

/* A request is taken only if the front end has no more than a ring's worth
 * outstanding (taken but unanswered, or not yet taken): Xen's
 * RING_REQUEST_PROD_OVERFLOW. A producer moved backwards wraps to a huge
 * distance and fails the same test. The request is copied out whole before
 * anyone looks at it. */
enum io_ring_status io_ring_back_take_request(struct io_ring *r, void *req)
{
    if (r->broken)
        return IO_RING_BROKEN;
    uint32_t prod = r->shared->req_prod;
    compiler_barrier();         /* the index before the slots */
    if (prod - r->prod_pvt > r->size || prod - r->cons > r->size) {
        r->broken = 1;
        return IO_RING_BROKEN;
    }
    if (prod == r->cons)
        return IO_RING_EMPTY;
    memcpy(req, slot(r, r->cons++), r->slot_bytes);
    return IO_RING_OK;
}
/* LAB 6 END */
