/*
 * depriv_bt_cache.c: the translation cache of a deprivileged guest, bt=1
 * (64-bit, VMX root; issue 21; depriv_bt_cache.h).
 *
 * Blocks are appended to the TC in the order they are made, so a TC
 * address finds its block by a binary search; a guest EIP finds it through
 * a hash of chains. A block is never changed once made, only its exit
 * slots (chaining, bt_chain.h), and never freed alone: a written code page
 * kills its blocks (they stay in the table, so that a guest stopped inside
 * one is still understood) and a full cache is emptied at once, as
 * VMware's was (Adams & Agesen, ASPLOS 2006, section 3.1).
 *
 * Coherence (issue 21, point 2): every guest-physical frame code was
 * translated from is write-protected in the shadow tables (shadow_write_
 * protect, and depriv_bt.c's #PF path for entries made later), so the
 * guest's first write to it exits; its blocks are then dropped, every
 * chained slot unchained (a slot may aim at a dropped block) and the
 * indirect-branch table emptied, before the write goes on.
 */
#include "depriv/depriv_bt_cache.h"
#include "depriv/depriv.h"
#include "bt/bt_chain.h"
#include "bt/bt_lookup.h"
#include "guest/guest_linear.h"
#include "guest/shadow.h"
#include "string.h"

#define PAGE 4096u

static unsigned hash_of(uint32_t eip)
{
    return (eip ^ eip >> 12) & (BT_HASH - 1);
}

static int32_t find(const struct depriv_bt *bt, uint32_t eip)
{
    for (int32_t i = bt->hash[hash_of(eip)]; i >= 0; i = bt->blocks[i].hash_next)
        if (bt->blocks[i].guest_eip == eip)
            return i;
    return -1;
}

bool bt_cache_frame_translated(const struct depriv_bt *bt, uint64_t gpa)
{
    uint64_t f = gpa / PAGE;
    return f < bt->frames && (bt->translated[f / 8] & (1u << (f % 8)));
}

/* Code is translated from frame gpa: its writable shadow entries made
 * read-only, once. */
static void protect_frame(struct vcpu *v, uint64_t gpa)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint64_t f = gpa / PAGE;
    if (f >= bt->frames || bt_cache_frame_translated(bt, gpa))
        return;
    bt->translated[f / 8] |= (uint8_t)(1u << (f % 8));
    shadow_write_protect(&v->guest->shadow, v->guest->ram_hpa + (gpa & ~(uint64_t)(PAGE - 1)));
}

void bt_cache_flush(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    bt->nblocks = bt->nmap = 0;
    bt->tc_used = bt->blocks_start;
    for (unsigned i = 0; i < BT_HASH; i++)
        bt->hash[i] = -1;
    memset(bt->translated, 0, (bt->frames + 7) / 8);   /* read-only entries left fault once more */
    bt_lookup_clear(bt->page);
    bt->flushes++;
}

/* The guest's code at eip: the bytes of its page, and up to 14 of the next
 * (an instruction may straddle); the frames they are in. */
static bool read_code(struct vcpu *v, uint32_t eip, struct bt_code *code, uint32_t frame[2])
{
    struct depriv_bt *bt = v->depriv.bt;
    struct linear_walk w;
    if (!guest_linear_walk(v->guest, eip, &w))
        return false;
    uint32_t left = PAGE - (eip & (PAGE - 1));
    size_t n = guest_linear_read(v->guest, eip, bt->code, left + 14);
    if (n < left)
        return false;                           /* outside guest RAM */
    frame[0] = (uint32_t)(w.gpa & ~(uint64_t)(PAGE - 1));
    frame[1] = frame[0];
    if (n > left && guest_linear_walk(v->guest, eip + left, &w))
        frame[1] = (uint32_t)(w.gpa & ~(uint64_t)(PAGE - 1));
    *code = (struct bt_code){ bt->code, n, eip };
    return true;
}

/* Translate the block at eip into the TC; its index, or -1 (the cache is
 * full: the caller flushes and tries once more). */
static int32_t translate(struct vcpu *v, const struct bt_code *code, const uint32_t frame[2])
{
    struct depriv_bt *bt = v->depriv.bt;
    if (bt->nblocks == BT_MAX_BLOCKS || bt->nmap + BT_BLOCK_MAX_INSNS + 2 > BT_MAX_MAP)
        return -1;
    struct bt_emit e = { bt->tc + bt->tc_used, BT_TC_BASE + bt->tc_used, 0, BT_TC_PAGES * PAGE - bt->tc_used,
                         false };
    struct bt_block *b = &bt->scratch;
    if (bt_translate_block(code, &bt->rt, &e, BT_BLOCK_MAX_INSNS, b) != BT_OK)
        return -1;
    int32_t i = (int32_t)bt->nblocks++;
    bool straddles = b->guest_end - 1 - (code->eip & ~(PAGE - 1)) >= PAGE;
    bt->blocks[i] = (struct bt_cached){
        .guest_eip = b->guest_eip, .guest_end = b->guest_end,
        .tc_address = b->tc_address, .tc_size = b->tc_size,
        .frame = { frame[0], straddles ? frame[1] : frame[0] },
        .map_first = bt->nmap, .entries = (uint16_t)b->entries, .live = true,
        .hash_next = bt->hash[hash_of(b->guest_eip)],
    };
    bt->hash[hash_of(b->guest_eip)] = i;
    memcpy(&bt->map[bt->nmap], b->map, b->entries * sizeof(b->map[0]));
    bt->nmap += b->entries;
    bt->tc_used = (bt->tc_used + (uint32_t)e.pos + 15) & ~15u;
    bt->translated_blocks++;
    bt->translated_insns += b->entries;
    protect_frame(v, frame[0]);
    if (straddles)
        protect_frame(v, frame[1]);
    return i;
}

