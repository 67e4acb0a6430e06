/*
 * test_descriptor.c: hv/x86/descriptor.c, segment descriptors, and ring
 * compression above all: what the hypervisor gives a guest kernel moved to
 * ring 1 must never reach the top 64 MiB of the address space, where the
 * hypervisor's own GDT and TSS live (lab 3; SDM vol. 3, 3.4.5).
 */
#include "unit.h"
#include "x86/descriptor.h"

#define TOP 0xFBFFFFFFu                          /* depriv.h's DEPRIV_SEG_LIMIT */

/* A descriptor from its parts; flags are G, D/B, L, AVL (bits 55-52). */
static uint64_t make(uint32_t base, uint32_t limit_field, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit_field & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
           (uint64_t)(limit_field >> 16 & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 |
           (uint64_t)(base >> 24) << 56;
}

static void test_base_and_limit(void **state)
{
    (void)state;
    uint64_t d = make(0x12345678, 0xABCDE, 0x92, 0xC);
    assert_int_equal(descriptor_base(d), 0x12345678);
    assert_int_equal(descriptor_limit(d), 0xABCDEFFF);           /* 4 KiB units */
    d = make(0x1000, 0x67, 0x89, 0x0);
    assert_int_equal(descriptor_limit(d), 0x67);                 /* bytes */
    assert_int_equal(descriptor_access_rights(make(0, 0xFFFFF, 0x9B, 0xC)), 0xC09B);
}

static void test_ring_zero_becomes_ring_one(void **state)
{
    (void)state;
    uint64_t code = descriptor_compress(make(0, 0xFFFFF, 0x9A, 0xC), TOP);
    assert_int_equal(DESC_DPL(code), 1);
    assert_true(code & DESC_ACCESSED);
    assert_int_equal(descriptor_base(code), 0);
    assert_int_equal(descriptor_limit(code), TOP);               /* 4 GiB cut to below the top */
    uint64_t user = descriptor_compress(make(0, 0xFFFFF, 0xFA, 0xC), TOP);
    assert_int_equal(DESC_DPL(user), 3);                         /* ring 3 stays ring 3 */
    assert_int_equal(descriptor_limit(user), TOP);
}

static void test_never_above_the_top(void **state)
{
    (void)state;
    /* Page-granular segments at awkward bases: the limit rounds down. */
    for (uint32_t base = 0; base < 0x3000; base += 0x7FF) {
        uint64_t d = descriptor_compress(make(base, 0xFFFFF, 0x92, 0xC), TOP);
        assert_true(d & DESC_P);
        assert_true((uint64_t)descriptor_base(d) + descriptor_limit(d) <= TOP);
        assert_true((uint64_t)descriptor_base(d) + descriptor_limit(d) > TOP - 0x1000);
    }
    /* Byte-granular, near the top. */
    uint64_t d = descriptor_compress(make(0xFBFFF000, 0xFFFFF, 0x92, 0x4), TOP);
    assert_int_equal(descriptor_limit(d), 0xFFF);
    /* Starting above the top, or with no whole page below it: absent. */
    assert_int_equal(descriptor_compress(make(0xFC000000, 0x10, 0x92, 0x4), TOP), 0);
    assert_int_equal(descriptor_compress(make(0xFBFFF800, 0x1, 0x92, 0xC), TOP), 0);
    /* A segment that ends below the top keeps its limit. */
    d = descriptor_compress(make(0x100000, 0x10, 0x92, 0xC), TOP);
    assert_int_equal(descriptor_limit(d), 0x10FFF);
}

static void test_what_is_dropped(void **state)
{
    (void)state;
    assert_int_equal(descriptor_compress(make(0, 0xFFFFF, 0x1A, 0xC), TOP), 0);   /* not present */
    assert_int_equal(descriptor_compress(make(0x1000, 0x67, 0x89, 0x0), TOP), 0); /* a TSS */
    assert_int_equal(descriptor_compress(make(0, 0xFFFFF, 0x96, 0xC), TOP), 0);   /* expand-down data */
}

static void test_what_may_be_loaded(void **state)
{
    (void)state;
    uint64_t code = descriptor_compress(make(0, 0xFFFFF, 0x9A, 0xC), TOP);
    uint64_t data = descriptor_compress(make(0, 0xFFFFF, 0x92, 0xC), TOP);
    uint64_t ro = descriptor_compress(make(0, 0xFFFFF, 0x90, 0xC), TOP);
    uint64_t conforming = descriptor_compress(make(0, 0xFFFFF, 0x9E, 0xC), TOP);
    assert_true(descriptor_fits(code, 1, true));
    assert_false(descriptor_fits(code, 3, true));                /* DPL must be the RPL */
    assert_false(descriptor_fits(code, 1, false));               /* code is no stack */
    assert_true(descriptor_fits(data, 1, false));
    assert_false(descriptor_fits(data, 1, true));
    assert_false(descriptor_fits(ro, 1, false));                 /* a stack must be writable */
    assert_false(descriptor_fits(conforming, 1, true));          /* CS from IRET: non-conforming */
    assert_false(descriptor_fits(0, 1, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_and_limit),
        cmocka_unit_test(test_ring_zero_becomes_ring_one),
        cmocka_unit_test(test_never_above_the_top),
        cmocka_unit_test(test_what_is_dropped),
        cmocka_unit_test(test_what_may_be_loaded),
    };
    return RUN_UNIT_TESTS("descriptor", tests);
}
