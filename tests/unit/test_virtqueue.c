/*
 * test_virtqueue.c: lib/virtqueue.c, a virtio split virtqueue (VIRTIO 1.1,
 * 2.6) written anew (lab 6): the layout in one frame, chains offered and
 * used across the 16-bit indexes' wrap, event-index suppression and the
 * flags without it; and each way a hostile driver breaks the device's
 * side (an index too far ahead, a head or next out of the table, a loop,
 * a readable buffer after a writable one, an indirect descriptor, a
 * buffer outside its grant, a descriptor rewritten after it was read), and
 * a hostile device the driver's (an id not in flight, more bytes written
 * than lent, rewritten next fields).
 */
#include "unit.h"
#include <string.h>
#include "virtqueue.h"

#define N 128
#define GRANT_BASE 0x10000u     /* what the driver granted: [GRANT_BASE, GRANT_BASE + GRANT_LEN) */
#define GRANT_LEN 0x8000u

static _Alignas(4096) uint8_t frame[4096];
static struct vq_driver_slot slots[N];
static struct virtqueue drv, dev;
static int checks;

static int in_grant(void *ctx, uint64_t addr, uint32_t len, int writes)
{
    (void)ctx, (void)writes;
    checks++;
    return addr >= GRANT_BASE && addr + len <= GRANT_BASE + GRANT_LEN;
}

static int attach(int event_idx)
{
    memset(frame, 0xAA, sizeof(frame));
    checks = 0;
    assert_int_equal(vq_driver_init(&drv, frame, N, event_idx, slots), 0);
    assert_int_equal(vq_device_attach(&dev, frame, N, event_idx, in_grant, NULL), 0);
    return 0;
}

static int setup(void **state) { (void)state; return attach(1); }
static int setup_no_event_idx(void **state) { (void)state; return attach(0); }

static void add2(uint64_t token)     /* one buffer the device reads, one it writes */
{
    struct vq_buf b[2] = { { GRANT_BASE, 64, 0 }, { GRANT_BASE + 0x1000, 512, 1 } };
    assert_int_equal(vq_driver_add(&drv, b, 2, token), VQ_OK);
}

static void test_layout(void **state)
{
    (void)state;
    assert_true(vq_bytes(128) <= 4096);
    assert_true(vq_bytes(256) > 4096);
    assert_int_equal(vq_size_for(4096), 128);
    assert_int_equal(vq_size_for(16 + 6 + 2 + 6 + 8), 1);
    /* 2.6.7/2.6.8: used_event right after the available ring, avail_event after the used ring;
     * the used ring 4-byte aligned. */
    assert_ptr_equal(drv.used_event, drv.avail_ring + N);
    assert_ptr_equal(drv.avail_event, (volatile uint16_t *)(drv.used_ring + N));
    assert_int_equal((uintptr_t)drv.used_flags % 4, 0);
    assert_true((uint8_t *)drv.avail_event + 2 <= frame + vq_bytes(N));
    struct virtqueue q;
    assert_int_equal(vq_driver_init(&q, frame, 96, 1, slots), -1);
    assert_int_equal(vq_device_attach(&q, frame, 0, 1, in_grant, NULL), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    add2(42);
    assert_int_equal(drv.num_free, N - 2);
    assert_true(vq_driver_kick(&drv));
    struct vq_chain c;
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    assert_int_equal(c.nsegs, 2);
    assert_int_equal(c.nreadable, 1);
    assert_int_equal(c.seg[0].addr, GRANT_BASE);
    assert_int_equal(c.seg[1].len, 512);
    assert_true(c.seg[1].device_writes);
    assert_int_equal(checks, 2);
    assert_int_equal(vq_device_pop(&dev, &c), VQ_EMPTY);
    vq_device_push(&dev, c.head, 100);
    assert_true(vq_device_notify(&dev));
    uint64_t token;
    uint32_t len;
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_OK);
    assert_int_equal(token, 42);
    assert_int_equal(len, 100);
    assert_int_equal(drv.num_free, N);
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_EMPTY);
}

/* 70000 round trips of 1-3 descriptors: the 16-bit indexes wrap, and the
 * free list is reused in every order. */
static void test_wraps(void **state)
{
    (void)state;
    uint64_t next = 0, expect = 0;
    for (int round = 0; round < 70000 / 4; round++) {
        for (int k = 0; k < 4; k++) {
            struct vq_buf b[3] = { { GRANT_BASE, 8, 0 }, { GRANT_BASE + 8, 8, 1 }, { GRANT_BASE + 16, 8, 1 } };
            assert_int_equal(vq_driver_add(&drv, b, (uint16_t)(1 + (next % 3)), next), VQ_OK);
            next++;
        }
        vq_driver_kick(&drv);
        struct vq_chain c;
        while (vq_device_pop(&dev, &c) == VQ_OK)
            vq_device_push(&dev, c.head, 0);
        vq_device_notify(&dev);
        uint64_t token;
        uint32_t len;
        while (vq_driver_get_used(&drv, &token, &len) == VQ_OK)
            assert_int_equal(token, expect++);
    }
    assert_int_equal(expect, next);
    assert_int_equal(drv.num_free, N);
    assert_int_equal(*drv.avail_idx, (uint16_t)70000);      /* it did wrap */
}

