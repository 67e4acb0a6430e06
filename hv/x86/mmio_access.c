/*
 * mmio_access.c: the MOV forms that touch device memory (mmio_access.h).
 */
#include "x86/mmio_access.h"

/* An immediate as the operand it gives: imm32 sign-extended to a 64-bit
 * operand (SDM vol. 2B, MOV: C7 /0 with REX.W), else cut to its size. */
static uint64_t sized(uint64_t value, unsigned size)
{
    if (size == 8)
        return (uint64_t)(int64_t)(int32_t)value;
    return value & ((1ull << (8 * size)) - 1);
}

bool mmio_access_of(const struct x86_insn *in, struct mmio_access *a)
{
    *a = (struct mmio_access){ 0 };
    if (in->vex || in->map != X86_MAP_ONE_BYTE || in->lock || in->rep)
        return false;
    /* The opcode's low bit picks a byte or a full-size operand (SDM vol. 2A,
     * B.1.4.3, the w bit). */
    unsigned full = in->operand_size;
    switch (in->opcode) {
    case 0x88: case 0x89:                       /* MOV r/m, r */
    case 0x8A: case 0x8B:                       /* MOV r, r/m */
        if (in->mod == 3)
            return false;                       /* a register, not memory */
        a->write = in->opcode <= 0x89;
        a->size = (in->opcode & 1) ? full : 1;
        a->reg = (uint8_t)x86_reg(in);
        a->high_byte = a->size == 1 && x86_high_byte(in, a->reg);
        return true;
    case 0xC6: case 0xC7:                       /* MOV r/m, imm */
        if (in->mod == 3 || in->reg != 0)       /* /0: REX.R does not extend it */
            return false;
        a->write = true;
        a->size = (in->opcode & 1) ? full : 1;
        a->immediate = true;
        a->value = sized(in->immediate, a->size);
        return true;
    case 0xA0: case 0xA1:                       /* MOV AL/eAX, moffs */
    case 0xA2: case 0xA3:                       /* MOV moffs, AL/eAX */
        a->write = in->opcode >= 0xA2;
        a->size = (in->opcode & 1) ? full : 1;
        a->reg = 0;
        return true;
    }
    return false;
}
