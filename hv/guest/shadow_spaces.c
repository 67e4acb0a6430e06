/*
 * shadow_spaces.c: the shadows of several guest address spaces, kept across
 * CR3 loads (64-bit, VMX root operation; bt=1). See shadow_spaces.h for
 * which frames are watched and when a shadow kept is emptied.
 *
 * Every change to a shadow goes through lab 2's functions (shadow.c): this
 * file only decides which shadow is loaded and when one must forget. Those
 * functions count what the guest did (CR3 loads, INVLPGs, full flushes); a
 * call here that is the hypervisor's own upkeep takes its count back.
 */
#include "guest/shadow_spaces.h"
#include "guest/guest.h"
#include "guest/guest_paging.h"
#include "guest/shadow.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmcs.h"

#define PAGE 4096u
#define SPACES_MANY 2u      /* writable[f][0]: more than two linear addresses (never va | 1) */

/* Upkeep through lab 2's functions, its counts taken back. */
static void drop_nonglobal(struct shadow *s)
{
    shadow_load_cr3(s, s->guest_cr3);
    s->cr3_loads--;
}

static void drop_page(struct shadow *s, uint32_t va)
{
    shadow_invlpg(s, va);
    s->invlpgs--;
}

/* Every entry gone, global ones too: lab 2 empties a shadow so at a change
 * of its paging controls (SDM 4.10.4.1), so change them and back. */
static void empty(struct shadow *s)
{
    bool paging = s->paging;
    uint32_t ctl = s->ctl;
    shadow_set_mode(s, !paging, ctl);
    shadow_set_mode(s, paging, ctl);
    s->full_flushes -= 2;
}

static void same_mode(struct shadow *s, const struct shadow *like)
{
    uint64_t before = s->full_flushes;
    shadow_set_mode(s, like->paging, like->ctl);
    s->full_flushes = before;
}

void shadow_spaces_create(struct guest *g, unsigned max)
{
    if (max <= 1)
        return;
    struct shadow_spaces *sp = kmalloc(sizeof(*sp));
    uint64_t frames = g->ram_size / PAGE;
    if (sp) {
        memset(sp, 0, sizeof(*sp));
        sp->sourced = kmalloc(frames);
        sp->written = kmalloc(frames);
        sp->writable = kmalloc(frames * sizeof(sp->writable[0]));
    }
    if (!sp || !sp->sourced || !sp->written || !sp->writable)
        panic("out of memory: no room to keep the shadows of %u address spaces", max);
    memset(sp->sourced, 0, frames);
    memset(sp->written, 0, frames);
    memset(sp->writable, 0, frames * sizeof(sp->writable[0]));
    sp->guest = g;
    sp->frames = frames;
    sp->max = max > SHADOW_SPACES_MAX ? SHADOW_SPACES_MAX : max;
    sp->n = 1;
    sp->shadow[0] = g->shadow;
    sp->seen_invlpgs = g->shadow->invlpgs;
    sp->seen_flushes = g->shadow->full_flushes;
    /* Entries made before now were never watched: start from none. */
    empty(g->shadow);
    g->spaces = sp;
}

/* --- The frames watched --------------------------------------------- */

static bool maps_writable(const struct shadow_spaces *sp, uint32_t va, uint64_t hpa)
{
    for (unsigned i = 0; i < sp->n; i++) {
        const uint32_t *e = shadow_entry(sp->shadow[i], va);
        if (e && (*e & (GPTE_P | GPTE_W)) == (GPTE_P | GPTE_W) && GPTE_ADDR(*e) == hpa)
            return true;
    }
    return false;
}

/* Linear va's entry maps frame f writable: remember where. */
static void note_writable(struct shadow_spaces *sp, uint64_t f, uint32_t va)
{
    uint32_t *at = sp->writable[f], tag = (va & ~(PAGE - 1)) | 1u;
    if (at[0] == SPACES_MANY || at[0] == tag || at[1] == tag)
        return;
    uint64_t hpa = sp->guest->ram_hpa + f * PAGE;
    for (unsigned k = 0; k < 2; k++)
        if (!at[k] || !maps_writable(sp, at[k] & ~(PAGE - 1), hpa)) {
            at[k] = tag;
            return;
        }
    at[0] = SPACES_MANY;
}

/* No shadow maps frame f writable any more. */
static void protect(struct shadow_spaces *sp, uint64_t f)
{
    uint32_t *at = sp->writable[f];
    uint64_t hpa = sp->guest->ram_hpa + f * PAGE;
    sp->protects++;
    if (at[0] == SPACES_MANY) {
        for (unsigned i = 0; i < sp->n; i++)
            shadow_write_protect(sp->shadow[i], hpa);
        sp->scans++;
    } else {
        for (unsigned k = 0; k < 2 && at[k]; k++)
            for (unsigned i = 0; i < sp->n; i++) {
                uint32_t *e = shadow_entry(sp->shadow[i], at[k] & ~(PAGE - 1));
                if (e && (*e & GPTE_P) && GPTE_ADDR(*e) == hpa)
                    *e &= ~(uint32_t)GPTE_W;
            }
    }
    at[0] = at[1] = 0;
}

