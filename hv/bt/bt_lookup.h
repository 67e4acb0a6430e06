/*
 * bt_lookup.h: indirect branches (RET, JMP r/m, CALL r/m) through a table of
 * guest EIP -> translation beside the vCPU page (binary translation, issue 21;
 * pure).
 *
 * A translated indirect branch goes straight to the target its site
 * learnt, if it is that one (below, bt_site_begin); else it puts its guest
 * target in the vCPU page's `target` and jumps to one shared routine,
 * emitted once into the
 * translation cache: it hashes the target into a table of 4096 entries
 * (after the vCPU page: bt_vcpu.h), and on a hit jumps to the
 * translation, on a miss exits (BT_EXIT_LOOKUP) for the hypervisor to
 * translate the target and fill the entry (Adams & Agesen, ASPLOS 2006,
 * section 3.1: indirect control flow goes through a lookup, "a hash table
 * keyed by guest address"). The routine keeps every register and the
 * arithmetic flags (LAHF/SETO before, ADD/SAHF after: SDM vol. 2A, LAHF;
 * vol. 2B, SAHF, SETcc).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"
#include "x86/x86_decode.h"

/* The entry a guest EIP hashes to: the bits of a return address and of a
 * 16-byte-aligned function entry both count. */
static inline unsigned bt_lookup_index(uint32_t eip) { return (eip ^ eip >> 9) & (BT_LOOKUP_ENTRIES - 1); }

/* Where the guest's EAX, ECX and arithmetic flags are while the routine
 * runs: in their registers, or, between the routine's save of one and its
 * restore, in the page's scratch slot. An exit inside the routine (an
 * interrupt) is then a boundary between two guest instructions: the
 * indirect branch is done (its target in the page's `target`), and the
 * guest's registers are where the layout says; no need to step the
 * routine to its end one instruction at a time. */
enum bt_lookup_reg { BT_LOOKUP_EAX, BT_LOOKUP_ECX, BT_LOOKUP_FLAGS, BT_LOOKUP_REGS };
struct bt_lookup_layout {
    uint32_t start, end;                        /* the routine's TC addresses */
    struct { uint32_t from, to; } in_slot[BT_LOOKUP_REGS][2];   /* the hit's and the miss's */
};

/* Emit the routine at e's position; rt->exit is where a miss goes. Returns
 * its linear address (rt->lookup for the translations); its layout into
 * `layout`. */
uint32_t bt_lookup_emit(struct bt_emit *e, const struct bt_runtime *rt, struct bt_lookup_layout *layout);

/* Is the guest's register r in its slot when the routine is about to run
 * the instruction at `at` (an address inside it)? */
bool bt_lookup_in_slot(const struct bt_lookup_layout *l, enum bt_lookup_reg r, uint32_t at);

/* The slot's value: EAX, ECX, or for the flags the saved word (AH as LAHF
 * stored SF ZF AF PF CF, AL as SETO stored OF), made into `eflags` with
 * those six flags replaced. */
uint32_t bt_lookup_slot(const struct bt_vcpu_page *p, enum bt_lookup_reg r, uint32_t eflags);

/* The table's entries (bt_lookup_table, after the GS table), for whoever
 * fills the page (the hypervisor at a BT_EXIT_LOOKUP; at an invalidation,
 * it empties them: each one it set, or all): set returns the entry's index. */
unsigned bt_lookup_set(struct bt_vcpu_page *page, uint32_t guest_eip, uint32_t tc_address);
void bt_lookup_clear_entry(struct bt_vcpu_page *page, unsigned index);
void bt_lookup_clear(struct bt_vcpu_page *page);

/* Every indirect branch (RET, RET imm16, CALL r/m32, JMP r/m32) remembers
 * one target: an inline cache at the branch's site, as VMware's translator
 * kept (Adams & Agesen, ASPLOS 2006, 3.1: most indirect branches go where
 * they went last time). A site:
 *
 *     mov   %ecx, %gs:scratch[4]
 *     mov   <target>, %ecx         the original's read: (%esp) for RET, its r/m
 * L:  lea   -X(%ecx), %ecx         0 iff it is X, the target learnt
 *     jecxz hit
 *     mov   %gs:scratch[4], %ecx
 *     <the target into the page>   RET: pop %gs:target [lea imm16(%esp), %esp];
 *                                  CALL, JMP: through a borrowed EAX, CALL's push
 *     movl  $L, %gs:lookup_site    whose branch a miss past CS's limit faults at
 *     jmp   learn                  then, once learnt: jmp lookup
 * hit:
 *     mov   %gs:scratch[4], %ecx
 *     <the branch's own effect>    RET: lea 4+imm16(%esp), %esp; CALL: push $next
 *     <slot to X>                  chained to X's translation
 * learn:
 *     <exit BT_EXIT_LOOKUP, arg = L's address; the target in the page>
 *
 * No flag and no register changes (MOV, LEA, JECXZ, POP, PUSH). The hit is
 * six or seven instructions, the lookup routine's way twenty. The first
 * miss exits: the hypervisor translates the target, fills the table, then
 * the site learns it (bt_site_learn: X, the slot's target, the miss JMP
 * aimed at the routine), so a site learns once, the first target it sees.
 * Before that X is BT_SITE_UNLEARNED: a branch to it would take the hit
 * path to a slot naming it, which is still right (the slot's target is
 * where the guest goes). The slot is the block's (bt_block.c: BT_MAP_SLOT),
 * so that unchaining, chaining and the map treat it like any. The target's
 * read is the original's first access, so a fault there comes with the
 * original state; CALL's push comes after it, as the CPU's. */
#define BT_SITE_UNLEARNED 0u
/* Emit the site up to its slot; returns the miss JMP's rel32 position, L's
 * address in *learn. next_eip: the guest EIP after the branch (CALL's). */
size_t bt_site_begin(struct bt_emit *e, const struct x86_insn *in, uint32_t next_eip, uint32_t *learn);
/* After the slot: the learn exit, the miss JMP aimed at it. */
void bt_site_end(struct bt_emit *e, const struct bt_runtime *rt, size_t miss, uint32_t learn);
/* A RET's site: where its L is (its target's read is 3 bytes). */
#define BT_RET_SITE_LEARN 10u

/* Where a site's parts are, by linear address: the miss JMP's rel32, the
 * slot. False if the `len` bytes at `code`, running at `address`, are not a
 * site's from its L on (the check before patching what an exit named). */
struct bt_site_layout {
    uint32_t miss_rel32, slot;
};
bool bt_site_parse(const uint8_t *code, uint32_t address, size_t len, struct bt_site_layout *s);
/* Learn `target`: X, the slot's exit record, and the miss JMP aimed at
 * `lookup` (the caller chains the slot and moves its map entry). code and
 * address: L's. */
void bt_site_learn(uint8_t *code, uint32_t address, const struct bt_site_layout *s, uint32_t target,
                   uint32_t lookup);
