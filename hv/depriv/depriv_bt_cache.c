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
#include "depriv/depriv_bt.h"
#include "bt/bt_classify.h"
#include "bt/bt_gate.h"
#include "bt/bt_chain.h"
#include "bt/bt_lookup.h"
#include "guest/guest_linear.h"
#include "guest/shadow.h"
#include "guest/shadow_spaces.h"
#include "string.h"
#include "vmx/vmcs.h"

#define PAGE 4096u
#define BT_CODE_MAX (BT_BLOCK_MAX_INSNS * X86_MAX_LENGTH + X86_MAX_LENGTH)

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

bool bt_cache_frame_watched(void *ctx, uint64_t gpa)
{
    const struct depriv_bt *bt = ((struct vcpu *)ctx)->depriv.bt;
    return bt_cache_frame_translated(bt, gpa) || (gpa & ~(uint64_t)(PAGE - 1)) == bt->recent_frame;
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
    uint64_t hpa = v->guest->ram_hpa + (gpa & ~(uint64_t)(PAGE - 1));
    if (bt->recent_frame == (gpa & ~(uint64_t)(PAGE - 1)) && !bt->recent_overflow) {
        for (unsigned i = 0; i < bt->nrecent; i++)   /* still this frame's, if the shadow kept them */
            if (GPTE_ADDR(*bt->recent_entries[i]) == hpa)
                *bt->recent_entries[i] &= ~(uint32_t)GPTE_W;
    } else {
        shadow_spaces_write_protect(v->guest, hpa);   /* in every address space's shadow */
    }
    bt->recent_frame = ~0ull;
}

void bt_cache_lookup_filled(struct depriv_bt *bt, unsigned index)
{
    if (bt->nlookups_set < sizeof(bt->lookups_set) / sizeof(bt->lookups_set[0]))
        bt->lookups_set[bt->nlookups_set] = (uint16_t)index;
    bt->nlookups_set++;
}

/* Every lookup entry empty again: those set one by one, if they were few
 * (a code page written again and again empties the table every time). */
static void empty_lookups(struct depriv_bt *bt)
{
    if (bt->nlookups_set > sizeof(bt->lookups_set) / sizeof(bt->lookups_set[0]))
        bt_lookup_clear(bt->page);
    else
        for (unsigned i = 0; i < bt->nlookups_set; i++)
            bt_lookup_clear_entry(bt->page, bt->lookups_set[i]);
    bt->nlookups_set = 0;
    bt_gate_no_direct(bt->page);                /* the handler's translation may be gone too */
}

void bt_cache_flush(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    bt->nblocks = bt->nmap = 0;
    bt->tc_used = bt->blocks_start;
    for (unsigned i = 0; i < BT_HASH; i++)
        bt->hash[i] = -1;
    memset(bt->translated, 0, (bt->frames + 7) / 8);   /* read-only entries left fault once more */
    bt->npages = bt->nonglobal_pages = 0;
    bt->recent_frame = ~0ull;
    bt->single.tc_size = 0;
    bt_lookup_clear(bt->page);
    bt_gate_no_direct(bt->page);
    bt->flushes++;
    bt->nlookups_set = 0;
}

/* The guest's code at eip: the bytes of its page, and up to 14 of the next
 * (an instruction may straddle), at most max of them (a block of
 * BT_BLOCK_MAX_INSNS instructions of 15 bytes needs BT_CODE_MAX); the
 * frames they are in. */
/* A translation the guest's CR3 loads keep: a global page with CR4.PGE
 * on (SDM vol. 3, 4.10.2.4; G is bit 8 of the PTE, or of a 4 MiB PDE). */
static bool mapped_global(const struct vcpu *v, const struct linear_walk *w)
{
    return w->levels && (v->guest->shadow->ctl & GPT_PGE) && (w->entry[w->used - 1] & GPTE_G);
}