/* Shadow i's non-global entries are made through guest-physical gpa. */
static void source(struct shadow_spaces *sp, unsigned i, uint64_t gpa)
{
    uint64_t f = gpa / PAGE;
    uint8_t bit = (uint8_t)(1u << i);
    if (f >= sp->frames || (sp->sourced[f] & bit))
        return;
    bool watched = sp->sourced[f] != 0;
    sp->sourced[f] |= bit;
    if (sp->nsources[i] < SHADOW_SPACES_SOURCES)
        sp->sources[i][sp->nsources[i]++] = (uint32_t)f;
    else
        sp->sources_overflow[i] = true;
    if (!watched && !sp->written[f])
        protect(sp, f);
}

/* Shadow i has no non-global entry left: it is made through no frame. */
static void unsource(struct shadow_spaces *sp, unsigned i)
{
    uint8_t keep = (uint8_t)~(1u << i);
    if (sp->sources_overflow[i]) {
        for (uint64_t f = 0; f < sp->frames; f++)
            sp->sourced[f] &= keep;
    } else {
        for (unsigned k = 0; k < sp->nsources[i]; k++)
            sp->sourced[sp->sources[i][k]] &= keep;
    }
    sp->nsources[i] = 0;
    sp->sources_overflow[i] = false;
}

static void mark_written(struct shadow_spaces *sp, uint64_t f)
{
    if (sp->written[f])
        return;
    sp->written[f] = 1;
    if (sp->npending < SHADOW_SPACES_PENDING)
        sp->pending[sp->npending++] = (uint32_t)f;
    else
        sp->pending_overflow = true;
}

void shadow_spaces_filled(struct guest *g, uint32_t va, bool write)
{
    struct shadow_spaces *sp = g->spaces;
    if (!sp)
        return;
    struct shadow *s = g->shadow;
    uint32_t *e = shadow_entry(s, va);
    if (!e || !(*e & GPTE_P))
        return;
    if (s->paging && !(*e & GPTE_G)) {
        uint64_t dir = GPTE_ADDR(s->guest_cr3);
        const uint32_t *pde = guest_ptr(g, dir + 4 * (va >> 22), 4);
        source(sp, sp->current, dir);
        if (pde && (*pde & GPTE_P) && !((*pde & GPTE_PS) && (s->ctl & GPT_PSE)))
            source(sp, sp->current, GPTE_ADDR(*pde));
    }
    uint64_t f = (GPTE_ADDR(*e) - g->ram_hpa) / PAGE;     /* shadow entries map guest RAM only */
    if (!(*e & GPTE_W) || f >= sp->frames)
        return;
    if (sp->sourced[f] && !sp->written[f]) {
        if (!write) {                   /* a read made it: the first write is still to fault */
            *e &= ~(uint32_t)GPTE_W;
            return;
        }
        mark_written(sp, f);
        sp->writes++;
    }
    note_writable(sp, f, va);
}

void shadow_spaces_written(struct guest *g, uint64_t gpa)
{
    struct shadow_spaces *sp = g->spaces;
    uint64_t f = gpa / PAGE;
    if (sp && f < sp->frames && sp->sourced[f])
        mark_written(sp, f);
}

void shadow_spaces_write_protect(struct guest *g, uint64_t hpa)
{
    struct shadow_spaces *sp = g->spaces;
    if (!sp) {
        shadow_write_protect(g->shadow, hpa);
        return;
    }
    for (unsigned i = 0; i < sp->n; i++)
        shadow_write_protect(sp->shadow[i], hpa);
}

/* --- CR3 loads and INVLPG -------------------------------------------- */

/* What lab 2 did to the current shadow without this file (a student's
 * lab 3 emulation calls it directly): an INVLPG or a full flush there may
 * have dropped a global entry the others still hold. */
static void notice(struct shadow_spaces *sp)
{
    const struct shadow *s = sp->shadow[sp->current];
    if (s->invlpgs != sp->seen_invlpgs || s->full_flushes != sp->seen_flushes)
        for (unsigned i = 0; i < sp->n; i++)
            if (i != sp->current)
                sp->stale[i] = true;
    sp->seen_invlpgs = s->invlpgs;
    sp->seen_flushes = s->full_flushes;
}

/* The CR3 load's TLB flush, for what it changes here: every shadow made
 * through a frame written since the last load loses its non-global
 * entries. */
