/*
 * shadow_spaces.c: the shadows of several guest address spaces, kept across
 * CR3 loads (64-bit, VMX root operation; bt=1). See shadow_spaces.h for how
 * a kept shadow is revalidated and when one must forget.
 *
 * Every change to a shadow's tables goes through lab 2's functions
 * (shadow.c), but the copy of global entries (shadow_copy_globals): this
 * file decides which shadow is loaded and which entries go. Lab 2's
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

/* Upkeep through lab 2's functions, its counts taken back. */
static void drop_page(struct shadow *s, uint32_t va)
{
    shadow_invlpg(s, va);
    s->invlpgs--;
}

static void forget_records(struct shadow_record *r)
{
    for (unsigned i = 0; i < r->n; i++)
        r->entries[r->recorded[i] >> 10][r->recorded[i] & 0x3FF] = 0;
    for (unsigned k = 0; k < r->nslots; k++)
        r->index[r->slot[k]] = -1;
    r->nslots = r->n = 0;               /* their pages stay, for the next slots recorded */
    r->overflow = false;
}

/* Every non-global entry gone (lab 2's CR3 load, its count taken back). */
static void drop_nonglobal(struct shadow_spaces *sp, unsigned i)
{
    struct shadow *s = sp->shadow[i];
    shadow_load_cr3(s, s->guest_cr3);
    s->cr3_loads--;
    forget_records(sp->record[i]);
}

/* Every entry gone, global ones too: lab 2 empties a shadow so at a change
 * of its paging controls (SDM 4.10.4.1), so change them and back. */
static void empty(struct shadow_spaces *sp, unsigned i)
{
    struct shadow *s = sp->shadow[i];
    bool paging = s->paging;
    uint32_t ctl = s->ctl;
    shadow_set_mode(s, !paging, ctl);
    shadow_set_mode(s, paging, ctl);
    s->full_flushes -= 2;
    memset(sp->seeded[i], 0, sizeof(sp->seeded[i]));
    forget_records(sp->record[i]);
}

static void same_mode(struct shadow *s, const struct shadow *like)
{
    uint64_t before = s->full_flushes;
    shadow_set_mode(s, like->paging, like->ctl);
    s->full_flushes = before;
}

static struct shadow_record *new_record(void)
{
    struct shadow_record *r = kmalloc(sizeof(*r));
    if (!r)
        panic("out of memory: no room to record an address space's shadow");
    memset(r, 0, sizeof(*r));
    memset(r->index, -1, sizeof(r->index));
    return r;
}

void shadow_spaces_create(struct guest *g, unsigned max)
{
    if (max <= 1)
        return;
    struct shadow_spaces *sp = kmalloc(sizeof(*sp));
    if (!sp)
        panic("out of memory: no room to keep the shadows of %u address spaces", max);
    memset(sp, 0, sizeof(*sp));
    sp->guest = g;
    sp->max = max > SHADOW_SPACES_MAX ? SHADOW_SPACES_MAX : max;
    sp->n = 1;
    sp->shadow[0] = g->shadow;
    sp->record[0] = new_record();
    sp->seen_invlpgs = g->shadow->invlpgs;
    sp->seen_flushes = g->shadow->full_flushes;
    empty(sp, 0);                       /* entries made before now were never recorded */
    g->spaces = sp;
}

/* What lab 2 did to the current shadow without this file (a student's
 * lab 3 emulation calls it directly): an INVLPG or a full flush there may
 * have dropped a global entry the others still hold; a full flush there
 * dropped its own global entries too. */
static inline void notice(struct shadow_spaces *sp)
{
    const struct shadow *s = sp->shadow[sp->current];
    if (s->full_flushes != sp->seen_flushes)
        memset(sp->seeded[sp->current], 0, sizeof(sp->seeded[sp->current]));
    if (s->invlpgs != sp->seen_invlpgs || s->full_flushes != sp->seen_flushes)
        for (unsigned i = 0; i < sp->n; i++)
            if (i != sp->current)
                sp->stale[i] = true;
    sp->seen_invlpgs = s->invlpgs;
    sp->seen_flushes = s->full_flushes;
}

