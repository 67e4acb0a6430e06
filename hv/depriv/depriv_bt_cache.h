/*
 * depriv_bt_cache.h: the translation cache of a deprivileged guest, bt=1
 * (64-bit, VMX root; issue 21): its blocks, found by guest EIP and by TC
 * address, made by hv/bt's translator from the guest's code, chained, and
 * dropped when the guest writes the code they came from. The state of one
 * vCPU's translator (struct depriv_bt) is here too; depriv_bt.c enters and
 * leaves the translations.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bt/bt_block.h"
#include "bt/bt_lookup.h"
#include "bt/bt_vcpu.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_area.h"
#include "depriv/depriv_bt_gate.h"
#include "guest/vcpu.h"
#include "x86/segment_access.h"
#include "x86/x86_decode.h"

#define BT_MAX_BLOCKS  8192u
#define BT_MAX_MAP     (BT_MAX_BLOCKS * 8u)
#define BT_HASH        4096u             /* guest EIP -> block, chained */
#define BT_MAX_PAGES   512u
#define BT_HOT         4u
#define BT_DECODED     64u               /* decodings kept for EMULATE exits */
#define BT_SCRATCH     2048u             /* the TC's last bytes: the scratch block */
#define BT_RESUMES     8u                /* places inside blocks an exit left, kept to enter again */

/* One translated block: where it came from and where it runs. */
struct bt_cached {
    uint32_t guest_eip, guest_end;
    uint32_t tc_address, tc_size;
    uint32_t frame[2];              /* the guest-physical pages its bytes came from
                                       (the second: an instruction straddling into it) */
    uint32_t map_first;             /* its map entries in map[] */
    uint16_t entries;
    bool live;                      /* false once its code was written */
    int32_t hash_next;              /* the next block in its hash chain, or -1 */
};

/* The saved hidden parts of a segment register (its VMCS fields). */
struct bt_segment {
    uint64_t selector, base, limit, access;
};

/* Is this CS flat and 32-bit: code the translator reads at linear = EIP?
 * (Other code runs in place, an instruction at a time.) */
static inline bool bt_cs_flat(const struct bt_segment *cs)
{
    return cs->base == 0 && (cs->access & SEG_AR_DB);
}

/* Is eip past a flat CS's limit, where the CPU's fetch raises #GP(0)
 * (SDM vol. 3, 6.5)? */
static inline bool bt_past_cs_limit(const struct bt_segment *cs, uint32_t eip)
{
    return bt_cs_flat(cs) && eip > cs->limit;
}

struct depriv_bt {
    uint8_t *tc;                    /* the hypervisor's pointer to the TC */
    struct bt_vcpu_page *page;      /* and to the vCPU page */
    struct bt_runtime rt;           /* the exit routine, the lookup routine */
    struct bt_lookup_layout lookup_layout;   /* where the routine keeps the guest's registers */
    uint32_t tc_used;               /* bytes of the TC in use (blocks from rt's end) */
    uint32_t blocks_start;

