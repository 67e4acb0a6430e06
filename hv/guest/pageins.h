/*
 * pageins.h: a VM's page-ins under way from the hypervisor's backing store,
 * and the tokens of pseudo page faults (pure: no hardware, no panic;
 * host-unit-tested, tests/unit/test_pageins.c, fuzzed, fuzz_resident_set).
 * Issue 20 (lab 6); guest/overcommit.c and exit/async_pf.c use it.
 *
 * A page-in is started at a fault on a page that is out, and is done at a
 * time fixed then (the store's latency on the TSC). One the guest was told
 * of ("page not present", a pseudo page fault: lib/apf_abi.h) carries a
 * token, unique among the page-ins held, never 0; once done it waits to be
 * told ("page ready"), in the order the page-ins were done, as KVM's
 * completion queue does. At most PAGEINS_MAX are held: a fault when the
 * table is full waits for its page, as an unmodified guest's does, so a
 * guest that never takes its "page ready" cannot grow the hypervisor's
 * state.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PAGEINS_MAX 16

enum pagein_state { PAGEIN_FREE, PAGEIN_UNDER_WAY, PAGEIN_TO_TELL };

struct pagein {
    enum pagein_state state;
    uint32_t page;          /* the guest-physical page number */
    uint32_t token;         /* 0: no pseudo page fault told of it (a stall's) */
    uint64_t done_tsc;      /* UNDER_WAY: when it is done */
    uint64_t order;         /* TO_TELL: the order it was done in */
};

struct pageins {
    struct pagein slot[PAGEINS_MAX];
    uint32_t last_token;    /* tokens count up from 1, skipping 0 and those held */
    uint64_t done_count;    /* orders handed out */
};

void pageins_init(struct pageins *pi);

/* A new page-in of page, done at done_tsc; with a token if told (async).
 * The slot's index, or -1 if the table is full or page's is under way. */
int pageins_start(struct pageins *pi, uint32_t page, uint64_t done_tsc, bool told);

/* The slot of page's page-in under way, or -1. */
int pageins_find_under_way(const struct pageins *pi, uint32_t page);

/* The page-in under way that is done soonest if done by now (done_tsc <=
 * now), or -1; and the earliest done_tsc of all under way (UINT64_MAX if
 * none). */
int pageins_due(const struct pageins *pi, uint64_t now);
uint64_t pageins_next_done(const struct pageins *pi);

/* Slot i is done: one with a token waits to be told of, one without is free. */
void pageins_complete(struct pageins *pi, int i);

/* The done page-in to tell of first, or -1; and that it was told (freed). */
int pageins_next_to_tell(const struct pageins *pi);
void pageins_told(struct pageins *pi, int i);

/* The protocol was turned off: nothing done is told of any more. Returns
 * how many were dropped. */
unsigned pageins_drop_untold(struct pageins *pi);

/* How many slots are held (under way or to tell). */
unsigned pageins_held(const struct pageins *pi);
