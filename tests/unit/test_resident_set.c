/*
 * test_resident_set.c: hv/guest/resident_set.c (the clock that picks the
 * page the hypervisor pages out, resident=) and hv/guest/pageins.c (the
 * page-ins under way and the pseudo page faults' tokens), on a pretend VM
 * of 8 pages whose EPT accessed flags are an array of the test's.
 */
#include "unit.h"
#include <string.h>
#include "guest/pageins.h"
#include "guest/resident_set.h"

#define PAGES 8

static bool accessed[PAGES];
static unsigned asked;

static bool test_and_clear(void *ctx, uint32_t p)
{
    (void)ctx;
    asked++;
    bool a = accessed[p];
    accessed[p] = false;
    return a;
}

static struct resident_set fresh(uint8_t *pages, uint32_t limit)
{
    struct resident_set rs;
    memset(accessed, 0, sizeof accessed);
    asked = 0;
    rs_init(&rs, pages, PAGES, limit);
    return rs;
}

/* Nothing accessed: the clock goes round in address order (FIFO). */
static void test_clock_in_order(void **state)
{
    (void)state;
    uint8_t pages[PAGES];
    struct resident_set rs = fresh(pages, 6);
    assert_true(rs_over(&rs));
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 0);
    rs_set_out(&rs, 0);
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 1);
    rs_set_out(&rs, 1);
    assert_false(rs_over(&rs));
    assert_int_equal(rs.resident, 6);
    assert_int_equal(rs_state(&rs, 0), RS_OUT);
    assert_int_equal(rs_state(&rs, 2), RS_RESIDENT);
}

/* A page accessed since the hand passed gets a second chance, its flag
 * cleared; so does one just brought in (rs_set_resident), once. */
static void test_second_chance(void **state)
{
    (void)state;
    uint8_t pages[PAGES];
    struct resident_set rs = fresh(pages, 4);
    accessed[0] = accessed[1] = true;
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 2);
    assert_false(accessed[0] || accessed[1]);       /* cleared as the hand passed */
    rs_set_out(&rs, 2);
    rs_set_incoming(&rs, 2);                        /* a page-in: counted, never a victim */
    assert_int_equal(rs.resident, PAGES);
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 3);
    rs_set_out(&rs, 3);
    rs_set_resident(&rs, 2);                        /* in: referenced */
    rs.hand = 0;
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 0);
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 1);
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 4);   /* 2 passed over, 3 out */
    rs.hand = 2;
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 2);   /* its chance is used */
}

/* A pinned page is never a victim; when every resident page is pinned,
 * there is none (and two turns of the hand end the search). */
static void test_pinned(void **state)
{
    (void)state;
    uint8_t pages[PAGES];
    struct resident_set rs = fresh(pages, 1);
    for (uint32_t p = 0; p < PAGES; p++)
        rs_pin(&rs, p, true);
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), -1);
    rs_pin(&rs, 5, false);
    accessed[5] = true;
    assert_int_equal(rs_pick_victim(&rs, test_and_clear, NULL), 5);  /* its second chance, then it */
    rs_set_out(&rs, 5);
    rs_set_resident(&rs, 99);                       /* out of range: nothing */
    rs_pin(&rs, 99, true);
    assert_int_equal(rs.resident, PAGES - 1);
}

/* Page-ins: done in the order of their times, the told ones told in the
 * order they were done; tokens never 0, never two alike while held. */
static void test_pageins_order(void **state)
{
    (void)state;
    struct pageins pi;
    pageins_init(&pi);
    int a = pageins_start(&pi, 10, 300, true), b = pageins_start(&pi, 11, 200, true);
    int c = pageins_start(&pi, 12, 250, false);
    assert_true(a >= 0 && b >= 0 && c >= 0);
    assert_int_equal(pageins_start(&pi, 10, 100, true), -1);      /* page 10's is under way */
    assert_int_not_equal(pi.slot[a].token, pi.slot[b].token);
    assert_int_equal(pi.slot[c].token, 0);
    assert_int_equal(pageins_next_done(&pi), 200);
    assert_int_equal(pageins_due(&pi, 199), -1);
    assert_int_equal(pageins_due(&pi, 1000), b);
    pageins_complete(&pi, b);
    assert_int_equal(pageins_due(&pi, 1000), c);
    pageins_complete(&pi, c);                       /* untold: free at once */
    assert_int_equal(pageins_held(&pi), 2);
    pageins_complete(&pi, a);
    assert_int_equal(pageins_next_to_tell(&pi), b);
    pageins_told(&pi, b);
    assert_int_equal(pageins_next_to_tell(&pi), a);
    assert_int_equal(pageins_drop_untold(&pi), 1);
    assert_int_equal(pageins_held(&pi), 0);
    assert_int_equal(pageins_next_done(&pi), UINT64_MAX);
}

/* The table is bounded: a 17th page-in is refused (the fault stalls), and
 * the tokens wrap past 0 without repeating one held. */
static void test_pageins_bounded(void **state)
{
    (void)state;
    struct pageins pi;
    pageins_init(&pi);
    pi.last_token = UINT32_MAX - 2;
    for (uint32_t i = 0; i < PAGEINS_MAX; i++)
        assert_true(pageins_start(&pi, i, 100 + i, true) >= 0);
    assert_int_equal(pageins_start(&pi, 99, 100, true), -1);
    for (int i = 0; i < PAGEINS_MAX; i++) {
        assert_int_not_equal(pi.slot[i].token, 0);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(pi.slot[i].token, pi.slot[j].token);
    }
    pageins_complete(&pi, 0);
    pageins_told(&pi, 0);
    pi.last_token = pi.slot[1].token - 1;           /* the count came round to the tokens held */
    int again = pageins_start(&pi, 99, 500, true);
    assert_int_equal(again, 0);
    assert_int_not_equal(pi.slot[0].token, 0);
    for (int j = 1; j < PAGEINS_MAX; j++)
        assert_int_not_equal(pi.slot[0].token, pi.slot[j].token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_in_order),
        cmocka_unit_test(test_second_chance),
        cmocka_unit_test(test_pinned),
        cmocka_unit_test(test_pageins_order),
        cmocka_unit_test(test_pageins_bounded),
    };
    return RUN_UNIT_TESTS("resident_set", tests);
}