static bool read_code(struct vcpu *v, uint32_t eip, struct bt_code *code, uint32_t frame[2], bool global[2],
                      size_t max)
{
    struct depriv_bt *bt = v->depriv.bt;
    struct linear_walk w;
    if (!guest_linear_walk(v->guest, eip, &w))
        return false;
    uint32_t left = PAGE - (eip & (PAGE - 1));
    size_t want = left + 14 < max ? left + 14 : max, n = guest_linear_read(v->guest, eip, bt->code, want);
    if (n < (left < want ? left : want))
        return false;                           /* outside guest RAM */
    frame[0] = (uint32_t)(w.gpa & ~(uint64_t)(PAGE - 1));
    frame[1] = frame[0];
    global[0] = global[1] = mapped_global(v, &w);
    if (n > left && guest_linear_walk(v->guest, eip + left, &w)) {
        frame[1] = (uint32_t)(w.gpa & ~(uint64_t)(PAGE - 1));
        global[1] = mapped_global(v, &w);
    }
    *code = (struct bt_code){ .bytes = bt->code, .len = n, .eip = eip };
    return true;
}

/* Translate the block at eip into the TC; its index, or -1 (the cache is
 * full: the caller flushes and tries once more). */
/* The linear page `linear` holds translated code from `frame` now. */
static void note_page(struct depriv_bt *bt, uint32_t linear, uint32_t frame, bool global)
{
    linear &= ~(PAGE - 1);
    for (unsigned i = 0; i < bt->npages; i++)
        if (bt->pages[i].linear == linear && bt->pages[i].frame == frame)
            return;
    if (bt->npages < BT_MAX_PAGES) {
        bt->pages[bt->npages++] = (struct bt_page){ linear, frame, global };
        bt->nonglobal_pages += !global;
    }
}

static int32_t translate(struct vcpu *v, const struct bt_code *code, const uint32_t frame[2],
                         const bool global[2])
{
    struct depriv_bt *bt = v->depriv.bt;
    if (bt->nblocks == BT_MAX_BLOCKS || bt->nmap + BT_BLOCK_MAX_ENTRIES > BT_MAX_MAP ||
        bt->npages + 2 > BT_MAX_PAGES)
        return -1;
    struct bt_emit e = { bt->tc + bt->tc_used, BT_TC_BASE + bt->tc_used, 0,
                         BT_TC_PAGES * PAGE - BT_SCRATCH - bt->tc_used, false };
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
    note_page(bt, code->eip, frame[0], global[0]);
    if (straddles) {
        protect_frame(v, frame[1]);
        note_page(bt, code->eip + PAGE, frame[1], global[1]);
    }
    return i;
}

static bool hot(const struct depriv_bt *bt, uint32_t frame)
{
    uint64_t f = frame / PAGE;
    return f < bt->frames && (bt->hot[f / 8] & (1u << (f % 8)));
}

bool bt_cache_frame_hot(const struct depriv_bt *bt, uint64_t gpa)
{
    return gpa / PAGE < bt->frames && hot(bt, (uint32_t)gpa);
}

/* A block run once, from the scratch block, never kept: one instruction
 * (the guest's TF), or a hot frame's code, which the guest rewrites
 * without a trap: the block ends after each instruction that may write
 * what follows it (bt_code.unprotected), so that every run translates the
 * bytes as they are then (bt-rewrite-own-page: a loop rewriting its own
 * ADD's immediate runs a block, one exit, a pass). */
