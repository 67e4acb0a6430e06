/*
 * bt_segment.h: the check before a translated segment load (binary
 * translation, issue 21; pure).
 *
 * The GDT copy holds descriptors of the hypervisor's own at ring 1 (the
 * TC's code and the vCPU page's data, depriv.h's DEPRIV_HV_SELECTOR and
 * up) wherever the guest's GDT ends below them. The guest kernel runs at
 * real ring 1, where a load of a DPL-1 descriptor succeeds (SDM vol. 3,
 * 5.6), so a copied MOV DS, POP ES, LFS... of such a selector would point
 * the guest's segment at the vCPU page. On the bare CPU the same load
 * faults, #GP(selector & ~3): past the GDT's limit (SDM vol. 2A, MOV, POP,
 * LDS/LES/LFS/LGS/LSS, "Protected Mode Exceptions").
 *
 * So before each copied segment load the translation reads the selector
 * the instruction will load (the original's own bytes: the register, the
 * memory word, the stack's top) and, for one of BT_HV_SELECTOR and up,
 * exits (BT_EXIT_EMULATE at the load, the guest's state as before it):
 * the hypervisor then knows whether the slots are its own (#GP) or the
 * guest's (the GDT reaches them: the load runs as before). No flag and no
 * register changes (MOVZX, LEA, BSWAP, JECXZ, ECX saved in the page):
 *
 *     mov   %ecx, %gs:scratch[0]
 *     movzwl <selector>, %ecx       the selector's bytes, as the original reads them
 *     lea   0x18(%ecx), %ecx        bit 16 set iff selector >= 0xFFE8
 *     bswap %ecx                    bit 16 to bit 8 (CH)
 *     movzbl %ch, %ecx              0 or 1
 *     jecxz ok
 *     mov   %gs:scratch[0], %ecx
 *     <exit EMULATE at the load>
 * ok: mov   %gs:scratch[0], %ecx
 *
 * Seven instructions on the way through. Until the copied load (the map
 * entry's commit) nothing of the guest's has changed but ECX, which is in
 * scratch[0] from the first MOV on (and still there once put back): an
 * exit there (an interrupt) is before the instruction, with that ECX,
 * with no need to step on to its end (bt_commit_saved_ecx).
 */
#pragma once
#include <stdint.h>
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"
#include "x86/x86_decode.h"

/* The lowest of the hypervisor's selectors (depriv.h's DEPRIV_HV_SELECTOR:
 * the GDT's last three entries, 8189 to 8191). */
#define BT_HV_SELECTOR 0xFFE8u

/* The check before `in`, a segment load classified BT_SEGMENT_LOAD (MOV
 * to ES, DS, FS with a register or 32-bit-addressed memory operand; POP
 * ES, DS, FS; LES, LDS, LFS) at guest EIP eip. */
void bt_segment_check_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in,
                           uint32_t eip);
