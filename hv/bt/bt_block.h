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
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

#define BT_BLOCK_MAX_INSNS 64u
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
};

/* The guest's ECX in a translation stopped at or before its commit. */
static inline uint32_t bt_commit_saved_ecx(const struct bt_vcpu_page *p) { return p->scratch[0]; }

struct bt_block {
    uint32_t guest_eip;             /* its first instruction */
    uint32_t guest_end;             /* after the last byte the translation depends on */
    uint32_t tc_address;            /* where its translation runs */
    uint32_t tc_size;
    unsigned entries;
    struct bt_map_entry map[BT_BLOCK_MAX_INSNS + 2];
};

enum bt_status {
    BT_OK,
    BT_NO_ROOM,                     /* the cache has not room for the smallest block:
                                       nothing emitted (the caller flushes it) */
};

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
