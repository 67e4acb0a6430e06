/*
 * test_ksyms.c: hv/cpu/ksyms.c, the address-to-function lookup behind the
 * symbolised backtraces, on a hand-made table like tools/ksyms.py emits.
 */
#include "unit.h"
#include "cpu/ksyms.h"

/* hv/cpu/ksyms.h declares the hypervisor's table; the tests bring their own. */
const struct ksym_table hv_ksyms;

static const char names[] = "first\0nosize\0last";
static const struct ksym syms[] = {
    { 0x1000, 0x10, 0 },    /* first:  [0x1000, 0x1010) */
    { 0x1040, 0, 6 },       /* nosize: from 0x1040 up to the next symbol */
    { 0x1100, 0x20, 13 },   /* last:   [0x1100, 0x1120) */
};
static const struct ksym_table table = { 3, syms, names };

static void test_exact_start_and_inside(void **state)
{
    (void)state;
    uint64_t off = 99;
    assert_string_equal(ksyms_lookup(&table, 0x1000, &off), "first");
    assert_int_equal(off, 0);
    assert_string_equal(ksyms_lookup(&table, 0x100f, &off), "first");
    assert_int_equal(off, 0xf);
    assert_string_equal(ksyms_lookup(&table, 0x111f, &off), "last");
    assert_int_equal(off, 0x1f);
}

static void test_outside_every_function(void **state)
{
    (void)state;
    uint64_t off;
    assert_null(ksyms_lookup(&table, 0xfff, &off));    /* before the first */
    assert_null(ksyms_lookup(&table, 0x1010, &off));   /* just past "first" */
    assert_null(ksyms_lookup(&table, 0x1120, &off));   /* just past "last" */
    assert_null(ksyms_lookup(&table, UINT64_MAX, &off));
}

static void test_symbol_without_size_extends_to_next(void **state)
{
    (void)state;
    uint64_t off;
    assert_string_equal(ksyms_lookup(&table, 0x10ff, &off), "nosize");
    assert_int_equal(off, 0xbf);
}

static void test_empty_table(void **state)
{
    (void)state;
    const struct ksym_table empty = { 0, syms, names };
    uint64_t off;
    assert_null(ksyms_lookup(&empty, 0x1000, &off));
}

static void test_many_symbols_binary_search(void **state)
{
    (void)state;
    static struct ksym many[1000];
    for (unsigned i = 0; i < 1000; i++)
        many[i] = (struct ksym){ 0x100000 + i * 0x40, 0x30, 0 };
    const struct ksym_table t = { 1000, many, "f" };
    for (unsigned i = 0; i < 1000; i += 37) {
        uint64_t off;
        assert_non_null(ksyms_lookup(&t, 0x100000 + i * 0x40 + 0x2f, &off));
        assert_int_equal(off, 0x2f);
        assert_null(ksyms_lookup(&t, 0x100000 + i * 0x40 + 0x30, &off));
    }
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(ksyms_format(&table, 0x1105, buf, sizeof(buf)), "<last+0x5>");
    assert_string_equal(ksyms_format(&table, 0x2000, buf, sizeof(buf)), "<?>");
    assert_string_equal(ksyms_format(&table, 0x1000, buf, 5), "<fir");   /* truncated safely */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_start_and_inside),
        cmocka_unit_test(test_outside_every_function),
        cmocka_unit_test(test_symbol_without_size_extends_to_next),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_many_symbols_binary_search),
        cmocka_unit_test(test_format),
    };
    return RUN_UNIT_TESTS("ksyms", tests);
}
