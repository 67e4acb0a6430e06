/*
 * bt_gs.c: MOV GS, r16 and POP GS translated (see bt_gs.h). No flags
 * change on either way (MOV, MOVZX, LEA, JECXZ, JMP), so that the exit
 * finds the guest as it was (bt_exit.h).
 */
#include "bt/bt_gs.h"
#include "bt/bt_vcpu.h"

#define SAVED_ECX BT_VCPU(scratch[0])
#define SELECTOR  BT_VCPU(scratch[1])

static bool mov_gs(const struct x86_insn *in)
{
    return in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8E && in->reg == 5 && in->mod == 3;
}

static bool pop_gs(const struct x86_insn *in)
{
    return in->map == X86_MAP_0F && in->opcode == 0xA9;
}

bool bt_gs_translates(const struct x86_insn *in)
{
    return !in->vex && !in->segment && (mov_gs(in) || pop_gs(in));
}

size_t bt_gs_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in, uint32_t eip)
{
    bt_gs_store(e, SAVED_ECX, BT_ECX);
    if (pop_gs(in)) {
        static const uint8_t top[] = { 0x0F, 0xB7, 0x0C, 0x24 };     /* movzwl (%esp), %ecx: POP's read */
        bt_bytes(e, top, sizeof(top));
    } else {
        uint8_t reg[] = { 0x0F, 0xB7, (uint8_t)(0xC8 | in->rm) };   /* movzwl %r16, %ecx */
        bt_bytes(e, reg, sizeof(reg));
    }
    bt_gs_store(e, SELECTOR, BT_ECX);
    bt_gs_table_byte(e, BT_GS_OK);
    size_t unknown = bt_jmp8(e, 0xE3);                              /* jecxz: not let through yet */
    bt_gs_load(e, BT_ECX, SELECTOR);
    size_t commit = e->pos;
    bt_gs_store(e, BT_VCPU(selector[BT_GS]), BT_ECX);
    bt_gs_store(e, BT_VCPU(gs_real), BT_ECX);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    if (pop_gs(in)) {
        uint8_t lea[] = { 0x8D, 0x64, 0x24, (uint8_t)in->operand_size };   /* lea size(%esp), %esp */
        bt_bytes(e, lea, sizeof(lea));
    }
    size_t done = bt_jmp8(e, 0xEB);
    bt_aim8(e, unknown);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_emit_exit(e, rt, BT_EXIT_EMULATE, eip, 0);
    bt_aim8(e, done);
    return commit;
}
