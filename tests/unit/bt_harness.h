/*
 * bt_harness.h: running 32-bit guest code, and its translation, on the host
 * (the unit tests of hv/bt/). A machine is the region of
 * bt_harness_layout.h and the eight registers and EFLAGS; a run hands it to
 * tests/unit/bt_runner (a 32-bit process), which runs it from an entry to
 * the gate and hands it back. The runner runs natively where the kernel
 * runs i386 programs, else under qemu-i386 (qemu-user, make deps): a
 * kernel without 32-bit code segments (this kit's CI machines are such
 * guests) refuses the program itself.
 *
 * The translated side is a small hypervisor: bt_tc_run translates the block
 * at a guest EIP into the region's TC, runs it, and at each exit does what
 * the integration will do (translate the target and chain the slot, or fill
 * the lookup table) until the guest reaches the gate or an exit it does not
 * handle.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bt_harness_layout.h"
#include "bt/bt_block.h"
#include "bt/bt_lookup.h"
#include "bt/bt_vcpu.h"

struct bt_machine {
    uint32_t reg[8];                 /* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
    uint32_t eflags;
    uint8_t mem[BT_H_SIZE];          /* the region, from BT_H_BASE */
};

static inline void *bt_h_ptr(struct bt_machine *m, uint32_t address) { return m->mem + (address - BT_H_BASE); }
static inline struct bt_vcpu_page *bt_h_page(struct bt_machine *m) { return bt_h_ptr(m, BT_H_VCPU); }
_Static_assert(BT_H_VCPU_SIZE == BT_VCPU_SEGMENT_SIZE, "the harness's GS segment is the hypervisor's");

/* A machine with the guest code `code` (n bytes) at `at` in CODE, followed
 * by a JMP to the gate; ESP at the stack's top, EFLAGS 0x202 (bit 1 and IF,
 * as a CPL-3 program has it), the vCPU page as a guest kernel would find
 * it: IF 1, IOPL 0, no interrupt pending, its selectors those of a flat
 * ring-0 kernel (CS 0x08, SS and the rest 0x10, GS 0), its GDTR, IDTR, LDTR
 * and TR made up, the lookup table empty. */
void bt_h_machine(struct bt_machine *m, uint32_t at, const void *code, size_t n);

/* Run m natively from entry until the gate (code_exec: CODE executable);
 * false, with the reason printed, when the runner failed (died, or could
 * not be started). */
bool bt_h_run(struct bt_machine *m, uint32_t entry, bool code_exec);

/* The translating side. */
struct bt_tc {
    struct bt_machine *m;
    struct bt_emit emit;
    struct bt_runtime rt;
    struct bt_lookup_layout lookup_layout;
    bool chain;                      /* chain slots (else every branch exits) */
    unsigned max_insns;
    unsigned blocks;
    struct bt_block block[48];
    unsigned exits[BT_EXIT_KINDS];   /* by kind, this far */
    unsigned runs;
    unsigned learnt;                 /* branch sites that learnt their target */
    unsigned chained;                /* slots chained */
};

void bt_tc_init(struct bt_tc *tc, struct bt_machine *m, bool chain);
/* The map entry of the slot at TC address `slot`, and its block (NULL: no
 * block has a slot there). */
const struct bt_map_entry *bt_tc_slot(const struct bt_tc *tc, uint32_t slot, const struct bt_block **in);
/* The block at eip, translated now if it was not (NULL: no room). */
const struct bt_block *bt_tc_block(struct bt_tc *tc, uint32_t eip);
/* Run the translation of eip on until the gate (BT_EXIT_BRANCH to the
 * gate), or an exit of another kind than BRANCH and LOOKUP; returns that
 * exit's kind (the record: bt_h_page(m)->exit_*), BT_EXIT_NONE if a run
 * failed or max_runs ran out. */
enum bt_exit_kind bt_tc_run(struct bt_tc *tc, uint32_t eip, unsigned max_runs);
