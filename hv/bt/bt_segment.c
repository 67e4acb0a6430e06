/*
 * bt_segment.c: the check before a translated segment load (see
 * bt_segment.h). SDM vol. 2A, MOVZX, LEA, BSWAP, JECXZ: none of them
 * changes a flag.
 */
#include "bt/bt_segment.h"
#include "bt/bt_vcpu.h"

#define SAVED_ECX BT_VCPU(scratch[0])
#define MOVZWL    0x0FB7u                 /* movzwl r/m16, r32 */


/* movzwl <the selector in loads>, %ecx: where the instruction reads it. */
static void read_selector(struct bt_emit *e, const struct x86_insn *in)
{
    if (in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8E) {    /* MOV Sreg, r/m16: the operand */
        bt_modrm_op(e, in, false, MOVZWL, BT_ECX, 0);
        return;
    }
    if (in->map == X86_MAP_0F ? in->opcode == 0xB4                /* LFS, LES, LDS: after the offset */
                              : in->opcode == 0xC4 || in->opcode == 0xC5) {
        bt_modrm_op(e, in, false, MOVZWL, BT_ECX, in->operand_size);
        return;
    }
    static const uint8_t top[] = { 0x0F, 0xB7, 0x0C, 0x24 };     /* POP: movzwl (%esp), %ecx */
    bt_bytes(e, top, sizeof(top));
}

void bt_segment_check_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in,
                           uint32_t eip)
{
    static const uint8_t test[] = {
        0x8D, 0x49, 0x10000 - BT_HV_SELECTOR,                    /* lea 0x18(%ecx), %ecx */
        0x0F, 0xC9,                                             /* bswap %ecx */
        0x0F, 0xB6, 0xCD,                                       /* movzbl %ch, %ecx */
    };
    bt_gs_store(e, SAVED_ECX, BT_ECX);
    read_selector(e, in);
    bt_bytes(e, test, sizeof(test));
    size_t ok = bt_jmp8(e, 0xE3);                               /* jecxz */
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_emit_exit(e, rt, BT_EXIT_EMULATE, eip, 0);
    bt_aim8(e, ok);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
}