static void forget_written(struct shadow_spaces *sp)
{
    uint8_t drop = 0;
    if (sp->pending_overflow) {
        drop = 0xFF;
        memset(sp->written, 0, sp->frames);
    } else {
        for (unsigned k = 0; k < sp->npending; k++) {
            drop |= sp->sourced[sp->pending[k]];
            sp->written[sp->pending[k]] = 0;
        }
    }
    sp->npending = 0;
    sp->pending_overflow = false;
    for (unsigned i = 0; i < sp->n; i++)
        if (drop & (1u << i)) {
            drop_nonglobal(sp->shadow[i]);
            unsource(sp, i);
            sp->dropped++;
        }
}

static int kept(const struct shadow_spaces *sp, uint32_t cr3)
{
    for (unsigned i = 0; i < sp->n; i++)
        if (!sp->stale[i] && sp->shadow[i]->guest_cr3 == cr3)
            return (int)i;
    return -1;
}

/* A shadow for a new address space: a new one while fewer than max, else
 * the one loaded longest ago (a stale one first). */
static unsigned make_room(struct shadow_spaces *sp)
{
    const struct shadow *now = sp->shadow[sp->current];
    if (sp->n < sp->max) {
        struct shadow *s = kmalloc(sizeof(*s));
        if (!s)
            panic("out of memory: no room for the shadow of address space %u", sp->n + 1);
        shadow_init(s, sp->guest);
        if (now->hypervisor_slot)   /* cpu=deprivileged's own slot, in every address space */
            shadow_map_hypervisor(s, GPTE_ADDR(((const uint32_t *)now->root)[now->hypervisor_slot]));
        same_mode(s, now);
        sp->shadow[sp->n] = s;
        return sp->n++;
    }
    unsigned victim = sp->current == 0 ? 1 : 0;
    for (unsigned i = 0; i < sp->n; i++)
        if (i != sp->current && (sp->stale[i] > sp->stale[victim] ||
                                 (sp->stale[i] == sp->stale[victim] && sp->used_at[i] < sp->used_at[victim])))
            victim = i;
    return victim;
}

void shadow_spaces_load_cr3(struct guest *g, uint32_t cr3)
{
    struct shadow_spaces *sp = g->spaces;
    if (!sp) {
        shadow_load_cr3(g->shadow, cr3);
        return;
    }
    notice(sp);
    forget_written(sp);
    int hit = kept(sp, cr3);
    unsigned i;
    if (hit >= 0) {
        i = (unsigned)hit;
        sp->shadow[i]->cr3_loads++;     /* the guest's load, done without lab 2's flush */
        sp->hits++;
    } else {
        i = make_room(sp);
        if (sp->stale[i]) {
            empty(sp->shadow[i]);
            sp->stale[i] = false;
            sp->emptied++;
        }
        same_mode(sp->shadow[i], sp->shadow[sp->current]);
        shadow_load_cr3(sp->shadow[i], cr3);    /* its global entries stay, as in a TLB */
        unsource(sp, i);
        sp->misses++;
    }
    sp->current = i;
    sp->used_at[i] = ++sp->clock;
    g->shadow = sp->shadow[i];
    vmcs_write(VMCS_GUEST_CR3, g->shadow->root);
    sp->seen_invlpgs = g->shadow->invlpgs;
    sp->seen_flushes = g->shadow->full_flushes;
}

/* INVLPG drops the page's entry in every shadow: a global one may be in
 * any of them (SDM 4.10.4.1: INVLPG invalidates global translations too). */
void shadow_spaces_invlpg(struct guest *g, uint32_t va)
{
    struct shadow_spaces *sp = g->spaces;
    if (!sp) {
        shadow_invlpg(g->shadow, va);
        return;
    }
    notice(sp);
    for (unsigned i = 0; i < sp->n; i++)
        if (i != sp->current)
            drop_page(sp->shadow[i], va);
    shadow_invlpg(g->shadow, va);
    sp->seen_invlpgs = g->shadow->invlpgs;
}

void shadow_spaces_print_stats(const struct guest *g)
{
    const struct shadow_spaces *sp = g->spaces;
    const struct shadow *const *all = sp ? (const struct shadow *const *)sp->shadow
                                         : (const struct shadow *const *)&g->shadow;
    shadow_print_stats(all, sp ? sp->n : 1);
    if (sp)
        printf("hv: %sshadow spaces: %u address spaces' shadows kept (at most %u), %lu CR3 loads "
               "found theirs, %lu made one; %lu page tables protected (%lu by a scan), %lu first "
               "writes to them, %lu shadows emptied of non-global entries after such writes, "
               "%lu of all entries\n", g->tag, sp->n, sp->max, sp->hits, sp->misses,
               sp->protects, sp->scans, sp->writes, sp->dropped, sp->emptied);
}