    struct bt_cached *blocks;       /* in TC order: tc_address increasing */
    unsigned nblocks;
    unsigned block_found;           /* the index bt_cache_block_at found last */
    /* Where exits left translations inside a block (an interrupt, a
     * fault): entered there again when the guest comes back to that EIP
     * (bt_cache_left_at), not translated anew from it. */
    struct bt_resume {
        uint32_t guest_eip, tc;
        unsigned block;
        uint64_t flushes;
        bool looked_up;             /* a lookup's miss took it once */
    } resume[BT_RESUMES];
    unsigned next_resume;
    const struct bt_map_entry *entry_found;   /* and the entry bt_cache_entry_at found last: */
    uint32_t entry_found_at;        /* at this TC address, */
    uint64_t entry_found_flushes;   /* before this many flushes */
    struct bt_map_entry *map;
    unsigned nmap;
    int32_t hash[BT_HASH];
    struct bt_block scratch;        /* the block being translated */
    uint8_t code[BT_BLOCK_MAX_INSNS * 15 + 15];   /* the guest's bytes it is translated from */
    uint8_t *translated;            /* a bit per guest RAM frame: code translated from it */
    uint64_t frames;
    /* The frame whose translations a write dropped last, and the shadow
     * entries made writable for it since: re-protected alone when code is
     * translated from it again (a page that code rewrites over and over),
     * not by a scan of every shadow table. */
    uint64_t recent_frame;
    /* A frame whose code is dropped by writes again and again (BT_HOT
     * times in a row) is hot: its code is translated into the scratch
     * block each time it runs, never kept, chained or protected (the
     * guest's writes to it then cost nothing; its blocks an exit each, a
     * block ending after each instruction that may write what follows it:
     * bt_code.unprotected), as VMware's monitor stopped caching code that
     * rewrites itself. */
    uint8_t *hot;
    uint64_t last_written;
    unsigned written_in_a_row;
    struct bt_cached single;        /* the scratch block: tc_size 0 when none */
    struct bt_map_entry single_map[BT_BLOCK_MAX_ENTRIES];
    uint32_t *recent_entries[8];
    unsigned nrecent;
    bool recent_overflow;
    /* The linear pages translated code came from, and their frames then:
     * checked against the guest's tables after a CR3 load (the pages not
     * global: SDM vol. 3, 4.10.4.1), an INVLPG or a change of paging, as
     * the CPU's TLB is; a page mapped elsewhere now drops its blocks. */
    struct bt_page { uint32_t linear, frame; bool global; } pages[BT_MAX_PAGES];
    unsigned npages;
    unsigned nonglobal_pages;       /* of them, mapped by non-global entries */
    uint64_t seen_cr3_loads, seen_invlpgs, seen_flushes;
    const struct shadow *seen_shadow;   /* whose counts those are (bt=1 keeps several, shadow_spaces.h) */

    /* Entering and leaving (depriv_bt.c). */
    bool in_tc;                     /* the guest runs in (or stopped in) a translation */
    bool between;                   /* it stopped between two guest instructions */
    bool stays_in_tc;               /* this exit's instruction (IN, OUT, MOV to CR3, INVLPG) was
                                       a copy's, done where it is, in the translation, or its
                                       external interrupt came at a boundary (left pending) */
    bool cr0_cr4_known;             /* the page's CR0 and CR4 are the guest's (fill_page) */
    bool step_in_place;             /* the next entry runs one instruction in place */
    bool stepping;                  /* that step is under way: TF is the hypervisor's */
    bool in_place_exits;            /* that instruction exits by itself (string I/O) */
    bool tf_step;                   /* entered with the guest's own TF: one instruction */
    uint32_t owed_trap_at;          /* entered with a single-step trap pending, there */
    unsigned no_progress;           /* emulations in a row that left RIP where it was */
    uint64_t delivered_seen;        /* v->depriv.delivered at the last one */
    bool left_tc;                   /* this exit left a translation at a guest instruction */
    uint8_t left_action;            /* and that instruction's enum bt_action */
    uint32_t step_eip;              /* the instruction step_in_place is for */
    uint32_t hold_eip;              /* the instruction that runs before an interrupt
                                       (after STI, IRET, a delivery) */
    uint32_t rewind_at;             /* this exit's RIP inside a translation, for rewind_translation */
    struct bt_segment cs, gs;       /* the guest's own, while a translation runs */
    struct bt_segment gate_cs, gate_gs;   /* those a gate's entry worked out last */
    uint64_t gate_cs_descriptor, gate_gs_descriptor;   /* from these descriptors (depriv_bt_entered_by_gate) */
    uint8_t *gs_ok;                 /* the table after the page (bt_gs.h) */
    uint16_t gs_allowed[16];        /* the selectors set in it, to empty it */
    unsigned gs_allowed_count;
    uint64_t gs_gdt_copies;         /* v->depriv.gdt_copies when they were let through */
    struct bt_segment iret_cs;      /* the CS the page's iret_cs_neg was found for, */
    uint64_t iret_cs_gdt_copies;    /* with this GDT copy (depriv_bt.c, kernel_iret_cs) */
    uint64_t seen_breakpoint_writes;   /* v->depriv.breakpoint_writes at the last entry */