static void test_full(void **state)
{
    (void)state;
    struct vq_buf b[N + 1];
    for (int i = 0; i <= N; i++)
        b[i] = (struct vq_buf){ GRANT_BASE, 8, 0 };
    assert_int_equal(vq_driver_add(&drv, b, N + 1, 0), VQ_FULL);
    assert_int_equal(vq_driver_add(&drv, b, N - 1, 0), VQ_OK);
    assert_int_equal(vq_driver_add(&drv, b, 2, 1), VQ_FULL);
    assert_int_equal(vq_driver_add(&drv, b, 1, 1), VQ_OK);
    assert_int_equal(vq_driver_add(&drv, b, 0, 1), VQ_FULL);
}

/* With event indexes, the device asks for a kick at avail_event only when
 * it found nothing left; kicks while it works are held off. The same for
 * the driver's interrupts and used_event. */
static void test_event_index(void **state)
{
    (void)state;
    add2(1);
    assert_true(vq_driver_kick(&drv));
    add2(2);
    assert_false(vq_driver_kick(&drv));                      /* the device has not looked since */
    struct vq_chain c;
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    assert_false(vq_device_enable_kicks(&dev));              /* none left: kick me at the next */
    add2(3);
    assert_true(vq_driver_kick(&drv));
    assert_int_equal(drv.notified, 2);
    assert_int_equal(drv.held_off, 1);
    /* The driver asked for an interrupt at used index 0: the first push wakes it, the next not. */
    vq_device_push(&dev, c.head, 0);
    assert_true(vq_device_notify(&dev));
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    vq_device_push(&dev, c.head, 0);
    assert_false(vq_device_notify(&dev));
    assert_true(vq_driver_enable_interrupts(&drv));          /* two used already: look again */
}

/* Without event indexes, the flags: a device that says "no notify" gets no kick. */
static void test_flags_without_event_index(void **state)
{
    (void)state;
    add2(1);
    assert_true(vq_driver_kick(&drv));
    *dev.used_flags = VQ_USED_F_NO_NOTIFY;
    add2(2);
    assert_false(vq_driver_kick(&drv));
    assert_true(vq_device_enable_kicks(&dev));               /* flag cleared; two waiting */
    add2(3);
    assert_true(vq_driver_kick(&drv));
    struct vq_chain c;
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    vq_device_push(&dev, c.head, 0);
    *drv.avail_flags = VQ_AVAIL_F_NO_INTERRUPT;
    assert_false(vq_device_notify(&dev));
}

/* The hostile driver: each lie breaks the queue, and broken stays broken. */
static void expect_broken(void)
{
    struct vq_chain c;
    assert_int_equal(vq_device_pop(&dev, &c), VQ_BROKEN);
    assert_int_equal(vq_device_pop(&dev, &c), VQ_BROKEN);
    assert_true(dev.broken);
}

static void offer(uint16_t head)
{
    drv.avail_ring[*drv.avail_idx % N] = head;
    (*drv.avail_idx)++;
}

/* Every slot of the available ring offers a good chain: only the index lies. */
static void test_avail_index_too_far(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 8, 0, 0 };
    for (int i = 0; i < N; i++)
        drv.avail_ring[i] = 0;
    *drv.avail_idx = N + 1;
    expect_broken();
    assert_int_equal(checks, 0);
}

/* The device must not read past the table as if it were descriptors. */
static void test_head_out_of_table(void **state)
{
    (void)state;
    offer(N);
    expect_broken();
    assert_int_equal(checks, 0);
}

static void test_next_out_of_table(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 8, VQ_DESC_F_NEXT, N };
    offer(0);
    expect_broken();
}

static void test_loop(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 8, VQ_DESC_F_NEXT, 1 };
    drv.desc[1] = (struct vq_desc){ GRANT_BASE, 8, VQ_DESC_F_NEXT, 0 };
    offer(0);
    expect_broken();
}

static void test_chain_longer_than_the_device_takes(void **state)
{
    (void)state;
    for (uint16_t i = 0; i < VQ_MAX_SEGS + 1; i++)
        drv.desc[i] = (struct vq_desc){ GRANT_BASE, 8, i < VQ_MAX_SEGS ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1) };
    offer(0);
    expect_broken();
}

static void test_readable_after_writable(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1 };
    drv.desc[1] = (struct vq_desc){ GRANT_BASE, 8, 0, 0 };
    offer(0);
    expect_broken();
}

static void test_indirect(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 16, VQ_DESC_F_INDIRECT, 0 };
    offer(0);
    expect_broken();
}

static void test_outside_the_grant(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ GRANT_BASE, 8, VQ_DESC_F_NEXT, 1 };
    drv.desc[1] = (struct vq_desc){ GRANT_BASE + GRANT_LEN - 4, 8, VQ_DESC_F_WRITE, 0 };
    offer(0);
    expect_broken();
}

