/*
 * mmio_access.h: what an instruction that touched device memory does with
 * it (a pure module: the hypervisor's MMIO emulation, lab 4, and the host
 * unit tests in tests/unit/test_mmio_access.c).
 *
 * An access to a device's registers (the local APIC's page at 0xFEE00000)
 * exits (an EPT violation, or a #PF under shadow paging) with the address,
 * but without the value the guest wanted written or the register it wanted
 * read into: the hypervisor decodes the instruction for those. Real device
 * drivers touch registers with plain loads and stores (Linux's readl and
 * writel, the guest OS's volatile uint32_t *), so hvlab emulates exactly
 * the MOV forms (SDM vol. 2B, MOV):
 *   8B /r  MOV r32, r/m32      load into a register
 *   89 /r  MOV r/m32, r32      store a register
 *   C7 /0  MOV r/m32, imm32    store an immediate
 *   A1     MOV EAX, moffs32    load EAX (a direct address)
 *   A3     MOV moffs32, EAX    store EAX
 * and their 16-bit (0x66) and byte (88, 8A, C6 /0, A0, A2) forms, and in
 * 64-bit code their REX forms: REX.R naming R8-R15, REX.W 64-bit (C7 /0's
 * imm32 then sign-extended, A1/A3's RAX with a 64-bit moffs), which the
 * caller may refuse by size. Anything else (a read-modify-write, a string
 * instruction, LOCK or REP, a register operand) is not an access this
 * module describes: the caller stops the guest and names the bytes, rather
 * than guess what an instruction it does not emulate would have done.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "x86/x86_decode.h"

struct mmio_access {
    bool write;
    uint8_t size;             /* bytes: 1, 2, 4 or 8 */
    bool immediate;           /* write: the value is `value`, not a register's */
    uint64_t value;           /* write with immediate: the value (sized) */
    uint8_t reg;              /* the register operand, 0-15 (ModR/M reg with REX.R;
                                 0 = EAX for A0-A3) */
    bool high_byte;           /* size 1: bits 15:8 of reg 0-3 (reg 4-7 without
                                 REX: AH, CH, DH, BH), not its low byte */
};

/* Fill *a from a decoded instruction, or return false when it is not one of
 * the forms above. */
bool mmio_access_of(const struct x86_insn *in, struct mmio_access *a);
