/*
 * test_pv_time_scale.c: hv/pv/pv_time_scale.c, PV time's arithmetic
 * (lib/pv_abi.h section 6): the factors for Bochs's TSC (about 4 MHz: one
 * tick an instruction, the PIT at Bochs's default ips) and for real ones;
 * the guest's formula, as a 32-bit guest computes it, within 1 part in
 * 10^6 of the exact time over hours of TSC; the first tick at which a
 * timer's deadline has come; the record's version protocol.
 */
#include "unit.h"
#include <string.h>
#include "pv/pv_time_scale.h"

static const uint64_t rates[] = {
    1000000, 3999981, 4000000, 4000003, 50000000, 999999999, 1000000000, 1000000001,
    1999999999, 2000000000, 2000000001, 2399999997ull, 3600000007ull, 4000000001ull,
    5000000000ull, 12345678901ull,
};
#define NRATES (sizeof(rates) / sizeof(rates[0]))

/* What a 32-bit guest computes: the 64-bit delta shifted, then a 64 x 32
 * multiply in two 32 x 32 halves, the product's bits 95:32 kept (as
 * tests/kernels/pvtest and guestos do, and Xen's scale_delta on i386). */
static uint64_t guest_ns(const struct pv_vcpu_time_info *t, uint64_t tsc)
{
    uint64_t d = tsc - t->tsc_timestamp;
    d = t->tsc_shift < 0 ? d >> -t->tsc_shift : d << t->tsc_shift;
    uint64_t lo = (uint64_t)(uint32_t)d * t->tsc_to_system_mul;
    uint64_t hi = (d >> 32) * t->tsc_to_system_mul;
    return t->system_time + hi + (lo >> 32);
}

static uint64_t exact_ns(uint64_t ticks, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)ticks * 1000000000u / hz);
}

static void test_factors_in_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < NRATES; i++) {
        struct pv_time_scale s = pv_time_scale_for(rates[i]);
        /* mul holds 31 or 32 significant bits: the most precision a
         * 32-bit multiplier has. */
        assert_true(s.mul >= (1u << 31) - 2);
        assert_true(s.shift >= -8 && s.shift <= 12);
    }
    /* 1 GHz: one tick, one nanosecond. */
    struct pv_time_scale g = pv_time_scale_for(1000000000);
    assert_int_equal(pv_time_ns(g, 123456789), 123456789);
}

static void test_within_one_ppm_over_hours(void **state)
{
    (void)state;
    for (size_t i = 0; i < NRATES; i++) {
        uint64_t hz = rates[i];
        struct pv_time_scale s = pv_time_scale_for(hz);
        struct pv_vcpu_time_info t = { .tsc_to_system_mul = s.mul, .tsc_shift = s.shift,
                                       .tsc_timestamp = 0x1234567890ull };
        /* From a millisecond to 12 hours, and odd tick counts between. */
        for (uint64_t ticks = hz / 1000; ticks <= hz * 3600 * 12; ticks = ticks * 3 + 7) {
            uint64_t want = exact_ns(ticks, hz);
            uint64_t got = pv_time_ns(s, ticks);
            assert_int_equal(guest_ns(&t, t.tsc_timestamp + ticks), got);
            uint64_t err = want > got ? want - got : got - want;
            if (err > 1 + want / 1000000)
                fail_msg("%lu Hz, %lu ticks: %lu ns, exact %lu ns", hz, ticks, got, want);
        }
    }
}

static void test_monotonic(void **state)
{
    (void)state;
    for (size_t i = 0; i < NRATES; i++) {
        struct pv_time_scale s = pv_time_scale_for(rates[i]);
        uint64_t last = 0;
        for (uint64_t ticks = 0; ticks < 5000; ticks++) {
            uint64_t ns = pv_time_ns(s, ticks);
            assert_true(ns >= last);
            last = ns;
        }
    }
}

