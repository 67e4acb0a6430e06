/*
 * fuzz_args.c: what the hypercall fuzzer's calls are given (fuzz.h):
 * random numbers (xorshift64, from the seed: a seed's run is the same
 * run every time), the arena its lists and structs are made in, and
 * pointers a call can read but not write, or cannot use at all.
 */
#include "fuzz.h"
#include "pvtest.h"

uint8_t region[ARENA_PAGES + 1][4096] __attribute__((aligned(4096)));
uint32_t ro_page[1024] __attribute__((aligned(4096)));

/* ---- xorshift64 ---- */
static uint64_t rng;

void fuzz_seed(uint32_t seed)
{
    rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32 | seed);
}

uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

uint32_t below(uint32_t n)
{
    return rnd() % n;
}

bool one_in(uint32_t n)
{
    return below(n) == 0;
}

/* ---- the arena: each top-level call's lists and structs, bump-allocated ---- */
static uint32_t arena_used, arena_top;     /* [used, top) is free; a list at the very end lowers top */

void arena_reset(void)
{
    arena_used = 0, arena_top = ARENA_BYTES;
}

void *arena_alloc(uint32_t bytes)
{
    bytes = (bytes + 7) & ~7u;
    if (arena_used + bytes > arena_top)
        return NULL;
    void *p = ARENA + arena_used;
    arena_used += bytes;
    return p;
}

/* A list of count items of size bytes whose first readable ones are in
 * the arena and the next runs into the guard page (half-way, or at its
 * start): NULL if there is no room left, or another list of this call's
 * is there already. */
uint8_t *tail_in_guard(uint32_t readable, uint32_t size)
{
    uint32_t at = ARENA_BYTES - readable * size - (one_in(2) ? size / 2 : 0);
    if (arena_top < ARENA_BYTES || at < arena_used || at + readable * size > ARENA_BYTES || at / 8 * 8 < arena_used)
        return NULL;
    arena_top = at / 8 * 8 < arena_top ? at / 8 * 8 : arena_top;
    return ARENA + at;
}

/* ---- pointers a call may be given that it cannot use ---- */
uint32_t bad_pointer(void)
{
    static const uint32_t unusable[] = {
        0, 0x1000, 0x04000000, 0xBFFFF000, PV_M2P_VIRT, PV_M2P_VIRT + 0x400000, 0xFFC00000, 0xFFFFFFFC,
        0xFFFFFFFE, 0x80000000,
    };
    uint32_t granted;
    if (peer && one_in(8) && (granted = granted_window_page()))
        return granted;             /* the partner's frame: no buffer of the fuzz's calls (section 10) */
    if (one_in(4))
        return GUARD + below(4096);
    return unusable[below(sizeof(unusable) / sizeof(unusable[0]))];
}

/* A pointer the guest may read but not write: its read-only page, its
 * page directory (read-only in its direct map). */
uint32_t read_only_pointer(void)
{
    return one_in(2) ? (uint32_t)ro_page + below(1024) * 4 : start_info->pt_base + below(1024) * 4;
}

/* One whose bytes are all in the read-only page: a call that writes back
 * only its struct's OUT words, past the start, could write them in the
 * page after it (the arena may be there). */
uint32_t read_only_struct(uint32_t bytes)
{
    uint32_t p = read_only_pointer();
    return (p & 0xFFF) > 4096 - bytes ? (p & ~0xFFFu) + 4096 - bytes : p;
}
