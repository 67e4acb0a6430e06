/*
 * pv_time_scale.c: PV time's arithmetic (see pv_time_scale.h).
 */
#include "pv/pv_time_scale.h"

#define NS_PER_SECOND 1000000000ull

struct pv_time_scale pv_time_scale_for(uint64_t tsc_hz)
{
    /* The shift brings the rate into (1e9, 2e9] ticks a second, so that mul
     * = 1e9 * 2^32 / (rate << shift) lies in [2^31, 2^32) (or a hair below 2^31): the most bits
     * a 32-bit multiplier holds. The division is on the rate itself, not on
     * Xen's shifted copy of it, so a rate's low bits are not lost. */
    if (!tsc_hz)
        tsc_hz = 1;                /* no rate measured: a slow clock, not a loop forever */
    int shift = 0;
    uint64_t rate = tsc_hz;        /* tsc_hz << shift (truncated: it only picks the shift) */
    while (rate > 2 * NS_PER_SECOND) {
        rate >>= 1;
        shift--;
    }
    while (rate <= NS_PER_SECOND) {
        rate <<= 1;
        shift++;
    }
    /* mul = floor(1e9 * 2^(32 - shift) / tsc_hz), bit by bit: the
     * hypervisor has no 128-bit division (no libgcc), and it is done once. */
    unsigned __int128 ns_scaled = (unsigned __int128)NS_PER_SECOND << (32 - shift);
    uint32_t mul = 0;
    for (int bit = 31; bit >= 0; bit--) {
        uint32_t more = mul | (1u << bit);
        if ((unsigned __int128)more * tsc_hz <= ns_scaled)
            mul = more;
    }
    return (struct pv_time_scale){ .mul = mul, .shift = (int8_t)shift };
}

/* The guest's TSC ticks after its shift (what mul multiplies). */
static uint64_t shifted(struct pv_time_scale s, uint64_t ticks)
{
    return s.shift < 0 ? ticks >> -s.shift : ticks << s.shift;
}

uint64_t pv_time_ns(struct pv_time_scale s, uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)shifted(s, ticks) * s.mul) >> 32);
}

uint64_t pv_time_ticks_for(struct pv_time_scale s, uint64_t ns)
{
    /* (u * mul) >> 32 >= ns exactly when u >= ceil(ns * 2^32 / mul); then
     * the fewest ticks whose shift gives u. Past 2^64 ticks: never. */
    uint64_t hi = ns / s.mul, low = ((ns % s.mul) << 32);   /* ns * 2^32 / mul in two steps */
    unsigned __int128 u = ((unsigned __int128)hi << 32) + low / s.mul + (low % s.mul != 0);
    unsigned __int128 ticks = s.shift < 0 ? u << -s.shift : (u + (1ull << s.shift) - 1) >> s.shift;
    return ticks > UINT64_MAX ? UINT64_MAX : (uint64_t)ticks;
}

uint32_t pv_version_begin(volatile uint32_t *version)
{
    uint32_t odd = (*version + 1) | 1;
    *version = odd;
    /* x86 keeps stores in program order (SDM 9.2.2: "writes to memory are
     * not reordered with other writes"): only the compiler must be kept
     * from moving the record's stores across the version's. */
    __asm__ volatile("" ::: "memory");
    return odd;
}

void pv_version_end(volatile uint32_t *version, uint32_t odd)
{
    __asm__ volatile("" ::: "memory");
    *version = odd + 1;
}

void pv_time_write(struct pv_vcpu_time_info *t, struct pv_time_scale s, uint64_t tsc_timestamp,
                   uint64_t system_time)
{
    uint32_t odd = pv_version_begin(&t->version);
    t->tsc_timestamp = tsc_timestamp;
    t->system_time = system_time;
    t->tsc_to_system_mul = s.mul;
    t->tsc_shift = s.shift;
    t->flags = 0;
    pv_version_end(&t->version, odd);
}
