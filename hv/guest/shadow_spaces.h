/*
 * shadow_spaces.h: the shadows of several guest address spaces, kept
 * across CR3 loads (64-bit, VMX root operation; bt=1, issue 21).
 *
 * Lab 2's shadow is a virtual TLB: a CR3 load empties it of all but its
 * global entries, so each context switch costs the refill of the process's
 * working set, one #PF exit a page. Under bt=1 the hypervisor keeps up to
 * `shadows=N` shadows instead, one per guest CR3, each a lab 2 shadow with
 * its own directory, and a CR3 load of an address space it keeps only
 * switches the real CR3: lab 2's handout calls it the middle way (section 3,
 * "The alternative"). It is right only while each shadow kept says what the
 * guest's tables say, so the frames its non-global entries were made from
 * (the directory and table each fill walked) are watched:
 *  - such a frame is *sourced*: no shadow maps it writable, so the guest's
 *    first write to it faults, as a write to translated code does;
 *  - that write marks the frame *written* and goes on, its entry writable
 *    again: the next writes to it cost nothing;
 *  - at the next CR3 load, each shadow made from a written frame loses its
 *    non-global entries, as a TLB does at that load (SDM vol. 3, 4.10.4.1):
 *    until then the entries may be stale, as a TLB's may.
 * The hypervisor's own stores into guest memory (a software delivery's
 * frame, INS) mark their frames written too (depriv's hook `written`).
 * Global entries are not watched: the architecture keeps them across CR3
 * loads anyway, and drops them only at INVLPG (here done in every shadow
 * kept) and at a change of CR0.PG or CR4.PGE (noticed at the next CR3 load:
 * every other shadow is emptied before it is used again).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct guest;
struct shadow;

#define SHADOW_SPACES_MAX 8         /* shadows=1..8 */
#define SHADOW_SPACES_DEFAULT 4     /* bt=1's, without shadows= */
#define SHADOW_SPACES_SOURCES 64    /* frames remembered per shadow (more: found by a scan) */
#define SHADOW_SPACES_PENDING 64    /* written frames remembered until the next CR3 load */

struct shadow_spaces {
    struct guest *guest;
    unsigned max, n, current;
    struct shadow *shadow[SHADOW_SPACES_MAX];
    uint64_t used_at[SHADOW_SPACES_MAX];     /* the clock at its last load: the oldest goes first */
    uint64_t clock;
    bool stale[SHADOW_SPACES_MAX];           /* to be emptied, global entries too, before it is used */
    uint64_t seen_invlpgs, seen_flushes;     /* the current shadow's counts, to notice lab 2's own */

    /* Per guest frame: bit i of sourced[] is shadow i's non-global entries
     * made through it; written[] is 1 from its first write to the next CR3
     * load; writable[][] are (linear address | 1) of up to two entries that
     * may map it writable, or SPACES_MANY if there may be more. */
    uint64_t frames;
    uint8_t *sourced, *written;
    uint32_t (*writable)[2];
    uint32_t pending[SHADOW_SPACES_PENDING];
    unsigned npending;
    bool pending_overflow;
    uint32_t sources[SHADOW_SPACES_MAX][SHADOW_SPACES_SOURCES];
    unsigned nsources[SHADOW_SPACES_MAX];
    bool sources_overflow[SHADOW_SPACES_MAX];

    /* Statistics, printed at the end of the run. */
    uint64_t hits, misses, writes, dropped, protects, scans, emptied;
};

/* Keep up to max shadows (1..SHADOW_SPACES_MAX) for guest g, whose shadow
 * now is the first one. Called once its shadow is set up (cpu=deprivileged
 * has mapped its own slot in it). */
void shadow_spaces_create(struct guest *g, unsigned max);

/* The guest's MOV to CR3 and INVLPG with spaces kept (else lab 2's
 * shadow_load_cr3 and shadow_invlpg). The CR3 load writes the VMCS's
 * GUEST_CR3 (the current VMCS is the guest's vCPU's). */
void shadow_spaces_load_cr3(struct guest *g, uint32_t cr3);
void shadow_spaces_invlpg(struct guest *g, uint32_t va);

/* After a fill of linear va in the current shadow (bt=1: bt_cache_filled),
 * for a write if `write`: its frames sourced, its entry read-only if it maps
 * a sourced frame, unless the guest writes it now. */
void shadow_spaces_filled(struct guest *g, uint32_t va, bool write);

/* The hypervisor wrote guest-physical gpa for the guest. */
void shadow_spaces_written(struct guest *g, uint64_t gpa);

/* shadow_write_protect in every shadow kept. */
void shadow_spaces_write_protect(struct guest *g, uint64_t hpa);

/* "hv: shadow: ..." (all shadows' counts together) and, with spaces kept,
 * "hv: shadow spaces: ...". */
void shadow_spaces_print_stats(const struct guest *g);
