/*
 * bt_emit.h: writing x86-32 code into a bounded buffer (binary translation,
 * issue 21; pure).
 *
 * The buffer is where the hypervisor writes (its own address of the
 * translation cache); `address` is where the bytes will run (the TC's
 * linear address in the guest's address space), which every relative jump
 * is computed against: the two differ in the hypervisor and in the host
 * tests' harness alike. A write that would pass the end writes nothing and
 * marks the emitter overflowed, so that no input the translator gets can
 * make it write past its buffer (tests/fuzz/fuzz_bt_block.c).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "x86/x86_decode.h"

struct bt_emit {
    uint8_t *buf;
    uint32_t address;             /* the linear address buf[0] runs at */
    size_t pos, cap;
    bool overflow;                /* a write did not fit: nothing of it was written */
};

/* The general registers by their number in ModR/M (SDM vol. 2A, table 2-2). */
enum bt_reg { BT_EAX, BT_ECX, BT_EDX, BT_EBX, BT_ESP, BT_EBP, BT_ESI, BT_EDI };

static inline uint32_t bt_here(const struct bt_emit *e) { return e->address + (uint32_t)e->pos; }

/* A 32-bit field of code already written, little-endian as x86 keeps it
 * (a rel32, a disp32, an imm32): read when parsed, written when patched. */
static inline uint32_t bt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void bt_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void bt_bytes(struct bt_emit *e, const void *bytes, size_t n);
void bt_u8(struct bt_emit *e, uint8_t v);
void bt_u32(struct bt_emit *e, uint32_t v);

/* JMP rel32 and Jcc rel32 (cc: the condition, the low nibble of 0x7x) to
 * the linear address `to`; they return the position of the rel32 field, so
 * that a jump forward can be aimed later (bt_aim). */
size_t bt_jmp(struct bt_emit *e, uint32_t to);
size_t bt_jcc(struct bt_emit *e, unsigned cc, uint32_t to);
/* A short jump (JMP rel8, Jcc rel8, JECXZ: opcode) forward, aimed later. */
size_t bt_jmp8(struct bt_emit *e, uint8_t opcode);
/* Aim the rel32 (bt_jmp, bt_jcc) or rel8 (bt_jmp8) field at `field` at
 * the current position. */
void bt_aim32(struct bt_emit *e, size_t field);
void bt_aim8(struct bt_emit *e, size_t field);

/* Fields of the vCPU page, through GS (bt_vcpu.h: BT_VCPU(field)); none
 * changes EFLAGS. */
void bt_gs_store_imm(struct bt_emit *e, uint32_t offset, uint32_t imm);  /* movl $imm, %gs:off */
void bt_gs_store(struct bt_emit *e, uint32_t offset, enum bt_reg r);     /* mov %r, %gs:off */
void bt_gs_load(struct bt_emit *e, enum bt_reg r, uint32_t offset);      /* mov %gs:off, %r */
void bt_gs_table_byte(struct bt_emit *e, uint32_t table);   /* movzbl %gs:table(%ecx), %ecx: a flag-free test */
/* An instruction with a GS-relative operand: [0x66] opcode %gs:offset with
 * ModR/M reg field `reg` (e.g. 0x8B for a 16-bit load with size16). */
void bt_gs_op(struct bt_emit *e, bool size16, uint8_t opcode, unsigned reg, uint32_t offset);

/* The memory operand of a decoded 32-bit-addressed instruction again, with
 * the ModR/M reg field `reg` and `extra` added to its displacement (SGDT's
 * base is 2 bytes further): its segment override first, then [0x66 if
 * size16] opcode ModR/M [SIB] disp32 (disp32 always, so that any extra
 * fits). in->mod == 3 names register in->rm instead. An opcode above 0xFF
 * is a two-byte one, 0x0Fxx. */
void bt_modrm_op(struct bt_emit *e, const struct x86_insn *in, bool size16, unsigned opcode,
                 unsigned reg, int32_t extra);
/* A register among EAX, ECX, EDX, EBX that the memory operand of `in` does
 * not use as base or index, for a translation to borrow. */
enum bt_reg bt_free_reg(const struct x86_insn *in);