bool bt_cache_translation(struct vcpu *v, uint32_t eip, uint32_t *tc)
{
    struct depriv_bt *bt = v->depriv.bt;
    int32_t i = find(bt, eip);
    if (i < 0) {
        struct bt_code code;
        uint32_t frame[2];
        if (eip > DEPRIV_SEG_LIMIT || !read_code(v, eip, &code, frame))
            return false;                       /* the CPU's own fault, in place */
        i = translate(v, &code, frame);
        if (i < 0) {
            bt_cache_flush(v);
            i = translate(v, &code, frame);
        }
        if (i < 0)
            return false;
    }
    *tc = bt->blocks[i].tc_address;
    return true;
}

const struct bt_cached *bt_cache_block_at(const struct depriv_bt *bt, uint32_t at)
{
    unsigned lo = 0, hi = bt->nblocks;
    while (lo < hi) {                           /* the last block starting at or below `at` */
        unsigned mid = (lo + hi) / 2;
        if (bt->blocks[mid].tc_address <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    const struct bt_cached *b = &bt->blocks[lo - 1];
    return at - b->tc_address < b->tc_size ? b : NULL;
}

const struct bt_map_entry *bt_cache_entry_at(const struct depriv_bt *bt, const struct bt_cached *b,
                                             uint32_t at)
{
    return bt_map_find(&bt->map[b->map_first], b->entries, b->tc_size, at - b->tc_address);
}

void bt_cache_chain(struct vcpu *v, uint32_t slot, uint32_t eip)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct bt_cached *b = bt_cache_block_at(bt, slot);
    const struct bt_map_entry *e = b && b->live ? bt_cache_entry_at(bt, b, slot) : NULL;
    /* Only one of the cache's own slots, naming this target (the exit
     * record is written by translated code: hv/bt/README.md). */
    if (!e || e->kind != BT_MAP_SLOT || e->guest_eip != eip || b->tc_address + e->tc_offset != slot ||
        !bt_is_slot(bt->tc + (slot - BT_TC_BASE), slot))
        return;
    uint32_t tc;
    unsigned before = bt->flushes;
    if (!bt_cache_translation(v, eip, &tc) || bt->flushes != before)
        return;                                 /* a flush emptied the slot's block too */
    bt_chain(bt->tc + (slot - BT_TC_BASE), slot, tc);
    bt->chained++;
}

/* Every chained slot of the live blocks aimed back at its stub. */
static void unchain_all(struct depriv_bt *bt)
{
    for (unsigned i = 0; i < bt->nblocks; i++) {
        const struct bt_cached *b = &bt->blocks[i];
        for (unsigned k = 0; b->live && k < b->entries; k++) {
            const struct bt_map_entry *e = &bt->map[b->map_first + k];
            if (e->kind == BT_MAP_SLOT)
                bt_unchain(bt->tc + (b->tc_address + e->tc_offset - BT_TC_BASE), b->tc_address + e->tc_offset);
        }
    }
}

void bt_cache_invalidate_frame(struct vcpu *v, uint64_t gpa)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint64_t f = gpa / PAGE;
    uint32_t page = (uint32_t)(f * PAGE);
    if (!bt_cache_frame_translated(bt, gpa))
        return;
    bt->translated[f / 8] &= (uint8_t)~(1u << (f % 8));
    for (unsigned h = 0; h < BT_HASH; h++) {
        int32_t *link = &bt->hash[h];
        while (*link >= 0) {
            struct bt_cached *b = &bt->blocks[*link];
            if (b->frame[0] == page || b->frame[1] == page) {
                b->live = false;
                *link = b->hash_next;
            } else {
                link = &b->hash_next;
            }
        }
    }
    unchain_all(bt);
    bt_lookup_clear(bt->page);
    bt->invalidations++;
}

bool bt_cache_filled(struct vcpu *v, uint32_t va, bool write)
{
    uint32_t *e = shadow_entry(&v->guest->shadow, va);
    if (!e || (*e & (GPTE_P | GPTE_W)) != (GPTE_P | GPTE_W))
        return false;
    uint64_t gpa = GPTE_ADDR(*e) - v->guest->ram_hpa;
    if (!bt_cache_frame_translated(v->depriv.bt, gpa))
        return false;
    if (!write) {                               /* a read or fetch made it: read-only */
        *e &= ~(uint32_t)GPTE_W;
        return false;
    }
    bt_cache_invalidate_frame(v, gpa);
    return true;
}