static void test_ticks_for_is_first_tick_at_deadline(void **state)
{
    (void)state;
    uint64_t seed = 88172645463325252ull;
    for (size_t i = 0; i < NRATES; i++) {
        struct pv_time_scale s = pv_time_scale_for(rates[i]);
        for (int k = 0; k < 2000; k++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            uint64_t ns = seed % (3600ull * 1000000000ull * (k % 3 ? 1 : 24));
            uint64_t t = pv_time_ticks_for(s, ns);
            assert_true(pv_time_ns(s, t) >= ns);
            if (t)
                assert_true(pv_time_ns(s, t - 1) < ns);
        }
        assert_int_equal(pv_time_ticks_for(s, 0), 0);
    }
    /* A deadline past 2^64 ticks never comes. */
    assert_int_equal(pv_time_ticks_for(pv_time_scale_for(12345678901ull), UINT64_MAX), UINT64_MAX);
}

static void test_zero_rate_is_not_a_hang(void **state)
{
    (void)state;
    struct pv_time_scale s = pv_time_scale_for(0);
    assert_true(s.mul != 0);
}

static void test_version_even_and_new_after_write(void **state)
{
    (void)state;
    struct pv_time_scale s = pv_time_scale_for(4000000);
    uint32_t starts[] = { 0, 2, 5, 0xFFFFFFFEu, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        struct pv_vcpu_time_info t;
        memset(&t, 0xA5, sizeof(t));
        t.version = starts[i];
        pv_time_write(&t, s, 1000, 2000);
        assert_int_equal(t.version % 2, 0);
        assert_int_not_equal(t.version, starts[i]);
        assert_int_equal(t.tsc_timestamp, 1000);
        assert_int_equal(t.system_time, 2000);
        assert_int_equal(t.tsc_to_system_mul, s.mul);
        assert_int_equal(t.tsc_shift, s.shift);
        assert_int_equal(t.flags, 0);
    }
    /* Two writes: two new even versions (a reader between them retries). */
    struct pv_vcpu_time_info t = { 0 };
    pv_time_write(&t, s, 1, 1);
    uint32_t v1 = t.version;
    pv_time_write(&t, s, 2, 2);
    assert_int_equal(t.version, v1 + 2);
}

/* Rewriting the record at any tick (as each VM entry does, with the
 * system time the hypervisor computes from the VM's start) never moves
 * the guest's clock back, and keeps it within PV_TIME_MAX_LAG_NS of one
 * formula applied from the start: a timer armed with
 * pv_time_ticks_for(deadline + PV_TIME_MAX_LAG_NS) is never early to the
 * guest. */
static void test_rewrites_keep_clock_monotonic(void **state)
{
    (void)state;
    for (size_t i = 0; i < NRATES; i++) {
        struct pv_time_scale s = pv_time_scale_for(rates[i]);
        struct pv_vcpu_time_info t = { 0 };
        uint64_t start = 777, last = 0;
        pv_time_write(&t, s, start, 0);
        for (uint64_t tsc = start; tsc < start + 200000; tsc += 97) {
            uint64_t before = guest_ns(&t, tsc);
            if (tsc % 3 == 0)
                pv_time_write(&t, s, tsc, pv_time_ns(s, tsc - start));
            uint64_t now = guest_ns(&t, tsc);
            assert_true(now >= before && now >= last);
            uint64_t one = pv_time_ns(s, tsc - start);
            if (now > one || now + PV_TIME_MAX_LAG_NS < one)
                fail_msg("%lu Hz, tsc %lu: %lu ns, from the start %lu", rates[i], tsc, now, one);
            last = now;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factors_in_range),
        cmocka_unit_test(test_within_one_ppm_over_hours),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_ticks_for_is_first_tick_at_deadline),
        cmocka_unit_test(test_zero_rate_is_not_a_hang),
        cmocka_unit_test(test_version_even_and_new_after_write),
        cmocka_unit_test(test_rewrites_keep_clock_monotonic),
    };
    return RUN_UNIT_TESTS("pv_time_scale", tests);
}
