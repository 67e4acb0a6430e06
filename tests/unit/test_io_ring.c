/*
 * test_io_ring.c: lib/io_ring.c, Xen's request/response ring written anew
 * (lab 6): requests and responses in order across the slots' wrap and the
 * indexes' own (uint32_t) wrap, a full ring, notification hold-off and the
 * final check that loses no wake-up; and the hostile other side: a front
 * end whose producer moves backwards or more than a ring ahead, a request
 * rewritten after the back end took it, a back end answering requests
 * never made.
 */
#include "unit.h"
#include <string.h>
#include "io_ring.h"

#define FRAME 4096u
struct msg { uint32_t id, value; uint8_t pad[56]; };    /* 64 bytes: 63 fit, so 32 slots */

static _Alignas(4096) uint8_t frame[FRAME];
static struct io_ring front, back;

static int setup(void **state)
{
    (void)state;
    memset(frame, 0xAA, sizeof(frame));
    assert_int_equal(io_ring_front_init(&front, frame, FRAME, sizeof(struct msg)), 0);
    assert_int_equal(io_ring_back_attach(&back, frame, FRAME, sizeof(struct msg)), 0);
    return 0;
}

static volatile struct io_ring_shared *shared(void)
{
    return (volatile struct io_ring_shared *)frame;
}

static void request(uint32_t id)
{
    struct msg *m = io_ring_front_next_request(&front);
    assert_non_null(m);
    m->id = id;
    m->value = id * 3;
}

/* The back end answers every request it can take with value + 1. */
static int serve_all(void)
{
    struct msg m;
    int n = 0;
    while (io_ring_back_take_request(&back, &m) == IO_RING_OK) {
        struct msg *r = io_ring_back_respond(&back);
        assert_non_null(r);
        r->id = m.id;
        r->value = m.value + 1;
        n++;
    }
    return n;
}

static void test_slots(void **state)
{
    (void)state;
    assert_int_equal(io_ring_slots(4096, 64), 32);
    assert_int_equal(io_ring_slots(4096, 112), 32);    /* Xen's blkif: 32 slots in a page */
    assert_int_equal(io_ring_slots(4096, 8), 256);
    assert_int_equal(io_ring_slots(4096, 4033), 0);
    assert_int_equal(io_ring_slots(64, 8), 0);
    assert_int_equal(io_ring_slots(4096, 0), 0);
    struct io_ring r;
    assert_int_equal(io_ring_front_init(&r, frame, 64, 8), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    assert_int_equal(front.size, 32);
    request(1), request(2), request(3);
    assert_int_equal(shared()->req_prod, 0);                   /* nothing published yet */
    assert_true(io_ring_front_push_requests(&front));          /* the back end asked for the first */
    assert_int_equal(serve_all(), 3);
    assert_true(io_ring_back_push_responses(&back));
    struct msg m;
    for (uint32_t id = 1; id <= 3; id++) {
        assert_int_equal(io_ring_front_take_response(&front, &m), IO_RING_OK);
        assert_int_equal(m.id, id);
        assert_int_equal(m.value, id * 3 + 1);
    }
    assert_int_equal(io_ring_front_take_response(&front, &m), IO_RING_EMPTY);
    assert_int_equal(io_ring_front_free(&front), 32);
}

/* Both sides start just below the indexes' wrap: 100 rounds of 1-32 items
 * cross it, and the slots' wrap many times. */
static void test_wraps(void **state)
{
    (void)state;
    uint32_t start = 0xFFFFFFF0u;
    shared()->req_prod = shared()->rsp_prod = start;
    shared()->req_event = shared()->rsp_event = start + 1;
    front.prod_pvt = front.cons = front.published = start;
    back.prod_pvt = back.cons = back.published = start;
    uint32_t next = 0, expect = 0;
    for (int round = 0; round < 100; round++) {
        int n = 1 + round % 32;
        for (int k = 0; k < n; k++)
            request(next++);
        io_ring_front_push_requests(&front);
        assert_int_equal(serve_all(), n);
        io_ring_back_push_responses(&back);
        struct msg m;
        while (io_ring_front_take_response(&front, &m) == IO_RING_OK)
            assert_int_equal(m.id, expect++);
    }
    assert_int_equal(expect, next);
    assert_true(shared()->req_prod < start);                   /* it did wrap */
}

static void test_full(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 32; i++)
        request(i);
    assert_null(io_ring_front_next_request(&front));
    io_ring_front_push_requests(&front);
    struct msg m;
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);   /* taken, not answered */
    assert_int_equal(io_ring_front_free(&front), 0);           /* its slot is still the front's debt */
    assert_non_null(io_ring_back_respond(&back));
    assert_null(io_ring_back_respond(&back));                  /* one taken, one answer */
    io_ring_back_push_responses(&back);
    assert_int_equal(io_ring_front_take_response(&front, &m), IO_RING_OK);
    assert_int_equal(io_ring_front_free(&front), 1);
    assert_non_null(io_ring_front_next_request(&front));
}

/* The back end asks to be woken at the next request only when it found
 * none: pushes while it works are held off; the first push after it
 * checked finally wakes it. */
