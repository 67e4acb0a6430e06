/*
 * test_console_ring.c: hv/pv/console_ring.c, the PV console's ring (lib/pv_abi.h
 * section 7): output taken in order across the ring's wrap and the indexes'
 * own (uint32_t) wrap, input put as far as there is room and read back
 * (console_io's read: peek, then consume); and the rings a
 * hostile guest breaks (a producer far ahead of its consumer, or behind it).
 */
#include "unit.h"
#include <string.h>
#include "pv/console_ring.h"

static struct pv_console c;

static int setup(void **state)
{
    (void)state;
    memset(&c, 0, sizeof(c));
    return 0;
}

/* The guest's side: bytes into out[], out_prod moved. */
static void guest_write(const char *s)
{
    for (; *s; s++)
        c.out[c.out_prod++ % sizeof(c.out)] = *s;
}

static void test_take_in_order(void **state)
{
    (void)state;
    char buf[64];
    int broken;
    guest_write("hello\n");
    assert_int_equal(console_ring_take(&c, buf, sizeof(buf), &broken), 6);
    assert_false(broken);
    assert_memory_equal(buf, "hello\n", 6);
    assert_int_equal(c.out_cons, 6);
    assert_int_equal(console_ring_take(&c, buf, sizeof(buf), &broken), 0);
}

static void test_take_across_wraps(void **state)
{
    (void)state;
    char buf[16];
    int broken;
    /* The indexes near 2^32 and the ring's end: both wrap in one take. */
    c.out_cons = c.out_prod = 0xFFFFFFFCu;
    guest_write("abcdefgh");
    assert_int_equal(c.out_prod, 4);
    assert_int_equal(console_ring_take(&c, buf, sizeof(buf), &broken), 8);
    assert_false(broken);
    assert_memory_equal(buf, "abcdefgh", 8);
    assert_int_equal(c.out_cons, 4);
}

static void test_take_at_most_max(void **state)
{
    (void)state;
    char buf[4];
    int broken;
    guest_write("0123456789");
    assert_int_equal(console_ring_take(&c, buf, 4, &broken), 4);
    assert_memory_equal(buf, "0123", 4);
    assert_int_equal(console_ring_take(&c, buf, 4, &broken), 4);
    assert_memory_equal(buf, "4567", 4);
    assert_int_equal(console_ring_take(&c, buf, 4, &broken), 2);
    assert_int_equal(c.out_cons, 10);
}

static void test_full_ring(void **state)
{
    (void)state;
    static char buf[sizeof(c.out) + 1];
    int broken;
    for (size_t i = 0; i < sizeof(c.out); i++)
        c.out[i] = (char)i;
    c.out_cons = 100;
    c.out_prod = 100 + sizeof(c.out);
    assert_int_equal(console_ring_take(&c, buf, sizeof(buf), &broken), sizeof(c.out));
    assert_false(broken);
    assert_int_equal(buf[0], (char)100);
}

static void test_broken_producer_takes_one_ring_and_skips(void **state)
{
    (void)state;
    static char buf[8192];
    int broken;
    /* Producer far ahead, and behind (the difference wraps to a huge one). */
    uint32_t prods[] = { sizeof(c.out) + 1, 0x80000000u, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(prods) / sizeof(prods[0]); i++) {
        c.out_cons = 0;
        c.out_prod = prods[i];
        size_t n = console_ring_take(&c, buf, sizeof(buf), &broken);
        assert_true(broken);
        assert_int_equal(n, sizeof(c.out));
        assert_int_equal(c.out_cons, prods[i]);
        assert_int_equal(console_ring_take(&c, buf, sizeof(buf), &broken), 0);
        assert_false(broken);
    }
}

static void test_put_input_until_full(void **state)
{
    (void)state;
    static char bytes[sizeof(c.in) + 10];
    memset(bytes, 'x', sizeof(bytes));
    c.in_cons = c.in_prod = 0xFFFFFF00u;
    assert_int_equal(console_ring_put(&c, "ab", 2), 2);
    assert_int_equal(c.in[0x300], 'a');     /* 0xFFFFFF00 mod 1024 */
    assert_int_equal(console_ring_put(&c, bytes, sizeof(bytes)), sizeof(c.in) - 2);
    assert_int_equal(c.in_prod - c.in_cons, sizeof(c.in));
    assert_int_equal(console_ring_put(&c, "z", 1), 0);
    c.in_cons += 5;                          /* the guest read 5 */
    assert_int_equal(console_ring_put(&c, bytes, sizeof(bytes)), 5);
}

static void test_put_into_broken_ring_puts_nothing(void **state)
{
    (void)state;
    c.in_cons = 10;
    c.in_prod = 5;                           /* behind its consumer */
    assert_int_equal(console_ring_put(&c, "abc", 3), 0);
    c.in_cons = 0;
    c.in_prod = sizeof(c.in) + 1;
    assert_int_equal(console_ring_put(&c, "abc", 3), 0);
    assert_int_equal(c.in_prod, sizeof(c.in) + 1);
}

/* console_io's read: what was put, across the ring's wrap, peeked (in_cons
 * left) and then consumed; nothing from a ring the guest broke. */
static void test_peek_then_consume(void **state)
{
    (void)state;
    char buf[8];
    c.in_cons = c.in_prod = (uint32_t)(sizeof(c.in) - 2);     /* in[] wraps mid-read */
    assert_int_equal(console_ring_put(&c, "typed", 5), 5);
    assert_int_equal(console_ring_peek(&c, buf, 3), 3);
    assert_memory_equal(buf, "typ", 3);
    assert_int_equal(console_ring_peek(&c, buf, sizeof(buf)), 5);     /* nothing taken yet */
    assert_memory_equal(buf, "typed", 5);
    console_ring_consume(&c, 3);
    assert_int_equal(console_ring_peek(&c, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "ed", 2);
    console_ring_consume(&c, 2);
    assert_int_equal(console_ring_peek(&c, buf, sizeof(buf)), 0);
    c.in_prod = c.in_cons + sizeof(c.in) + 1;                            /* broken */
    assert_int_equal(console_ring_peek(&c, buf, sizeof(buf)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_take_in_order, setup),
        cmocka_unit_test_setup(test_take_across_wraps, setup),
        cmocka_unit_test_setup(test_take_at_most_max, setup),
        cmocka_unit_test_setup(test_full_ring, setup),
        cmocka_unit_test_setup(test_broken_producer_takes_one_ring_and_skips, setup),
        cmocka_unit_test_setup(test_put_input_until_full, setup),
        cmocka_unit_test_setup(test_put_into_broken_ring_puts_nothing, setup),
        cmocka_unit_test_setup(test_peek_then_consume, setup),
    };
    return RUN_UNIT_TESTS("console_ring", tests);
}
