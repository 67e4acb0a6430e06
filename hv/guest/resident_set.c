/*
 * resident_set.c: the resident pages of a VM that the hypervisor pages,
 * and the clock that picks the next one to go (pure: resident_set.h).
 */
#include "guest/resident_set.h"

void rs_init(struct resident_set *rs, uint8_t *page, uint32_t pages, uint32_t limit)
{
    rs->page = page;
    rs->pages = pages;
    rs->limit = limit;
    rs->resident = pages;
    rs->hand = 0;
    for (uint32_t p = 0; p < pages; p++)
        page[p] = RS_RESIDENT;
}

/* Page p (in range) to state s, its flags kept; the count follows. */
static void set_state(struct resident_set *rs, uint32_t p, unsigned s)
{
    if (p >= rs->pages)
        return;
    bool was_in = (rs->page[p] & RS_STATE) != RS_OUT, is_in = s != RS_OUT;
    rs->resident += (uint32_t)is_in - (uint32_t)was_in;
    rs->page[p] = (uint8_t)((rs->page[p] & ~RS_STATE) | s);
}

void rs_set_out(struct resident_set *rs, uint32_t p)
{
    set_state(rs, p, RS_OUT);
}

void rs_set_incoming(struct resident_set *rs, uint32_t p)
{
    set_state(rs, p, RS_INCOMING);
}

void rs_set_resident(struct resident_set *rs, uint32_t p)
{
    set_state(rs, p, RS_RESIDENT);
    if (p < rs->pages)
        rs->page[p] |= RS_REFERENCED;
}

void rs_pin(struct resident_set *rs, uint32_t p, bool pinned)
{
    if (p < rs->pages)
        rs->page[p] = (uint8_t)(pinned ? rs->page[p] | RS_PINNED : rs->page[p] & ~RS_PINNED);
}

int64_t rs_pick_victim(struct resident_set *rs, bool (*test_and_clear)(void *ctx, uint32_t p), void *ctx)
{
    /* Two turns: the first may only clear marks. */
    for (uint64_t step = 0; rs->pages && step < 2ull * rs->pages; step++) {
        uint32_t p = rs->hand;
        rs->hand = p + 1 == rs->pages ? 0 : p + 1;
        uint8_t *e = &rs->page[p];
        if ((*e & RS_STATE) != RS_RESIDENT || (*e & RS_PINNED))
            continue;
        bool referenced = (*e & RS_REFERENCED) != 0;
        *e &= (uint8_t)~RS_REFERENCED;
        if (test_and_clear(ctx, p) || referenced)
            continue;
        return p;
    }
    return -1;
}