static void test_address_wraps(void **state)
{
    (void)state;
    drv.desc[0] = (struct vq_desc){ UINT64_MAX - 3, 8, 0, 0 };
    offer(0);
    expect_broken();
}

/* The device works from its copy: the driver's rewrite of a descriptor
 * after the pop (to point outside its grant) changes nothing. */
static void test_descriptor_read_once(void **state)
{
    (void)state;
    add2(1);
    vq_driver_kick(&drv);
    struct vq_chain c;
    assert_int_equal(vq_device_pop(&dev, &c), VQ_OK);
    drv.desc[c.head].addr = 0;
    drv.desc[c.head].len = 0xFFFFFFFF;
    assert_int_equal(c.seg[0].addr, GRANT_BASE);
    assert_int_equal(c.seg[0].len, 64);
}

/* The hostile device: ids that are no chain in flight, lengths beyond
 * what the chain lent, an index too far ahead; the driver's free list
 * does not follow the table's next fields, which the device can write. */
static void used(uint32_t id, uint32_t len)
{
    dev.used_ring[*dev.used_idx % N] = (struct vq_used_elem){ id, len };
    (*dev.used_idx)++;
}

static void expect_driver_broken(void)
{
    uint64_t token;
    uint32_t len;
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_BROKEN);
    assert_int_equal(vq_driver_add(&drv, &(struct vq_buf){ GRANT_BASE, 8, 0 }, 1, 0), VQ_BROKEN);
}

static void test_used_id_out_of_table(void **state)
{
    (void)state;
    add2(1);
    used(N, 0);
    expect_driver_broken();
}

static void test_used_id_not_in_flight(void **state)
{
    (void)state;
    add2(1);                            /* head 0, and descriptor 1 */
    used(1, 0);
    expect_driver_broken();
}

static void test_used_twice(void **state)
{
    (void)state;
    add2(1);
    used(0, 0);
    used(0, 0);
    uint64_t token;
    uint32_t len;
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_OK);
    expect_driver_broken();
}

static void test_used_len_beyond_writable(void **state)
{
    (void)state;
    add2(1);
    used(0, 513);
    expect_driver_broken();
}

static void test_used_index_too_far(void **state)
{
    (void)state;
    add2(1);
    used(0, 0);
    *dev.used_idx = N + 1;
    expect_driver_broken();
}

static void test_rewritten_next_fields_do_not_reach_the_free_list(void **state)
{
    (void)state;
    add2(1);
    add2(2);
    for (int i = 0; i < N; i++)
        drv.desc[i].next = 3;           /* the device scribbles on the table */
    used(2, 0);
    used(0, 0);
    uint64_t token;
    uint32_t len;
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_OK);
    assert_int_equal(token, 2);
    assert_int_equal(vq_driver_get_used(&drv, &token, &len), VQ_OK);
    assert_int_equal(token, 1);
    assert_int_equal(drv.num_free, N);
    /* Every descriptor can be handed out again exactly once. */
    uint8_t seen[N] = { 0 };
    for (int i = 0; i < N; i++) {
        uint16_t head = drv.free_head;
        assert_false(seen[head]);
        seen[head] = 1;
        assert_int_equal(vq_driver_add(&drv, &(struct vq_buf){ GRANT_BASE, 8, 0 }, 1, 0), VQ_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_layout, setup),
        cmocka_unit_test_setup(test_round_trip, setup),
        cmocka_unit_test_setup(test_wraps, setup),
        cmocka_unit_test_setup(test_full, setup),
        cmocka_unit_test_setup(test_event_index, setup),
        cmocka_unit_test_setup(test_flags_without_event_index, setup_no_event_idx),
        cmocka_unit_test_setup(test_avail_index_too_far, setup),
        cmocka_unit_test_setup(test_head_out_of_table, setup),
        cmocka_unit_test_setup(test_next_out_of_table, setup),
        cmocka_unit_test_setup(test_loop, setup),
        cmocka_unit_test_setup(test_chain_longer_than_the_device_takes, setup),
        cmocka_unit_test_setup(test_readable_after_writable, setup),
        cmocka_unit_test_setup(test_indirect, setup),
        cmocka_unit_test_setup(test_outside_the_grant, setup),
        cmocka_unit_test_setup(test_address_wraps, setup),
        cmocka_unit_test_setup(test_descriptor_read_once, setup),
        cmocka_unit_test_setup(test_used_id_out_of_table, setup),
        cmocka_unit_test_setup(test_used_id_not_in_flight, setup),
        cmocka_unit_test_setup(test_used_twice, setup),
        cmocka_unit_test_setup(test_used_len_beyond_writable, setup),
        cmocka_unit_test_setup(test_used_index_too_far, setup),
        cmocka_unit_test_setup(test_rewritten_next_fields_do_not_reach_the_free_list, setup),
    };
    return RUN_UNIT_TESTS("virtqueue", tests);
}
