/*
 * test_fmt.c: lib/fmt.c, the printf formatter of the hypervisor, the guest
 * OS and the loader. Each case is a format, its arguments, and the exact
 * text expected. (unit.mk renames fmt.c's snprintf/vsnprintf to
 * fmt_snprintf/fmt_vsnprintf so the C library keeps its own.)
 */
#include "unit.h"
#include "fmt.h"
#include <limits.h>

static char buf[256];

/* Format into buf and return it. */
static const char *f(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

static void test_plain_text_and_percent(void **state)
{
    (void)state;
    assert_string_equal(f("hello"), "hello");
    assert_string_equal(f("100%%"), "100%");
    assert_string_equal(f(""), "");
}

static void test_signed_decimal(void **state)
{
    (void)state;
    assert_string_equal(f("%d", 0), "0");
    assert_string_equal(f("%d", 42), "42");
    assert_string_equal(f("%i", -42), "-42");
    assert_string_equal(f("%d", INT_MAX), "2147483647");
    assert_string_equal(f("%d", INT_MIN), "-2147483648");
}

static void test_unsigned_conversions(void **state)
{
    (void)state;
    assert_string_equal(f("%u", 0u), "0");
    assert_string_equal(f("%u", UINT_MAX), "4294967295");
    assert_string_equal(f("%x", 0xbeefu), "beef");
    assert_string_equal(f("%X", 0xbeefu), "BEEF");
    assert_string_equal(f("%o", 8u), "10");
    assert_string_equal(f("%x", 0u), "0");
}

static void test_chars_strings_pointers(void **state)
{
    (void)state;
    assert_string_equal(f("%c%c", 'o', 'k'), "ok");
    assert_string_equal(f("[%s]", "abc"), "[abc]");
    assert_string_equal(f("%s", (char *)NULL), "(null)");
    assert_string_equal(f("%p", (void *)0x1234), "0x1234");
    assert_string_equal(f("%p", (void *)0), "0x0");
}

static void test_width_and_flags(void **state)
{
    (void)state;
    assert_string_equal(f("[%5d]", 42), "[   42]");
    assert_string_equal(f("[%-5d]", 42), "[42   ]");
    assert_string_equal(f("[%05d]", 42), "[00042]");
    assert_string_equal(f("[%05d]", -42), "[-0042]");
    assert_string_equal(f("[%08x]", 0xabcu), "[00000abc]");
    assert_string_equal(f("[%2d]", 12345), "[12345]");   /* width is a minimum */
    assert_string_equal(f("[%6s]", "ab"), "[    ab]");
    assert_string_equal(f("[%-6s]", "ab"), "[ab    ]");
    assert_string_equal(f("[%3c]", 'x'), "[  x]");
    assert_string_equal(f("[%*d]", 4, 7), "[   7]");
    assert_string_equal(f("[%*d]", -4, 7), "[7   ]");   /* negative '*': left */
}

static void test_string_precision(void **state)
{
    (void)state;
    assert_string_equal(f("%.3s", "abcdef"), "abc");
    assert_string_equal(f("%.*s", 2, "abcdef"), "ab");
    assert_string_equal(f("%.10s", "abc"), "abc");
    assert_string_equal(f("[%5.2s]", "abc"), "[   ab]");
    assert_string_equal(f("%.0s", "abc"), "");
    /* Precision bounds the read: the string need not be terminated. */
    char unterminated[3] = { 'x', 'y', 'z' };
    assert_string_equal(f("%.3s", unterminated), "xyz");
}

static void test_64bit_values(void **state)
{
    (void)state;
    assert_string_equal(f("%llu", 18446744073709551615ULL), "18446744073709551615");
    assert_string_equal(f("%lld", (long long)INT64_MIN), "-9223372036854775808");
    assert_string_equal(f("%llx", 0x0123456789abcdefULL), "123456789abcdef");
    assert_string_equal(f("%016llx", 0xdeadULL), "000000000000dead");
    assert_string_equal(f("%lx", 0xfedcba9876543210UL), "fedcba9876543210");
    assert_string_equal(f("%ld", -1L), "-1");
    assert_string_equal(f("%zu", (size_t)1 << 40), "1099511627776");
    assert_string_equal(f("%jd", (intmax_t)-5), "-5");
    assert_string_equal(f("%td", (ptrdiff_t)-6), "-6");
    /* A 64-bit argument must not shift the ones after it. */
    assert_string_equal(f("%llx %d", 0x100000000ULL, 9), "100000000 9");
}

static void test_short_length_modifiers_accepted(void **state)
{
    (void)state;
    assert_string_equal(f("%hd %hhu", (short)-3, (unsigned char)200), "-3 200");
}

static void test_truncation(void **state)
{
    (void)state;
    char small[5];
    assert_int_equal(snprintf(small, sizeof(small), "hello world"), 11);
    assert_string_equal(small, "hell");
    assert_int_equal(snprintf(small, sizeof(small), "%d", 123456), 6);
    assert_string_equal(small, "1234");
    char one[1] = { 'x' };
    assert_int_equal(snprintf(one, 1, "abc"), 3);
    assert_int_equal(one[0], '\0');
    char untouched[2] = { 'u', 'u' };
    assert_int_equal(snprintf(untouched, 0, "abc"), 3);   /* size 0: no write */
    assert_int_equal(untouched[0], 'u');
}

static void test_return_value_counts_everything(void **state)
{
    (void)state;
    assert_int_equal(snprintf(buf, sizeof(buf), "%s=%5d", "x", 1), 7);
}

/* These formats are deliberately invalid or odd: GCC's -Wformat is right to
 * warn about them, and fmt.c's documented answer is what we check. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void test_unknown_and_truncated_conversions(void **state)
{
    (void)state;
    assert_string_equal(f("a%qb"), "a%qb");   /* printed verbatim */
    assert_string_equal(f("end%"), "end%");   /* a lone '%' at the end */
    assert_string_equal(f("[%-05d]", 42), "[42   ]");  /* '-' beats '0' */
}
#pragma GCC diagnostic pop

struct collector {
    char text[64];
    int calls;
};

static void collect(void *ctx, char c)
{
    struct collector *col = ctx;
    col->text[col->calls++] = c;
}

static int format_to(struct collector *col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(collect, col, fmt, ap);
    va_end(ap);
    return n;
}

static void test_vformat_calls_back_per_character(void **state)
{
    (void)state;
    struct collector col = { { 0 }, 0 };
    assert_int_equal(format_to(&col, "%s-%02u", "ab", 5u), 5);
    assert_int_equal(col.calls, 5);
    assert_memory_equal(col.text, "ab-05", 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_and_percent),
        cmocka_unit_test(test_signed_decimal),
        cmocka_unit_test(test_unsigned_conversions),
        cmocka_unit_test(test_chars_strings_pointers),
        cmocka_unit_test(test_width_and_flags),
        cmocka_unit_test(test_string_precision),
        cmocka_unit_test(test_64bit_values),
        cmocka_unit_test(test_short_length_modifiers_accepted),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_return_value_counts_everything),
        cmocka_unit_test(test_unknown_and_truncated_conversions),
        cmocka_unit_test(test_vformat_calls_back_per_character),
    };
    return RUN_UNIT_TESTS("fmt", tests);
}