static bool translate_once(struct vcpu *v, struct bt_code *code, bool one, uint32_t *tc)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint32_t at = BT_TC_PAGES * PAGE - BT_SCRATCH;
    struct bt_emit e = { bt->tc + at, BT_TC_BASE + at, 0, BT_SCRATCH, false };
    struct bt_block *b = &bt->scratch;
    /* A step is one instruction, whatever it writes; a hot frame's block
     * ends after each store that may reach what follows. */
    code->unprotected = !one;
    code->ds_base_zero = !one && vmcs_read(VMCS_GUEST_DS_BASE) == 0;
    if (bt_translate_block(code, &bt->rt, &e, one ? 1 : BT_BLOCK_MAX_INSNS, b) != BT_OK)
        return false;
    bt->single = (struct bt_cached){ .guest_eip = b->guest_eip, .guest_end = b->guest_end,
                                     .tc_address = b->tc_address, .tc_size = b->tc_size,
                                     .entries = (uint16_t)b->entries, .hash_next = -1 };
    memcpy(bt->single_map, b->map, b->entries * sizeof(b->map[0]));
    bt->single_use++;
    *tc = b->tc_address;
    return true;
}

void bt_cache_left_at(struct depriv_bt *bt, const struct bt_cached *b, const struct bt_map_entry *e)
{
    if (b == &bt->single || !b->live || !bt_map_enterable(e) || e == bt_cache_map(bt, b))
        return;                                 /* (the block's start: find has it) */
    for (unsigned i = 0; i < BT_RESUMES; i++)
        if (bt->resume[i].guest_eip == e->guest_eip && bt->resume[i].flushes == bt->flushes &&
            bt->resume[i].tc == b->tc_address + e->tc_offset)
            return;
    bt->resume[bt->next_resume] = (struct bt_resume){ e->guest_eip, b->tc_address + e->tc_offset,
                                                      (unsigned)(b - bt->blocks), bt->flushes, false };
    bt->next_resume = (bt->next_resume + 1) % BT_RESUMES;
}

/* A place an exit left inside a live block, at guest eip (bt_cache_left_at). */
static bool resume_at(struct depriv_bt *bt, uint32_t eip, enum bt_want want, uint32_t *tc)
{
    for (unsigned i = 0; i < BT_RESUMES; i++) {
        struct bt_resume *r = &bt->resume[i];
        if (r->guest_eip == eip && r->flushes == bt->flushes && r->block < bt->nblocks &&
            bt->blocks[r->block].live && !(want == BT_WANT_LOOKUP && r->looked_up)) {
            r->looked_up |= want == BT_WANT_LOOKUP;
            *tc = r->tc;
            bt->resumed++;
            bt->found++;
            return true;
        }
    }
    return false;
}

bool bt_cache_translation(struct vcpu *v, uint32_t eip, enum bt_want want, uint32_t *tc, bool *kept)
{
    struct depriv_bt *bt = v->depriv.bt;
    bool one = want == BT_WANT_ONE;
    int32_t i = one ? -1 : find(bt, eip);
    *kept = true;
    bt->asked++;
    bt->found += i >= 0;
    if (i < 0 && (want == BT_WANT_ENTRY || want == BT_WANT_LOOKUP) && resume_at(bt, eip, want, tc)) {
        *kept = false;
        return true;
    }
    if (i < 0) {
        struct bt_code code;
        uint32_t frame[2];
        bool global[2];
        /* An instruction breakpoint's instruction runs in place, where
         * DR0-DR3 see it, and blocks end before one (depriv_bt_debug.c;
         * a change of them empties the cache, so no block kept has one).
         * The CPU's fetch sets the accessed flags on the way to the code
         * (SDM vol. 3, 4.8); translated code is never fetched there, so
         * the translator's read is that fetch: the shadow filled for it,
         * the flags set (a page table that is code too drops its
         * translations first: hostile bt-emul-rewrite-accessed-flag-fetch). */
        if (eip > DEPRIV_SEG_LIMIT || depriv_bt_breakpoint_at(eip) || !depriv_bt_fetchable(v, eip, 1) ||
            !read_code(v, eip, &code, frame, global, BT_CODE_MAX))
            return false;                       /* the CPU's own fault, in place */
        code.len = depriv_bt_cut_before_breakpoint(eip, code.len);
        if (one || hot(bt, frame[0]) || hot(bt, frame[1])) {
            *kept = false;
            return translate_once(v, &code, one, tc);
        }
        i = translate(v, &code, frame, global);
        if (i < 0) {
            bt_cache_flush(v);
            i = translate(v, &code, frame, global);
        }
        if (i < 0)
            return false;
    }
    *tc = bt->blocks[i].tc_address;
    return true;
}