    struct depriv_bt_gates gates;   /* INT n from user mode through the real IDT */

    /* The decodings of instructions emulated at EMULATE exits (depriv_bt_emulate.c). */
    struct bt_decoded {
        uint32_t eip;
        uint64_t generation;        /* bt_cache_generation's + 1 when decoded (0: none) */
        uint64_t gpa[2];            /* its first and last bytes' frames then */
        struct x86_insn in;
    } decoded[BT_DECODED];

    /* Statistics. */
    uint64_t decoded_again, port_io_stays, privileged_stays, interrupt_stays;
    uint64_t translated_blocks, translated_insns, entries_into_tc, exits_by_kind[BT_EXIT_KINDS];
    uint64_t chained, lookups_filled, invalidations, flushes, steps_in_place, between_exits, remapped, iret_returns,
             lookups_finished;
    uint64_t hv_selectors_refused;  /* in-place loads of the hypervisor's selectors refused */
    uint64_t single_use;
    uint64_t sites_learned;         /* branch sites that learnt their target */
    uint64_t commits_rewound;       /* interrupts before a translation's commit (rewind_translation) */
    uint64_t loads_finished;        /* and after a segment load's */
    uint64_t asked, found;          /* translations asked for at exits, found in the cache */
    uint64_t resumed;               /* of the others, places inside a block entered again */
    uint64_t branches_past_limit;   /* #GP(0) delivered at a branch (depriv_bt_limit.c) */
    uint16_t lookups_set[BT_LOOKUP_ENTRIES / 8];   /* the lookup entries set since emptied */
    unsigned nlookups_set;          /* how many (more than fit: all to empty) */
};

/* Changes whenever translations are dropped (a write to translated code,
 * a page mapped elsewhere, a flush): what was decoded from the guest's
 * code before may be stale. */
static inline uint64_t bt_cache_generation(const struct depriv_bt *bt) { return bt->invalidations + bt->flushes; }
/* Is the frame at gpa hot: code written again and again, never protected? */
bool bt_cache_frame_hot(const struct depriv_bt *bt, uint64_t gpa);

/* The lookup entry at index was set (bt_lookup_set): emptied with the rest
 * at the next invalidation, one by one while few were set. */
void bt_cache_lookup_filled(struct depriv_bt *bt, unsigned index);

/* What a translation is asked for (bt_cache_translation). */
enum bt_want {
    BT_WANT_BLOCK,      /* a block of its own, to chain a branch's slot to */
    BT_WANT_ENTRY,      /* an entry after an exit: a place inside a block will do */
    BT_WANT_LOOKUP,     /* a lookup's miss: a place inside a block once, then a block */
    BT_WANT_ONE,        /* one instruction's, into the scratch block (the guest's TF) */
};

/* The TC address of the translation of guest eip, made now if there is
 * none (the guest's tables must map its code: false if not, or if eip is
 * outside every guest segment). BT_WANT_ONE: a single instruction's, into
 * the scratch block (the guest single-steps itself: depriv_bt.c); a hot
 * frame's code goes there too, a block run once. BT_WANT_ENTRY and BT_WANT_LOOKUP: where no block
 * starts at eip, the place an exit left inside one (bt_cache_left_at) will
 * do. *kept: false for the scratch block and such a place, which must be
 * neither chained to nor looked up. */
bool bt_cache_translation(struct vcpu *v, uint32_t eip, enum bt_want want, uint32_t *tc, bool *kept);
/* The guest EIP of the branch whose translation exited (kind, arg: the
 * exit record), or 0: a slot's branch (none where the guest just goes on
 * there: the map entry's `from`), or the indirect branch whose site went
 * to the lookup routine (its first miss names the site in arg; later
 * misses, the page's lookup_site: 0 on an IRET's or a gate's way). The
 * page's words only point into the cache's own map, which says. */
