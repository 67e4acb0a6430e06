/*
 * bt_block.h: translating one basic block of guest kernel code (binary
 * translation, issue 21; pure: the caller hands in the guest's bytes and
 * the translation cache's free space, the translator touches nothing else).
 * The design, and what is left to the hypervisor: hv/bt/README.md.
 *
 * A block starts at a guest EIP and ends at the first of: a control
 * transfer, an instruction the hypervisor must see (an exit), the end of
 * the guest page (a block never spans two: invalidation is per page; an
 * instruction that starts on the page but runs into the next is
 * translated whole, and guest_end says so), max_insns instructions, or the
 * room left in the translation cache.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "bt/bt_classify.h"
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

#define BT_BLOCK_MAX_INSNS 64u
/* Conditional branches a block goes on past (its not-taken side inline, the
 * taken one's slot at the block's end), and so its map's most entries:
 * the instructions, those slots, and the end's two. */
#define BT_BLOCK_MAX_BRANCHES 8u
#define BT_BLOCK_MAX_ENTRIES (BT_BLOCK_MAX_INSNS + BT_BLOCK_MAX_BRANCHES + 2)
/* Room kept for one instruction's translation (the longest: IRET's, both
 * its paths, bt_iret.c, about 305 bytes) and for a block's end (a LOOP's
 * trampoline and two slots, a CALL's push); tests/fuzz/fuzz_bt_block.c
 * checks both. */
#define BT_INSN_MAX 320u
#define BT_TAIL_MAX 112u

/* The guest's code: bytes[0] is the byte at eip; len runs to the end of
 * its page, plus up to 14 bytes of the next page when the caller can read
 * them (for an instruction that straddles the boundary). */
struct bt_code {
    const uint8_t *bytes;
    size_t len;
    uint32_t eip;
    /* Code the hypervisor does not write-protect (a hot frame's,
     * depriv_bt_cache.h), translated to run once: the guest may rewrite
     * any of it without a trap, the block's own next instructions too. So
     * the block ends after each instruction that may write memory (SDM vol.
     * 3, 11.6: a store is seen by the very next fetch), but a MOV to an
     * absolute address whose bytes the block can no longer reach: at or
     * before the instruction's own end, or past the page and the 14 bytes a
     * straddling instruction takes. ds_base_zero: the guest's DS had base 0
     * where the block begins (the caller read it), so that the address is
     * linear. */
    bool unprotected;
    bool ds_base_zero;
};

/* The map from the translation back to the guest: entry i covers the
 * translation's bytes [tc_offset, next entry's tc_offset or tc_size). An
 * instruction's entry (BT_MAP_INSN, in guest order, guest_eip increasing)
 * starts where the guest state is the original's before that instruction;
 * a slot's (BT_MAP_SLOT, after all of them) is a place between
 * instructions where the guest continues at guest_eip. */
enum bt_map_kind { BT_MAP_INSN, BT_MAP_SLOT };
struct bt_map_entry {
    uint32_t guest_eip;
    uint16_t tc_offset;
    uint8_t kind;                   /* enum bt_map_kind */
    uint8_t action;                 /* enum bt_action of an instruction */
    uint16_t commit;                /* where the translation first changes the guest's
                                       state (a segment load's check: the load; MOV and
                                       POP GS: the page's GS; IRET: the way to ring 0),
                                       or 0: each saves ECX in scratch[0] first, so an
                                       exit before it is before the instruction, with
                                       that ECX (bt_commit_saved_ecx) */
    uint16_t via;                   /* a slot: the rel32 of the block's Jcc (or LOOP's
                                       JMP) that reaches it, which chaining aims
                                       straight at the target (bt_block_chain), or 0 */
    uint32_t from;                  /* a slot that is a branch's side: that branch's
                                       guest EIP (JMP, CALL, a Jcc or LOOPcc taken, an
                                       indirect branch's site), where a target past CS's
                                       limit faults (SDM vol. 2A, JMP: #GP(0) "If the
                                       target operand is beyond the code segment
                                       limits"); 0 where the guest just goes on there */
};

/* May a translation be entered at instruction m, not at its block's start
 * (a handler's IRET back to where an interrupt or a fault left it)? Not at
 * a segment load whose check the translator left out, knowing the
 * selector the block's own instructions just put in AX (commit 0: no
 * check, bt_block.c's selector_in_ax): entered there, AX holds whatever
 * the guest made it. */
static inline bool bt_map_enterable(const struct bt_map_entry *m)
{
    return m->kind == BT_MAP_INSN && !(m->action == BT_SEGMENT_LOAD && !m->commit);
}

/* The guest's ECX in a translation stopped at or before its commit. */
static inline uint32_t bt_commit_saved_ecx(const struct bt_vcpu_page *p) { return p->scratch[0]; }

struct bt_block {
    uint32_t guest_eip;             /* its first instruction */
    uint32_t guest_end;             /* after the last byte the translation depends on */
    uint32_t tc_address;            /* where its translation runs */
    uint32_t tc_size;
    unsigned entries;
    struct bt_map_entry map[BT_BLOCK_MAX_ENTRIES];
};

enum bt_status {
    BT_OK,
    BT_NO_ROOM,                     /* the cache has not room for the smallest block:
                                       nothing emitted (the caller flushes it) */
};

/* Chain the slot of map entry m of a block whose translation is at `code`
 * (where the hypervisor writes it) and runs at `address`: its JMP (bt_chain)
 * and the branch that reaches it (m->via), both to `to`, so that a taken
 * Jcc goes straight to its target's translation. Unchain: both back, the
 * branch to the slot, the slot's JMP to its stub. */
void bt_block_chain(uint8_t *code, uint32_t address, const struct bt_map_entry *m, uint32_t to);
void bt_block_unchain(uint8_t *code, uint32_t address, const struct bt_map_entry *m);

/* Translate the block at code->eip into e (at its position), at most
 * max_insns (1..BT_BLOCK_MAX_INSNS) instructions. */
enum bt_status bt_translate_block(const struct bt_code *code, const struct bt_runtime *rt,
                                  struct bt_emit *e, unsigned max_insns, struct bt_block *b);

/* The map entry the translation's byte at tc_offset belongs to. */
const struct bt_map_entry *bt_block_find(const struct bt_block *b, uint32_t tc_offset);
/* The same for a map kept elsewhere (the hypervisor's cache keeps only
 * the entries of each block). */
const struct bt_map_entry *bt_map_find(const struct bt_map_entry *map, unsigned entries, uint32_t tc_size,
                                       uint32_t tc_offset);