const struct bt_cached *bt_cache_block_at(struct depriv_bt *bt, uint32_t at)
{
    if (at - bt->single.tc_address < bt->single.tc_size)
        return &bt->single;
    /* The block found last, first: exits come back to the same copy (a
     * context switch's MOV to CR3, a driver's IN and OUT). Blocks never
     * move or overlap (only added, at the TC's end, until a flush). */
    const struct bt_cached *last = &bt->blocks[bt->block_found];
    if (bt->block_found < bt->nblocks && at - last->tc_address < last->tc_size)
        return last;
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
    if (at - b->tc_address >= b->tc_size)
        return NULL;
    bt->block_found = lo - 1;
    return b;
}

const struct bt_map_entry *bt_cache_map(const struct depriv_bt *bt, const struct bt_cached *b)
{
    return b == &bt->single ? bt->single_map : &bt->map[b->map_first];
}

const struct bt_map_entry *bt_cache_entry_at(struct depriv_bt *bt, const struct bt_cached *b, uint32_t at)
{
    /* The entry found last, first (as bt_cache_block_at): a block's map
     * stays as it is until a flush, but the scratch block's, remade for
     * each instruction. */
    if (at == bt->entry_found_at && bt->flushes == bt->entry_found_flushes && b != &bt->single)
        return bt->entry_found;
    const struct bt_map_entry *e = bt_map_find(bt_cache_map(bt, b), b->entries, b->tc_size, at - b->tc_address);
    if (e && b != &bt->single) {
        bt->entry_found = e;
        bt->entry_found_at = at;
        bt->entry_found_flushes = bt->flushes;
    }
    return e;
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
    bool kept;
    unsigned before = bt->flushes;
    if (b == &bt->single || !bt_cache_translation(v, eip, BT_WANT_BLOCK, &tc, &kept) || !kept || bt->flushes != before)
        return;                                 /* a flush emptied the slot's block too */
    bt_block_chain(bt->tc + (b->tc_address - BT_TC_BASE), b->tc_address, e, tc);
    bt->chained++;
}

uint32_t bt_cache_branch_at(struct depriv_bt *bt, uint32_t kind, uint32_t arg)
{
    uint32_t at = kind == BT_EXIT_BRANCH || arg ? arg : bt->page->lookup_site;
    struct bt_place place = bt_cache_place(bt, at);
    const struct bt_map_entry *e = place.entry;
    if (!e)
        return 0;
    if (kind == BT_EXIT_BRANCH)                 /* the slot itself */
        return e->kind == BT_MAP_SLOT && place.boundary ? e->from : 0;
    return e->kind == BT_MAP_INSN && e->action == BT_INDIRECT ? e->guest_eip : 0;   /* inside its site */
}

void bt_cache_learn(struct vcpu *v, uint32_t learn, uint32_t eip, uint32_t tc)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct bt_cached *b = bt_cache_block_at(bt, learn);
    if (!b || !b->live || b == &bt->single)
        return;
    /* The site is inside an indirect branch's translation, the block's
     * last instruction, whose slot comes next in the map (exit records are
     * translated code's words: hv/bt/README.md). */
    struct bt_map_entry *map = &bt->map[b->map_first];
    const struct bt_map_entry *e = bt_cache_entry_at(bt, b, learn);
    unsigned i = (unsigned)(e - map);
    struct bt_site_layout s;
    uint8_t *code = bt->tc + (learn - BT_TC_BASE);
    if (!e || e->kind != BT_MAP_INSN || e->action != BT_INDIRECT ||
        !bt_site_parse(code, learn, b->tc_address + b->tc_size - learn, &s) || i + 1 >= b->entries ||
        map[i + 1].kind != BT_MAP_SLOT || b->tc_address + map[i + 1].tc_offset != s.slot)
        return;
    bt_site_learn(code, learn, &s, eip, bt->rt.lookup);
    map[i + 1].guest_eip = eip;
    bt_chain(bt->tc + (s.slot - BT_TC_BASE), s.slot, tc);
    bt->chained++;
    bt->sites_learned++;
}

