/*
 * bt_chain.h: exit slots, and chaining a block's exit straight to the
 * translation of its target (binary translation, issue 21; pure).
 *
 * Every direct control transfer of a block (the taken and the fall-through
 * side of a Jcc, JMP rel, CALL rel, LOOP, the end of a page or of the size
 * cap) leaves through a slot naming its guest target:
 *
 *     slot:  jmp rel32        ; unchained: rel32 0, to the stub right after it
 *            <exit stub>      ; BT_EXIT_BRANCH, target, arg = slot's address
 *
 * The first time, the stub exits; the hypervisor translates the target and
 * chains the slot: the JMP's rel32 then reaches the target's translation,
 * and the guest goes from block to block without an exit (Adams & Agesen,
 * ASPLOS 2006, section 3.1, "chaining"). Unchaining (the target's page was
 * written, its translation dropped) aims the JMP back at the stub. The
 * slot's address is the JMP's, so an exit's arg names what to patch; the
 * hypervisor must check it is one of its slots (hv/bt/README.md). Only the
 * 4 bytes of rel32 change, while the guest is out of the translation (a
 * single vCPU in an exit): no cross-modifying code (SDM vol. 3, 9.1.3).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bt/bt_exit.h"

#define BT_SLOT_SIZE (5u + BT_EXIT_STUB_SIZE)

/* Emit a slot to guest target `eip`; returns its linear address. */
uint32_t bt_emit_slot(struct bt_emit *e, const struct bt_runtime *rt, uint32_t eip);

/* The slot's bytes at `code` (where the hypervisor writes them), which run
 * at `address`: aim its jump at the linear address `to` (chain), back at its
 * stub (unchain); where it goes now (its stub's address when unchained). */
void bt_chain(uint8_t *code, uint32_t address, uint32_t to);
void bt_unchain(uint8_t *code, uint32_t address);
uint32_t bt_chained_to(const uint8_t *code, uint32_t address);
/* Is this a slot: a JMP rel32, then the stub of a BT_EXIT_BRANCH that names
 * `address`? (The check before patching what an exit named.) */
bool bt_is_slot(const uint8_t *code, uint32_t address);