static void seed(struct shadow_spaces *sp, uint32_t va);

/* --- Records and revalidation ----------------------------------------- */

/* The guest's directory entry for slot in shadow s's address space (NULL
 * if its directory is not in RAM). */
static const uint32_t *guest_pde(const struct guest *g, const struct shadow *s, unsigned slot)
{
    return guest_ptr(g, GPTE_ADDR(s->guest_cr3) + 4 * slot, 4);
}

static bool large(const struct shadow *s, uint32_t pde)
{
    return (pde & GPTE_PS) && (s->ctl & GPT_PSE);
}

/* Shadow i's entry for va was made from guest entries pde and pte (the
 * PDE again for a 4 MiB page). */
static void record(struct shadow_spaces *sp, unsigned i, uint32_t va, uint32_t pde, uint32_t pte)
{
    struct shadow_record *r = sp->record[i];
    unsigned slot = va >> 22, e = (va >> 12) & 0x3FF;
    int k = r->index[slot];
    if (r->overflow)
        return;
    if (k >= 0 && r->pde[slot] != pde) {
        r->overflow = true;             /* entries of two directory entries: none kept at the load */
        return;
    }
    if (k < 0) {
        if (r->nslots == SHADOW_SPACES_SLOTS) {
            r->overflow = true;
            return;
        }
        k = (int)r->nslots++;
        r->slot[k] = (uint16_t)slot;
        r->index[slot] = (int8_t)k;
        if (!r->entries[k]) {
            if (!(r->entries[k] = kmalloc(PAGE)))
                panic("out of memory: no room to record an address space's shadow");
            memset(r->entries[k], 0, PAGE);     /* 0: not recorded (a present entry is never 0) */
        }
        r->pde[slot] = pde;
    }
    if (!r->entries[k][e]) {            /* a present entry is never 0 */
        if (r->n == SHADOW_SPACES_COMPARE) {
            r->overflow = true;         /* more than a refill costs to compare */
            return;
        }
        r->recorded[r->n++] = (uint16_t)(k << 10 | e);
    }
    r->entries[k][e] = pte;
}

void shadow_spaces_filled(struct guest *g, uint32_t va)
{
    struct shadow_spaces *sp = g->spaces;
    if (!sp)
        return;
    struct shadow *s = g->shadow;
    const uint32_t *e = shadow_entry(s, va);
    if (!e || !(*e & GPTE_P) || !s->paging)
        return;
    if (*e & GPTE_G) {
        seed(sp, va);
        return;
    }
    const uint32_t *pde = guest_pde(g, s, va >> 22);
    if (!pde)
        return;                         /* a fill made it, so there is one */
    const uint32_t *pte = large(s, *pde) ? pde
                                         : guest_ptr(g, GPTE_ADDR(*pde) + 4 * ((va >> 12) & 0x3FF), 4);
    if (pte)
        record(sp, sp->current, va, *pde, *pte);
}

/* At the load of shadow i's CR3: each non-global entry whose guest entries
 * are no longer those recorded, dropped (and its record with it). The
 * recorded entries alone are compared, a few words each: the shadow's
 * tables are not scanned. */