/* Every chained slot of the live blocks aimed back at its stub. */
static void unchain_all(struct depriv_bt *bt)
{
    for (unsigned i = 0; i < bt->nblocks; i++) {
        const struct bt_cached *b = &bt->blocks[i];
        for (unsigned k = 0; b->live && k < b->entries; k++) {
            const struct bt_map_entry *e = &bt->map[b->map_first + k];
            if (e->kind == BT_MAP_SLOT)
                bt_block_unchain(bt->tc + (b->tc_address - BT_TC_BASE), b->tc_address, e);
        }
    }
}

/* Drop the blocks `doomed` names (their TC bytes stay until a flush, a
 * guest stopped inside one still understood), unchain every slot (one may
 * aim at a dropped block) and empty the indirect-branch table. */
static void drop_blocks(struct depriv_bt *bt, bool (*doomed)(const struct bt_cached *b, uint32_t page),
                        uint32_t page)
{
    for (unsigned h = 0; h < BT_HASH; h++) {
        int32_t *link = &bt->hash[h];
        while (*link >= 0) {
            struct bt_cached *b = &bt->blocks[*link];
            if (doomed(b, page)) {
                b->live = false;
                *link = b->hash_next;
            } else {
                link = &b->hash_next;
            }
        }
    }
    unchain_all(bt);
    empty_lookups(bt);
    bt->invalidations++;
}

static bool from_frame(const struct bt_cached *b, uint32_t frame)
{
    return b->frame[0] == frame || b->frame[1] == frame;
}

static bool from_linear_page(const struct bt_cached *b, uint32_t linear)
{
    return (b->guest_eip & ~(PAGE - 1)) == linear || ((b->guest_end - 1) & ~(PAGE - 1)) == linear;
}

void bt_cache_drop_frame(struct vcpu *v, uint64_t gpa)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint64_t f = gpa / PAGE;
    if (!bt_cache_frame_translated(bt, gpa))
        return;
    bt->translated[f / 8] &= (uint8_t)~(1u << (f % 8));
    drop_blocks(bt, from_frame, (uint32_t)(f * PAGE));
    bt->recent_frame = f * PAGE;
    bt->nrecent = 0;
    bt->recent_overflow = false;
}

void bt_cache_invalidate_frame(struct vcpu *v, uint64_t gpa)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint64_t f = gpa / PAGE;
    if (!bt_cache_frame_translated(bt, gpa))
        return;
    bt_cache_drop_frame(v, gpa);
    bt->written_in_a_row = bt->last_written == f * PAGE ? bt->written_in_a_row + 1 : 1;
    bt->last_written = f * PAGE;
    if (bt->written_in_a_row >= BT_HOT)
        bt->hot[f / 8] |= (uint8_t)(1u << (f % 8));
}

/* Page i still maps the frame its code came from? If not, its blocks go. */
static bool page_still_mapped(struct vcpu *v, unsigned i)
{
    struct depriv_bt *bt = v->depriv.bt;
    struct bt_page *p = &bt->pages[i];
    struct linear_walk w;
    if (guest_linear_walk(v->guest, p->linear, &w) && (w.gpa & ~(uint64_t)(PAGE - 1)) == p->frame) {
        bool global = mapped_global(v, &w);     /* made global since (the guest set CR4.PGE)? */
        bt->nonglobal_pages += (unsigned)p->global - (unsigned)global;
        p->global = global;
        return true;
    }
    drop_blocks(bt, from_linear_page, p->linear);   /* mapped elsewhere, or not at all, now */
    bt->remapped++;
    bt->nonglobal_pages -= !p->global;
    *p = bt->pages[--bt->npages];
    return false;
}

