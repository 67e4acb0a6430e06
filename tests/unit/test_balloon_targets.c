/*
 * test_balloon_targets.c: hv/boot/balloon_targets.c, the balloon= option:
 * each VM's steps, '-' for a VM without a target, the target at a time of
 * the VM's and the next change's time; every malformed value refused with
 * nothing kept.
 */
#include "unit.h"
#include <limits.h>
#include <string.h>
#include "boot/balloon_targets.h"

static struct balloon_targets t;

static bool parse(const char *v)
{
    memset(&t, 0xAA, sizeof(t));
    return balloon_targets_parse(v, strlen(v), &t);
}

static void test_one_vm_one_target(void **state)
{
    (void)state;
    assert_true(parse("8"));
    assert_int_equal(t.steps[0], 1);
    assert_int_equal(t.step[0][0].mib, 8);
    assert_int_equal(t.step[0][0].at_ms, 0);
    for (unsigned vm = 1; vm < BALLOON_VMS_MAX; vm++)
        assert_int_equal(t.steps[vm], 0);
}

static void test_down_and_up(void **state)
{
    (void)state;
    unsigned next;
    assert_true(parse("16,8@100,24@300"));
    assert_int_equal(t.steps[0], 3);
    assert_int_equal(balloon_target_mib(&t, 0, 0, &next), 16);
    assert_int_equal(next, 100);
    assert_int_equal(balloon_target_mib(&t, 0, 99, &next), 16);
    assert_int_equal(balloon_target_mib(&t, 0, 100, &next), 8);
    assert_int_equal(next, 300);
    assert_int_equal(balloon_target_mib(&t, 0, 5000, &next), 24);
    assert_int_equal(next, UINT_MAX);
}

static void test_first_step_later_no_target_before(void **state)
{
    (void)state;
    unsigned next;
    assert_true(parse("12@50"));
    assert_int_equal(balloon_target_mib(&t, 0, 10, &next), 0);
    assert_int_equal(next, 50);
    assert_int_equal(balloon_target_mib(&t, 0, 50, &next), 12);
}

static void test_several_vms(void **state)
{
    (void)state;
    unsigned next;
    assert_true(parse("-/12/4,6@1/1024"));
    assert_int_equal(t.steps[0], 0);
    assert_int_equal(balloon_target_mib(&t, 0, 100, &next), 0);
    assert_int_equal(next, UINT_MAX);
    assert_int_equal(balloon_target_mib(&t, 1, 0, &next), 12);
    assert_int_equal(balloon_target_mib(&t, 2, 1, &next), 6);
    assert_int_equal(balloon_target_mib(&t, 3, 0, &next), 1024);
    assert_int_equal(balloon_target_mib(&t, 4, 0, &next), 0);
    assert_int_equal(balloon_target_mib(&t, UINT_MAX, 0, &next), 0);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "/", "8/", "/8", "0", "1025", "8,", ",8", "8@", "@5", "8@x", "8 ", "8,,9@1", "x",
        "8@100,9@100", "8@100,9@50", "8,9", "1,2@1,3@2,4@3,5@4", "1/2/3/4/5", "--", "-8",
        "8@100000001", "99999999999999999999", "8/-/", "8;9", "8@1@2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
        for (unsigned vm = 0; vm < BALLOON_VMS_MAX; vm++)
            assert_int_equal(t.steps[vm], 0);
    }
    /* "-" alone is VM 0 without a target: allowed, and nothing asked. */
    assert_true(parse("-"));
    assert_int_equal(t.steps[0], 0);
}

static void test_length_bounds_the_value(void **state)
{
    (void)state;
    /* The parser reads value[0..len) only: the option's word, not the rest
     * of the command line after it. */
    assert_true(balloon_targets_parse("8,16@2 vms=2", 6, &t));
    assert_int_equal(t.steps[0], 2);
    assert_int_equal(t.step[0][1].at_ms, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_vm_one_target),
        cmocka_unit_test(test_down_and_up),
        cmocka_unit_test(test_first_step_later_no_target_before),
        cmocka_unit_test(test_several_vms),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_length_bounds_the_value),
    };
    return RUN_UNIT_TESTS("balloon_targets", tests);
}
