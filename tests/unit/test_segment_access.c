/*
 * test_segment_access.c: hv/x86/segment_access.c, the checks the CPU makes
 * on a data access through a segment, which the hypervisor's string I/O
 * makes for each element (SDM vol. 3, 5.3 limits, 3.4.5.1 types, 3.3.7.1
 * canonical addresses in 64-bit mode).
 */
#include "unit.h"
#include "x86/segment_access.h"
#include "x86/x86.h"

/* Access rights as the VMCS holds them: P (bit 7), S (bit 4), the type. */
#define DATA_RW  0x93u
#define DATA_RO  0x91u
#define CODE_XR  0x9Bu
#define CODE_XO  0x99u
#define DOWN_RW  0x97u          /* expand-down, writable */

static struct segment seg(uint64_t base, uint32_t limit, uint32_t ar)
{
    return (struct segment){ .base = base, .limit = limit, .access_rights = ar };
}

static unsigned fault(struct segment s, uint64_t offset, unsigned size, bool write)
{
    return segment_access(&s, offset, size, write, false, false).fault;
}

static void test_expand_up_limit(void **state)
{
    (void)state;
    struct segment s = seg(0x10000, 0xFFF, DATA_RW);
    struct segment_access a = segment_access(&s, 0xFFC, 4, true, false, false);
    assert_int_equal(a.fault, 0);
    assert_int_equal(a.linear, 0x10FFC);
    assert_int_equal(fault(s, 0xFFD, 4, true), VEC_GP);      /* its last byte past the limit */
    assert_int_equal(fault(s, 0x1000, 1, false), VEC_GP);
    assert_int_equal(fault(s, 0xFFFFFFFF, 2, false), VEC_GP); /* no 32-bit wrap back under it */
    s.is_ss = true;
    assert_int_equal(fault(s, 0x1000, 1, false), VEC_SS);    /* through SS: #SS(0) */
}

static void test_expand_down_limit(void **state)
{
    (void)state;
    struct segment s = seg(0, 0xFFF, DOWN_RW);                /* B clear: 0x1000..0xFFFF */
    assert_int_equal(fault(s, 0xFFF, 1, true), VEC_GP);
    assert_int_equal(fault(s, 0x1000, 4, true), 0);
    assert_int_equal(fault(s, 0xFFFE, 2, true), 0);
    assert_int_equal(fault(s, 0xFFFF, 2, true), VEC_GP);      /* past the 64 KiB top */
    s.access_rights |= SEG_AR_DB;                             /* B set: up to 4 GiB */
    assert_int_equal(fault(s, 0xFFFF, 2, true), 0);
    assert_int_equal(fault(s, 0xFFFFFFFE, 2, true), 0);
    assert_int_equal(fault(s, 0xFFFFFFFF, 2, true), VEC_GP);
}

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(fault(seg(0, ~0u, DATA_RO), 0, 1, false), 0);
    assert_int_equal(fault(seg(0, ~0u, DATA_RO), 0, 1, true), VEC_GP);   /* INS into read-only data */
    assert_int_equal(fault(seg(0, ~0u, CODE_XR), 0, 1, false), 0);       /* OUTS from readable code */
    assert_int_equal(fault(seg(0, ~0u, CODE_XR), 0, 1, true), VEC_GP);   /* code is never written */
    assert_int_equal(fault(seg(0, ~0u, CODE_XO), 0, 1, false), VEC_GP);  /* execute-only */
    assert_int_equal(fault(seg(0, ~0u, 0x89), 0, 1, false), VEC_GP);     /* a TSS: a system segment */
    assert_int_equal(fault(seg(0, ~0u, DATA_RW | SEG_AR_UNUSABLE), 0, 1, false), VEC_GP);   /* null */
}

static void test_real_mode(void **state)
{
    (void)state;
    struct segment s = seg(0x12340, 0xFFFF, 0);               /* no type in real mode */
    struct segment_access a = segment_access(&s, 0xFFFF, 1, true, false, true);
    assert_int_equal(a.fault, 0);
    assert_int_equal(a.linear, 0x2233F);
    assert_int_equal(segment_access(&s, 0xFFFF, 2, true, false, true).fault, VEC_GP);
}

static void test_linear_wraps_at_4_gib(void **state)
{
    (void)state;
    struct segment s = seg(0xFFFFF000, 0xFFFFFFFF, DATA_RW);
    assert_int_equal(segment_access(&s, 0x2000, 1, false, false, false).linear, 0x1000);
}

static void test_long_mode(void **state)
{
    (void)state;
    struct segment s = seg(0, 0, DATA_RO | SEG_AR_UNUSABLE);  /* neither limit nor type counts */
    struct segment_access a = segment_access(&s, 0x00007FFFFFFFFFF0ull, 16, true, true, false);
    assert_int_equal(a.fault, 0);
    assert_true(a.linear == 0x00007FFFFFFFFFF0ull);
    assert_int_equal(segment_access(&s, 0x00007FFFFFFFFFF8ull, 16, true, true, false).fault, VEC_GP);
    assert_int_equal(segment_access(&s, 0xFFFF800000000000ull, 1, true, true, false).fault, 0);
    assert_int_equal(segment_access(&s, 0x0000800000000000ull, 1, true, true, false).fault, VEC_GP);
    s.base = 0x7FFFFFFFF000ull;                               /* FS or GS: the base counts */
    assert_int_equal(segment_access(&s, 0x1000, 1, false, true, false).fault, VEC_GP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_up_limit),
        cmocka_unit_test(test_expand_down_limit),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_real_mode),
        cmocka_unit_test(test_linear_wraps_at_4_gib),
        cmocka_unit_test(test_long_mode),
    };
    return RUN_UNIT_TESTS("segment_access", tests);
}
