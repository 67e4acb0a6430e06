/*
 * shadow_spaces.h: the shadows of several guest address spaces, kept
 * across CR3 loads (64-bit, VMX root operation; bt=1, issue 21).
 *
 * Lab 2's shadow is a virtual TLB: a CR3 load empties it of all but its
 * global entries, so each context switch costs the refill of the process's
 * working set, one #PF exit a page. Under bt=1 the hypervisor keeps up to
 * `shadows=N` shadows instead, one per guest CR3, each a lab 2 shadow with
 * its own directory, and a CR3 load of an address space it keeps switches
 * the real CR3 to that shadow after *revalidating* it: lab 2's handout
 * calls it the middle way (section 3, "The alternative").
 *
 * Revalidation: each non-global fill records the guest's directory entry
 * and page-table entry it was made from, as they were after the fill (its
 * A and D flags set), in a list. At a CR3 load each entry on it is
 * compared with the guest's entries as they are now (the shadow's tables
 * are not scanned); any difference drops it, as the load
 * drops a TLB's non-global entries (SDM vol. 3, 4.10.4.1). An entry whose
 * guest entries are exactly as they were is the entry a refill would make,
 * with nothing for the refill to write: keeping it is a TLB that refilled.
 * So nothing is write-protected, and a write to a page table costs nothing
 * until the next CR3 load, which compares a few words per entry kept
 * instead of taking one exit per page.
 *
 * The guest kernel's own pages are global, the same in every address
 * space: a shadow's first global fill in a directory slot copies in the
 * global entries the other shadows hold there (a TLB would hold them).
 * Global entries are not compared: the architecture keeps them across CR3
 * loads anyway, and drops them only at INVLPG (here done in every shadow
 * kept) and at a change of CR0.PG or CR4.PGE (noticed at the next CR3 load
 * or fill: every other shadow is emptied before it is used again).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct guest;
struct shadow;

#define SHADOW_SPACES_MAX 8         /* shadows=1..8 */
#define SHADOW_SPACES_DEFAULT 4     /* bt=1's, without shadows= */
#define SHADOW_SPACES_SLOTS 32      /* directory slots recorded per shadow; more: emptied at the load */
#define SHADOW_SPACES_COMPARE 128   /* entries compared at a load at most; more: emptied instead */

/* What one kept shadow's non-global entries were made from. */
struct shadow_record {
    uint16_t slot[SHADOW_SPACES_SLOTS];     /* the slots recorded, and each one's page: */
    uint32_t *entries[SHADOW_SPACES_SLOTS]; /* the guest's PTE (or 4 MiB PDE) of each entry, 0 if none */
    unsigned nslots;
    bool overflow;                          /* an entry or a slot could not be recorded */
    uint16_t recorded[SHADOW_SPACES_COMPARE];   /* the entries recorded: place << 10 | index */
    unsigned n;
    int8_t index[1024];                     /* slot -> its place above, or -1 */
    uint32_t pde[1024];                     /* the guest's directory entry of each slot recorded */
};

struct shadow_spaces {
    struct guest *guest;
    unsigned max, n, current;
    struct shadow *shadow[SHADOW_SPACES_MAX];
    struct shadow_record *record[SHADOW_SPACES_MAX];
    uint64_t used_at[SHADOW_SPACES_MAX];     /* the clock at its last load: the oldest goes first */
    uint64_t clock;
    bool stale[SHADOW_SPACES_MAX];           /* to be emptied, global entries too, before it is used */
    uint64_t seen_invlpgs, seen_flushes;     /* the current shadow's counts, to notice lab 2's own */
    /* The directory slots of each shadow given the global entries other
     * shadows hold there, at its first global fill in the slot. */
    uint32_t seeded[SHADOW_SPACES_MAX][1024 / 32];

    /* The frames a global entry copied in may not map writable (bt=1's:
     * translated code, and the one it tracks writable entries of). */
    bool (*watched)(void *ctx, uint64_t gpa);
    void *watched_ctx;

    /* Statistics, printed at the end of the run. */
    uint64_t hits, misses, compared, dropped, overflows, emptied, seeds, seeded_entries;
};

/* Keep up to max shadows (1..SHADOW_SPACES_MAX) for guest g, whose shadow
 * now is the first one. Called once its shadow is set up (cpu=deprivileged
 * has mapped its own slot in it). */
void shadow_spaces_create(struct guest *g, unsigned max);

/* Copied global entries that map a frame for which watched(ctx, gpa) is
 * true are made read-only (their first write a fill its caller sees). */
void shadow_spaces_watch(struct guest *g, bool (*watched)(void *ctx, uint64_t gpa), void *ctx);

/* The guest's MOV to CR3 (lab 2's shadow_load_cr3 if no spaces are kept)
 * and, with spaces kept, its INVLPG. The CR3 load writes the VMCS's
 * GUEST_CR3 (the current VMCS is the guest's vCPU's). */
void shadow_spaces_load_cr3(struct guest *g, uint32_t cr3);
void shadow_spaces_invlpg(struct guest *g, uint32_t va);

/* After a fill of linear va in the current shadow (bt=1: bt_cache_filled):
 * a non-global entry's guest entries recorded, a global one's slot seeded. */
void shadow_spaces_filled(struct guest *g, uint32_t va);

/* shadow_write_protect in every shadow kept. */
void shadow_spaces_write_protect(struct guest *g, uint64_t hpa);

/* "hv: shadow: ..." (all shadows' counts together) and, with spaces kept,
 * "hv: shadow spaces: ...". */
void shadow_spaces_print_stats(const struct guest *g);
