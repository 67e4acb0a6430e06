/*
 * resident_set.h: which of a VM's guest-physical pages the hypervisor keeps
 * in memory, and which one goes out next (pure: no hardware, no panic;
 * host-unit-tested, tests/unit/test_resident_set.c, and fuzzed,
 * fuzz_resident_set). Issue 20 (lab 6): the hypervisor's own paging of a
 * VM's memory (resident=, guest/overcommit.c).
 *
 * The victim is chosen by the clock algorithm (second chance, as ESX and
 * Linux's reclaim approximate LRU): a hand sweeps the pages in address
 * order; a page referenced since the hand last passed (its EPT entry's
 * accessed flag, SDM vol. 3, 29.3.5, read and cleared through the
 * caller's test_and_clear, or a page just brought in) is passed over with
 * its mark cleared; the first page not referenced goes. Why not FIFO: FIFO
 * would throw out the guest kernel's hot pages (its code, its stacks, its
 * page tables) as readily as a page touched once, and every one of those
 * is a stall; the accessed flags cost the hardware nothing to keep.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* A page's state, one byte each (the caller's array). */
#define RS_OUT       0u      /* in the backing store: its EPT entry not present */
#define RS_RESIDENT  1u      /* in memory, mapped */
#define RS_INCOMING  2u      /* a page-in under way: a frame is its, it is not mapped yet */
#define RS_STATE     3u      /* the bits above */
#define RS_REFERENCED (1u << 2)   /* brought in since the hand last passed: a second chance */
#define RS_PINNED     (1u << 3)   /* never a victim (the pseudo page fault area) */

struct resident_set {
    uint8_t *page;          /* pages entries */
    uint32_t pages;         /* the VM's RAM in pages */
    uint32_t limit;         /* at most this many RS_RESIDENT or RS_INCOMING after a trim */
    uint32_t resident;      /* how many are RS_RESIDENT or RS_INCOMING now */
    uint32_t hand;          /* the clock's hand: the next page it looks at */
};

/* Every page resident, none referenced or pinned; the hand at page 0. */
void rs_init(struct resident_set *rs, uint8_t *page, uint32_t pages, uint32_t limit);

static inline unsigned rs_state(const struct resident_set *rs, uint32_t p)
{
    return p < rs->pages ? rs->page[p] & RS_STATE : RS_OUT;
}

/* Moves between the states, the count kept. A page that comes in is
 * marked referenced: the next sweep passes over it once, so that the page
 * a fault brought in is not thrown out before the guest used it. */
void rs_set_out(struct resident_set *rs, uint32_t p);
void rs_set_incoming(struct resident_set *rs, uint32_t p);
void rs_set_resident(struct resident_set *rs, uint32_t p);
void rs_pin(struct resident_set *rs, uint32_t p, bool pinned);

/* Whether more pages are in than the limit allows. */
static inline bool rs_over(const struct resident_set *rs)
{
    return rs->resident > rs->limit;
}

/* The clock: the next victim (a resident page, not pinned, not referenced
 * since the hand last passed), or -1 when two turns of the hand found none
 * (every resident page pinned). test_and_clear(ctx, p) answers whether
 * page p was accessed since the last call for it and clears the flag. The
 * hand moves past the victim. */
int64_t rs_pick_victim(struct resident_set *rs, bool (*test_and_clear)(void *ctx, uint32_t p), void *ctx);