static void revalidate(struct shadow_spaces *sp, unsigned i)
{
    struct shadow *s = sp->shadow[i];
    struct shadow_record *r = sp->record[i];
    const struct guest *g = sp->guest;
    const uint32_t *dir = guest_ptr(g, GPTE_ADDR(s->guest_cr3), PAGE);
    if (r->overflow || !dir) {
        drop_nonglobal(sp, i);          /* a refill of what is used costs less */
        sp->overflows++;
        return;
    }
    /* Each recorded entry's guest table now, found again only when the
     * slot changes from the entry before: none if the slot's directory
     * entry is not the one recorded (all its entries differ); a 4 MiB
     * page's entry is the directory entry itself. */
    unsigned last = SHADOW_SPACES_SLOTS;
    const uint32_t *t = NULL;
    bool big = false;
    sp->compared += r->n;
    for (unsigned n = 0; n < r->n;) {
        unsigned k = r->recorded[n] >> 10, e = r->recorded[n] & 0x3FF;
        if (k != last) {
            const uint32_t *pde = &dir[r->slot[k]];
            big = large(s, *pde);
            t = *pde != r->pde[r->slot[k]] ? NULL : big ? pde : guest_ptr(g, GPTE_ADDR(*pde), PAGE);
            last = k;
        }
        uint32_t *was = &r->entries[k][e];
        if (t && *was == (big ? *t : t[e])) {
            n++;
            continue;
        }
        drop_page(s, (uint32_t)r->slot[k] << 22 | e << 12);   /* a 4 MiB page: its whole table */
        sp->dropped++;
        *was = 0;
        r->recorded[n] = r->recorded[--r->n];
    }
}

/* --- Global entries seeded from other shadows ------------------------- */

void shadow_spaces_watch(struct guest *g, bool (*watched)(void *ctx, uint64_t gpa), void *ctx)
{
    if (g->spaces) {
        g->spaces->watched = watched;
        g->spaces->watched_ctx = ctx;
    }
}

/* A global entry copied from another shadow (the shadows share one paging
 * mode, and drop global entries together); read-only if it maps a frame
 * watched, so that the first write through it is a fill its watcher sees
 * (bt=1 keeps the frames it translated from read-only, and remembers the
 * writable entries of one it may translate again: a copy it never saw
 * could not be found). */
static bool keep_copied(void *ctx, uint32_t va, uint32_t *entry)
{
    struct shadow_spaces *sp = ctx;
    (void)va;
    if ((*entry & GPTE_W) && sp->watched &&
        sp->watched(sp->watched_ctx, GPTE_ADDR(*entry) - sp->guest->ram_hpa))
        *entry &= ~(uint32_t)GPTE_W;
    sp->seeded_entries++;
    return true;
}

/* The current shadow's first global fill in the slot of va: the global
 * entries there of every other shadow (never a stale one: it may hold what
 * an INVLPG or a flush dropped elsewhere). */
static void seed(struct shadow_spaces *sp, uint32_t va)
{
    unsigned slot = va >> 22, me = sp->current;
    uint32_t bit = 1u << (slot % 32);
    notice(sp);
    if (sp->seeded[me][slot / 32] & bit)
        return;
    sp->seeded[me][slot / 32] |= bit;
    for (unsigned i = 0; i < sp->n; i++)
        if (i != me && !sp->stale[i] &&
            shadow_copy_globals(sp->shadow[me], sp->shadow[i], slot, keep_copied, sp))
            sp->seeds++;
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
        sp->record[sp->n] = new_record();
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
    int hit = kept(sp, cr3);
    unsigned i;
    if (hit >= 0) {
        i = (unsigned)hit;
        revalidate(sp, i);
        sp->shadow[i]->cr3_loads++;     /* the guest's load, done without lab 2's flush */
        sp->hits++;
    } else {
        i = make_room(sp);
        if (sp->stale[i]) {
            empty(sp, i);
            sp->stale[i] = false;
            sp->emptied++;
        }
        same_mode(sp->shadow[i], sp->shadow[sp->current]);
        shadow_load_cr3(sp->shadow[i], cr3);    /* its global entries stay, as in a TLB */
        forget_records(sp->record[i]);
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
               "found theirs, %lu made one; %lu entries compared at loads, %lu of them dropped, "
               "%lu shadows emptied of non-global entries (too much to compare), %lu of all "
               "entries; %lu slots seeded with %lu global entries of others\n", g->tag, sp->n,
               sp->max, sp->hits, sp->misses, sp->compared, sp->dropped, sp->overflows, sp->emptied,
               sp->seeds, sp->seeded_entries);
}
