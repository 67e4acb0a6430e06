/*
 * shadow.h: shadow page tables, the guest's linear to host-physical map
 * (64-bit, VMX root operation; lab 2, mem=shadow).
 *
 * With EPT off the CPU walks one set of page tables only, so the hypervisor
 * gives it tables of its own: the shadow. Each shadow entry is the guest's
 * linear -> guest-physical translation (the guest's own tables, walked by
 * guest_paging.c) composed with the guest-physical -> host-physical map
 * (guest RAM is one block: hpa = ram_hpa + gpa). The guest never sees the
 * shadow: CR3 loads and stores exit, and the real CR3 always holds the
 * shadow's directory.
 *
 * The shadow is filled lazily and kept like a TLB (a "virtual TLB"): an
 * entry is made on the page fault that finds it missing, and dropped when the
 * guest does what would drop a TLB entry on real hardware (SDM vol. 3, 4.10.4
 * "Invalidation of TLBs and Paging-Structure Caches"): INVLPG drops one page;
 * MOV to CR3 drops every entry but the global ones; a change of CR0.PG,
 * CR0.WP, CR4.PSE or CR4.PGE drops everything. handouts/lab2.md discusses
 * the choice, its cost, and the alternative (write-protecting guest tables).
 *
 * The shadow itself uses 32-bit paging too (the real CR4.PAE is 0), so its
 * tables and guest RAM must lie below 4 GiB: the hypervisor's pages do.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct guest;

#define SHADOW_SLOTS 1024           /* page-directory entries */

struct shadow {
    const struct guest *guest;
    uint64_t root;                  /* the shadow page directory: the real CR3 */
    uint32_t guest_cr3;             /* what the guest loaded, what it reads back */
    bool paging;                    /* guest CR0.PG: its tables, or the identity */
    uint32_t ctl;                   /* guest CR0.WP, CR4.PSE, CR4.PGE as GPT_* */

    /* The directory slots that hold a shadow page table, and what kind of
     * entries each table holds (SLOT_GLOBAL, SLOT_LOCAL), so that a CR3 load
     * visits only those. */
    uint16_t used[SHADOW_SLOTS];
    unsigned nused;
    uint8_t kind[SHADOW_SLOTS];
    /* The entries a slot's table may hold, [lo, hi): dropping a table clears
     * those only (a CR3 load drops a few, and a whole page is 512 stores). */
    uint16_t lo[SHADOW_SLOTS], hi[SHADOW_SLOTS];
    uint64_t free_tables;           /* a list of zeroed tables, linked by their first word */
    unsigned hypervisor_slot;       /* cpu=deprivileged: the hypervisor's own slot, or 0 */

    /* Statistics, printed at the end of the run. */
    uint64_t fills, guest_faults, cr3_loads, invlpgs, full_flushes, tables;
};

/* What the #PF exit handler is to do about a fault (shadow_fault). */
enum shadow_outcome {
    SHADOW_FILLED,          /* the shadow lacked the entry: made; resume the guest */
    SHADOW_GUEST_FAULT,     /* the guest's own tables fault: reflect #PF, error_code */
    SHADOW_OUTSIDE_RAM,     /* the guest maps memory it does not have: stop it */
};

struct shadow_fault_info {
    enum shadow_outcome outcome;
    uint32_t error_code;    /* SHADOW_GUEST_FAULT */
    uint64_t gpa;           /* SHADOW_OUTSIDE_RAM: the guest-physical address */
    const char *what;       /* SHADOW_OUTSIDE_RAM: "page", "page table", "page directory" */
};

/* An empty shadow for guest g, which starts with paging off. */
void shadow_init(struct shadow *s, const struct guest *g);

/* cpu=deprivileged (lab 3): the last directory slot, the top 4 MiB of the
 * guest's linear space, maps the hypervisor's page table `table` (its
 * shadow GDT and TSS) in every address space, and the guest's own entries
 * there are never shadowed: a guest access to it is SHADOW_OUTSIDE_RAM. */
void shadow_map_hypervisor(struct shadow *s, uint64_t table);

/* bt=1 (binary translation, hv/depriv/depriv_bt.c): the shadow entry of
 * linear va (NULL if its slot has no table, or is the hypervisor's), and
 * every writable entry that maps host frame hpa made read-only, so that
 * the guest's next write to that frame faults (the translated code on it
 * is kept coherent: the hypervisor drops the translations). */
uint32_t *shadow_entry(const struct shadow *s, uint32_t va);
void shadow_write_protect(struct shadow *s, uint64_t hpa);

/* bt=1 (shadow_spaces.c): the global entries of directory slot `slot` in
 * `from` that `to` lacks, copied into `to`'s table there (which must exist),
 * each first passed to keep(), which may change it or refuse it; how many.
 * A TLB keeps global translations across CR3 loads, so each address space's
 * shadow may hold them all. */
unsigned shadow_copy_globals(struct shadow *to, const struct shadow *from, unsigned slot,
                             bool (*keep)(void *ctx, uint32_t va, uint32_t *entry), void *ctx);

/* Resolve a page fault at linear address va with the hardware's error code. */
void shadow_fault(struct shadow *s, uint32_t va, uint32_t error_code, struct shadow_fault_info *out);

/* The guest's MOV to CR3, its INVLPG, and changes of its paging controls
 * (CR0.PG as `paging`, and GPT_WP | GPT_PSE | GPT_PGE). */
void shadow_load_cr3(struct shadow *s, uint32_t cr3);
void shadow_invlpg(struct shadow *s, uint32_t va);
void shadow_set_mode(struct shadow *s, bool paging, uint32_t ctl);

/* The "hv: shadow: ..." statistics line: the counts of n shadows together
 * (bt=1 keeps several, shadow_spaces.h). */
void shadow_print_stats(const struct shadow *const *shadows, unsigned n);
