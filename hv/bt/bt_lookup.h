/*
 * bt_lookup.h: indirect branches (RET, JMP r/m, CALL r/m) through a table of
 * guest EIP -> translation beside the vCPU page (binary translation, issue 21;
 * pure).
 *
 * A translated indirect branch puts its guest target in the vCPU page's
 * `target` and jumps to one shared routine, emitted once into the
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
#include <stdint.h>
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

/* The entry a guest EIP hashes to: the bits of a return address and of a
 * 16-byte-aligned function entry both count. */
static inline unsigned bt_lookup_index(uint32_t eip) { return (eip ^ eip >> 9) & (BT_LOOKUP_ENTRIES - 1); }

/* Emit the routine at e's position; rt->exit is where a miss goes. Returns
 * its linear address (rt->lookup for the translations). */
uint32_t bt_lookup_emit(struct bt_emit *e, const struct bt_runtime *rt);

/* The table's entries (bt_lookup_table, after the GS table), for whoever
 * fills the page (the hypervisor at a BT_EXIT_LOOKUP; at an invalidation,
 * it empties them: each one it set, or all): set returns the entry's index. */
unsigned bt_lookup_set(struct bt_vcpu_page *page, uint32_t guest_eip, uint32_t tc_address);
void bt_lookup_clear_entry(struct bt_vcpu_page *page, unsigned index);
void bt_lookup_clear(struct bt_vcpu_page *page);

/* The translation of an indirect branch (classified BT_INDIRECT: RET,
 * RET imm16, JMP r/m32, CALL r/m32; its bytes at `bytes`, next_eip the
 * guest EIP after it): its target into the page, then the lookup. The
 * target's read is the original's first access (RET: POP into the page;
 * JMP, CALL: a MOV into a borrowed EAX, put back before CALL pushes the
 * GUEST return address), so a fault there comes with the original state. */
void bt_lookup_branch_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in,
                           uint32_t next_eip);