uint32_t bt_cache_branch_at(struct depriv_bt *bt, uint32_t kind, uint32_t arg);
/* An exit left the translation at instruction e of block b (a boundary):
 * when the guest comes back to e's EIP (the IRET of the handler of an
 * interrupt or a fault delivered there), bt_cache_translation gives e's
 * place in b, while b lives, instead of a new block from there (a timer
 * tick lands anywhere in the kernel's code: a new block each time cost
 * about 6,000 cycles). A lookup's miss takes the place once: a branch
 * that comes back to it again (not an IRET) gets a block of its own,
 * looked up without an exit. */
void bt_cache_left_at(struct depriv_bt *bt, const struct bt_cached *b, const struct bt_map_entry *e);
/* The block whose translation holds TC address `at`, or NULL. */
const struct bt_cached *bt_cache_block_at(struct depriv_bt *bt, uint32_t at);
/* The block's map entries, and the one of `at` in that block. */
const struct bt_map_entry *bt_cache_map(const struct depriv_bt *bt, const struct bt_cached *b);
const struct bt_map_entry *bt_cache_entry_at(struct depriv_bt *bt, const struct bt_cached *b, uint32_t at);
/* Both for TC address `at` (NULL outside every block), and whether `at` is
 * where the entry begins: a boundary, the guest canonical there (before
 * an instruction's translation, or at a slot). */
struct bt_place {
    const struct bt_cached *block;
    const struct bt_map_entry *entry;
    bool boundary;
};
static inline struct bt_place bt_cache_place(struct depriv_bt *bt, uint32_t at)
{
    struct bt_place p = { bt_cache_block_at(bt, at), NULL, false };
    p.entry = p.block ? bt_cache_entry_at(bt, p.block, at) : NULL;
    p.boundary = p.entry && at == p.block->tc_address + p.entry->tc_offset;
    return p;
}
/* A BRANCH exit named slot `slot` and target `eip`: chain it to the
 * target's translation if slot is one of the cache's live slots. */
void bt_cache_chain(struct vcpu *v, uint32_t slot, uint32_t eip);
/* A branch site's first miss (bt_lookup.h) named its L, `learn`, its
 * target eip translated at tc: the site learns it if it is one of the
 * cache's live sites (its slot's map entry moved to eip, chained to tc). */
void bt_cache_learn(struct vcpu *v, uint32_t learn, uint32_t eip, uint32_t tc);
/* Has code been translated from this guest-physical frame? */
bool bt_cache_frame_translated(const struct depriv_bt *bt, uint64_t gpa);
/* May the shadow map frame gpa writable without this cache knowing (a
 * global entry copied between address spaces' shadows, shadow_spaces.h)?
 * Not if code is translated from it, nor if it is the frame whose writable
 * entries the cache remembers (recent_frame). ctx: the vCPU. */
bool bt_cache_frame_watched(void *ctx, uint64_t gpa);
/* The guest wrote frame gpa: its translations dropped, the slots chained
 * into them unchained, the lookup table emptied. */
void bt_cache_invalidate_frame(struct vcpu *v, uint64_t gpa);
/* The same, for a write that is not the guest's rewriting its code (a
 * debugger's breakpoint): the frame's hotness (BT_HOT) is left as it is. */
void bt_cache_drop_frame(struct vcpu *v, uint64_t gpa);
/* The shadow just made the entry of linear va (for a write, or not): if
 * it maps translated code writable, a read's entry is made read-only, and
 * a write drops the code's translations (bt_cache_invalidate_frame): true
 * then. */
bool bt_cache_filled(struct vcpu *v, uint32_t va, bool write);
/* Before entering a translation: if the guest loaded CR3, ran INVLPG or
 * changed its paging since the last check, every translated page it may
 * have remapped is walked again (bt_page above). */
void bt_cache_check_mappings(struct vcpu *v);
/* After the guest's INVLPG of linear (and no other TLB event since the
 * last check): only that page is walked again. */
void bt_cache_check_page(struct vcpu *v, uint32_t linear);
/* Empty the cache (it is full). */
void bt_cache_flush(struct vcpu *v);