static void test_hold_off(void **state)
{
    (void)state;
    request(1);
    assert_true(io_ring_front_push_requests(&front));
    request(2);
    assert_false(io_ring_front_push_requests(&front));         /* the back end has not looked yet */
    assert_int_equal(serve_all(), 2);
    assert_false(io_ring_back_final_check(&back));             /* none left: asks for the next */
    assert_int_equal(shared()->req_event, 3);
    request(3);
    assert_true(io_ring_front_push_requests(&front));
    assert_int_equal(front.notified, 2);
    assert_int_equal(front.held_off, 1);
    assert_false(io_ring_front_push_requests(&front));         /* nothing new: no wake-up, none held */
    assert_int_equal(front.held_off, 1);
}

/* A request published between the back end's last take and its final
 * check: the check sees it, so the back end does not sleep on it. */
static void test_final_check_sees_late_request(void **state)
{
    (void)state;
    request(1);
    io_ring_front_push_requests(&front);
    assert_int_equal(serve_all(), 1);
    request(2);
    io_ring_front_push_requests(&front);                       /* held off: req_event is still 1 */
    assert_true(io_ring_back_final_check(&back));
    assert_int_equal(serve_all(), 1);
}

static void test_producer_backwards_breaks(void **state)
{
    (void)state;
    request(1), request(2);
    io_ring_front_push_requests(&front);
    assert_int_equal(serve_all(), 2);
    shared()->req_prod = 1;                                    /* behind what was taken */
    struct msg m;
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_BROKEN);
    shared()->req_prod = 2;                                    /* and broken stays broken */
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_BROKEN);
    assert_null(io_ring_back_respond(&back));
}

/* Behind what was taken but not behind what was answered: the slots
 * between would be taken a second time as new requests. */
static void test_producer_behind_taken_breaks(void **state)
{
    (void)state;
    request(1), request(2);
    io_ring_front_push_requests(&front);
    struct msg m;
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);
    shared()->req_prod = 1;
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_BROKEN);
}

static void test_producer_past_the_ring_breaks(void **state)
{
    (void)state;
    struct msg m;
    shared()->req_prod = 32;                                   /* a whole ring: allowed */
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);
    struct io_ring again;
    io_ring_back_attach(&again, frame, FRAME, sizeof(struct msg));
    shared()->req_prod = 33;                                   /* one more than the ring */
    assert_int_equal(io_ring_back_take_request(&again, &m), IO_RING_BROKEN);
}

/* Requests taken but not answered count against the ring: a front end
 * cannot keep the back end busy with more than a ring of them. */
static void test_unanswered_count_against_the_ring(void **state)
{
    (void)state;
    struct msg m;
    shared()->req_prod = 32;
    for (int i = 0; i < 32; i++)
        assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);
    shared()->req_prod = 33;                                   /* a 33rd before any answer */
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_BROKEN);
}

/* The back end works from its copy: the front end's rewrite of the slot
 * after the take (a double fetch's race) changes nothing it decided on. */
static void test_request_copied_once(void **state)
{
    (void)state;
    request(7);
    io_ring_front_push_requests(&front);
    struct msg m;
    assert_int_equal(io_ring_back_take_request(&back, &m), IO_RING_OK);
    ((struct msg *)(frame + IO_RING_HEADER))->value = 0xBAD;
    assert_int_equal(m.id, 7);
    assert_int_equal(m.value, 21);
}

static void test_responses_to_requests_never_made_break(void **state)
{
    (void)state;
    request(1);
    io_ring_front_push_requests(&front);
    request(2);                                                /* queued, not published */
    shared()->rsp_prod = 2;                                    /* answers the unpublished one too */
    struct msg m;
    assert_int_equal(io_ring_front_take_response(&front, &m), IO_RING_BROKEN);
    assert_null(io_ring_front_next_request(&front));
}

/* The front end decides whether to notify from what it published, not
 * from the frame's req_prod, which the back end can write. */
static void test_notify_ignores_rewritten_index(void **state)
{
    (void)state;
    request(1);
    assert_true(io_ring_front_push_requests(&front));
    request(2);
    shared()->req_prod = 0;                                    /* the back end's lie: as if nothing was out */
    assert_false(io_ring_front_push_requests(&front));         /* still held off: it has not looked */
    assert_int_equal(shared()->req_prod, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_slots, setup),
        cmocka_unit_test_setup(test_round_trip, setup),
        cmocka_unit_test_setup(test_wraps, setup),
        cmocka_unit_test_setup(test_full, setup),
        cmocka_unit_test_setup(test_hold_off, setup),
        cmocka_unit_test_setup(test_final_check_sees_late_request, setup),
        cmocka_unit_test_setup(test_producer_backwards_breaks, setup),
        cmocka_unit_test_setup(test_producer_behind_taken_breaks, setup),
        cmocka_unit_test_setup(test_producer_past_the_ring_breaks, setup),
        cmocka_unit_test_setup(test_unanswered_count_against_the_ring, setup),
        cmocka_unit_test_setup(test_request_copied_once, setup),
        cmocka_unit_test_setup(test_responses_to_requests_never_made_break, setup),
        cmocka_unit_test_setup(test_notify_ignores_rewritten_index, setup),
    };
    return RUN_UNIT_TESTS("io_ring", tests);
}
