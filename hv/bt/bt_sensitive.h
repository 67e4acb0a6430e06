/*
 * bt_sensitive.h: the translations of lab 3's sensitive instructions into
 * inline code on the vCPU page (binary translation, issue 21; pure).
 *
 * Where scan-and-patch (depriv_patch.c) makes each of them an INT3 and an
 * exit, a translation does what the instruction would do at the guest's
 * ring 0 with the state the guest believes in, without an exit:
 *   CLI, STI            the virtual IF (STI exits only with an interrupt
 *                       pending: BT_EXIT_STI);
 *   PUSHF               the real image with the virtual IF and IOPL in it;
 *   POPF                the virtual IF and IOPL from the image, the rest
 *                       into the real EFLAGS (BT_EXIT_INTERRUPT when it
 *                       sets the IF with an interrupt pending);
 *   MOV r/m, Sreg;      the selector the guest believes (CS and SS are
 *   PUSH Sreg           the hypervisor's ring-1 ones, GS the vCPU page's);
 *   SGDT, SIDT, SLDT,   the guest's own GDTR, IDTR, LDTR and TR;
 *   STR
 * and after a segment load (MOV, POP Sreg; LDS, LES, LFS), the page learns
 * the selector. LAR, LSL, VERR, VERW and IRET exit (bt_classify.c).
 *
 * Each translation keeps the guest's arithmetic flags and every register
 * it does not define, and makes its first memory access the original's:
 * the same bytes, read or written the same way (a memory destination is
 * first written by the original instruction itself, then overwritten), so
 * that a fault inside it comes with the original's state (the registers it
 * borrows are saved in the page but not yet changed).
 */
#pragma once
#include <stdint.h>
#include "bt/bt_exit.h"
#include "x86/x86_decode.h"

/* The translation of `in` (its bytes at `bytes`), classified BT_SENSITIVE
 * or BT_SEGMENT_LOAD; next_eip is the guest EIP after it. */
void bt_sensitive_emit(struct bt_emit *e, const struct bt_runtime *rt, const uint8_t *bytes,
                       const struct x86_insn *in, uint32_t next_eip);