/* Another address space's shadow is loaded (shadow_spaces.c): its counts
 * are its own, and what changed is a CR3 load. (Each INVLPG and change of
 * paging controls is checked for right after it, in the shadow it hit.) */
static void notice_other_shadow(struct depriv_bt *bt, const struct shadow *s)
{
    if (s == bt->seen_shadow)
        return;
    bt->seen_shadow = s;
    bt->seen_cr3_loads = s->cr3_loads - 1;
    bt->seen_invlpgs = s->invlpgs;
    bt->seen_flushes = s->full_flushes;
}

void bt_cache_check_page(struct vcpu *v, uint32_t linear)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct shadow *s = v->guest->shadow;
    if (s != bt->seen_shadow)
        return;                                 /* a CR3 load too: bt_cache_check_mappings */
    if (s->invlpgs != bt->seen_invlpgs + 1 || s->cr3_loads != bt->seen_cr3_loads ||
        s->full_flushes != bt->seen_flushes)
        return;                                 /* more happened: bt_cache_check_mappings */
    bt->seen_invlpgs = s->invlpgs;
    for (unsigned i = 0; i < bt->npages; i++)
        if (bt->pages[i].linear == (linear & ~(PAGE - 1))) {
            page_still_mapped(v, i);
            return;
        }
}

void bt_cache_check_mappings(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct shadow *s = v->guest->shadow;
    notice_other_shadow(bt, s);
    if (s->cr3_loads == bt->seen_cr3_loads && s->invlpgs == bt->seen_invlpgs &&
        s->full_flushes == bt->seen_flushes)
        return;
    bool all = s->invlpgs != bt->seen_invlpgs || s->full_flushes != bt->seen_flushes;
    bt->seen_cr3_loads = s->cr3_loads;
    bt->seen_invlpgs = s->invlpgs;
    bt->seen_flushes = s->full_flushes;
    if (!all && !bt->nonglobal_pages)
        return;                                 /* a CR3 load keeps global pages (SDM 4.10.4.1) */
    for (unsigned i = 0; i < bt->npages; )
        if ((!all && bt->pages[i].global) || page_still_mapped(v, i))
            i++;
}

/* A writable shadow entry of the recently written frame (recent_frame). */
static void note_writable(struct depriv_bt *bt, uint32_t *e)
{
    if (bt->nrecent < sizeof(bt->recent_entries) / sizeof(bt->recent_entries[0]))
        bt->recent_entries[bt->nrecent++] = e;
    else
        bt->recent_overflow = true;
}

bool bt_cache_filled(struct vcpu *v, uint32_t va, bool write)
{
    shadow_spaces_filled(v->guest, va);         /* what it was made from, recorded */
    uint32_t *e = shadow_entry(v->guest->shadow, va);
    if (!e || (*e & (GPTE_P | GPTE_W)) != (GPTE_P | GPTE_W))
        return false;
    uint64_t gpa = GPTE_ADDR(*e) - v->guest->ram_hpa;
    struct depriv_bt *bt = v->depriv.bt;
    if (!bt_cache_frame_translated(bt, gpa)) {
        if ((gpa & ~(uint64_t)(PAGE - 1)) == bt->recent_frame)
            note_writable(bt, e);
        return false;
    }
    if (!write) {                               /* a read or fetch made it: read-only */
        *e &= ~(uint32_t)GPTE_W;
        return false;
    }
    bt_cache_invalidate_frame(v, gpa);
    note_writable(v->depriv.bt, e);
    return true;
}
