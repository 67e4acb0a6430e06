/*
 * bt_iret.c: IRET back to user mode, translated (see bt_iret.h).
 */
#include "bt/bt_iret.h"

#define SAVED_ECX BT_VCPU(scratch[0])

/* movzbl disp8(%esp), %ecx */
static void load_frame_byte(struct bt_emit *e, uint8_t disp)
{
    uint8_t op[5] = { 0x0F, 0xB6, 0x4C, 0x24, disp };
    bt_bytes(e, op, sizeof(op));
}

void bt_iret_emit(struct bt_emit *e, const struct bt_runtime *rt, uint32_t eip)
{
    size_t to_exit[3], go;
    bt_gs_store(e, SAVED_ECX, BT_ECX);
    load_frame_byte(e, 4);                      /* the frame's CS */
    bt_gs_table_byte(e, BT_VCPU(user_return));
    to_exit[0] = bt_jmp8(e, 0xE3);              /* jecxz: a return to the guest's ring 0 */
    load_frame_byte(e, 10);                     /* EFLAGS bits 23:16 */
    bt_gs_table_byte(e, BT_VCPU(no_vm));
    to_exit[1] = bt_jmp8(e, 0xE3);              /* jecxz: VM set */
    bt_gs_load(e, BT_ECX, BT_VCPU(pending));
    go = bt_jmp8(e, 0xE3);                      /* jecxz: nothing waits */
    to_exit[2] = bt_jmp8(e, 0xEB);
    bt_aim8(e, go);
    load_frame_byte(e, 9);                      /* EFLAGS bits 15:8, IF among them */
    bt_gs_store(e, BT_VCPU(iret_if), BT_ECX);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_gs_op(e, false, 0x8E, 5, BT_VCPU(gs_real));   /* mov %gs:gs_real, %gs */
    bt_u8(e, 0xCF);                             /* iret */
    for (unsigned i = 0; i < 3; i++)
        bt_aim8(e, to_exit[i]);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_emit_exit(e, rt, BT_EXIT_EMULATE, eip, 0);
}

void bt_iret_tables(struct bt_vcpu_page *p)
{
    for (unsigned b = 0; b < 256; b++) {
        p->user_return[b] = (b & 3) == 3;
        p->no_vm[b] = !(b & 2);                 /* EFLAGS.VM is bit 17: bit 1 of bits 23:16 */
    }
}
