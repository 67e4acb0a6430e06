/*
 * bt_iret.c: IRET back to user mode and to the guest's ring 0, translated
 * (see bt_iret.h).
 */
#include "bt/bt_iret.h"

#define SAVED_ECX BT_VCPU(scratch[0])
#define SAVED_EAX BT_VCPU(scratch[1])

/* movzbl disp8(%esp), %ecx */
static void load_frame_byte(struct bt_emit *e, uint8_t disp)
{
    uint8_t op[5] = { 0x0F, 0xB6, 0x4C, 0x24, disp };
    bt_bytes(e, op, sizeof(op));
}

/* On to `exit` (a TC address) unless ECX is 0: JECXZ over a JMP. */
static void exit_unless_zero(struct bt_emit *e, uint32_t exit)
{
    bt_u8(e, 0xE3);                             /* jecxz .+7 */
    bt_u8(e, 5);
    bt_jmp(e, exit);
}

/* Back to the guest's ring 0 (the frame's CS with RPL 0): the same
 * privilege level, so no stack switch; EIP, CS and EFLAGS popped (SDM vol.
 * 2A, IRET, "RETURN-TO-SAME-PRIVILEGE-LEVEL"). The real CS stays the
 * TC's, so the translation goes on only where nothing but EIP and the
 * flags change:
 *   - the frame's CS is the one the guest runs with, which the hypervisor
 *     found again as IRET would find it, in the GDT copy
 *     (iret_cs_complement, 0 where none: a page never filled lets none);
 *   - EIP within that CS's limit, to 16 MiB (iret_eip_room: EIP bits
 *     31:24 plus it carry into bit 8 past the limit; the hypervisor's area
 *     is above the limit);
 *   - EFLAGS bits 23:16 all 0 (RF, VM, AC, VIF, VIP, ID: the CPU would
 *     load them, a POPF at ring 1 not all), and TF, IOPL and NT 0;
 *   - no interrupt or NMI waits, nor is an NMI's handler running (IRET
 *     ends it: the hypervisor must see it; `pending`).
 * Then no exit comes any more, and the guest's flags may change: the
 * image's IF into the page, IOPL 0 (the image's), and a POPF loads the
 * rest, as the CPU's IRET at ring 0 would (at ring 1 it leaves the real IF
 * and IOPL alone); EIP goes through the lookup, as a RET's. */
static void iret_to_ring0(struct bt_emit *e, const struct bt_runtime *rt, uint32_t exit)
{
    static const uint8_t frame_cs_eax[] = { 0x0F, 0xB7, 0x44, 0x24, 0x04 };   /* movzwl 4(%esp), %eax */
    static const uint8_t lea_cs[] = { 0x8D, 0x8C, 0x08, 0x00, 0x00, 0xFF, 0xFF };   /* lea -0x10000(%eax,%ecx), %ecx */
    static const uint8_t eip_top_eax[] = { 0x0F, 0xB6, 0x44, 0x24, 0x03 };   /* movzbl 3(%esp), %eax */
    static const uint8_t lea_eax_ecx[] = { 0x8D, 0x0C, 0x08 };               /* lea (%eax,%ecx), %ecx */
    static const uint8_t carry_ecx[] = { 0x0F, 0xB6, 0xCD };                 /* movzbl %ch, %ecx */
    static const uint8_t if_only[] = { 0x83, 0xE1, 0x02, 0xC1, 0xE1, 0x08 };  /* and $2, %ecx; shl $8, %ecx */
    static const uint8_t skip_cs_popf[] = { 0x8D, 0x64, 0x24, 0x04, 0x9D };   /* lea 4(%esp), %esp; popf */
    static const uint8_t count[] = { 0x65, 0xFF, 0x05 };                       /* incl %gs:kernel_irets */

    bt_gs_store(e, SAVED_EAX, BT_EAX);
    bt_bytes(e, frame_cs_eax, sizeof(frame_cs_eax));
    bt_gs_load(e, BT_ECX, BT_VCPU(iret_cs_complement));
    bt_bytes(e, lea_cs, sizeof(lea_cs));
    bt_gs_load(e, BT_EAX, SAVED_EAX);
    exit_unless_zero(e, exit);                  /* another CS, or none checked */
    bt_gs_store(e, SAVED_EAX, BT_EAX);
    bt_bytes(e, eip_top_eax, sizeof(eip_top_eax));
    bt_gs_load(e, BT_ECX, BT_VCPU(iret_eip_room));
    bt_bytes(e, lea_eax_ecx, sizeof(lea_eax_ecx));
    bt_bytes(e, carry_ecx, sizeof(carry_ecx));
    bt_gs_load(e, BT_EAX, SAVED_EAX);
    exit_unless_zero(e, exit);                  /* EIP past the limit */
    load_frame_byte(e, 10);                     /* EFLAGS bits 23:16 */
    exit_unless_zero(e, exit);
    load_frame_byte(e, 9);                      /* EFLAGS bits 15:8 */
    bt_gs_table_byte(e, BT_VCPU(kernel_iret_flags));
    exit_unless_zero(e, exit);                  /* TF, IOPL or NT set */
    bt_gs_load(e, BT_ECX, BT_VCPU(pending));
    exit_unless_zero(e, exit);
    /* No exit from here on. */
    load_frame_byte(e, 9);
    bt_bytes(e, if_only, sizeof(if_only));
    bt_gs_store(e, BT_VCPU(vif), BT_ECX);
    bt_gs_store_imm(e, BT_VCPU(viopl), 0);
    bt_bytes(e, count, sizeof(count));
    bt_u32(e, BT_VCPU(kernel_irets));
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_gs_op(e, false, 0x8F, 0, BT_VCPU(target));   /* pop %gs:target */
    bt_bytes(e, skip_cs_popf, sizeof(skip_cs_popf));
    bt_gs_store_imm(e, BT_VCPU(lookup_site), 0);
    bt_jmp(e, rt->lookup);
}

size_t bt_iret_emit(struct bt_emit *e, const struct bt_runtime *rt, uint32_t eip)
{
    size_t to_exit[2], go, ring0;
    bt_gs_store(e, SAVED_ECX, BT_ECX);
    load_frame_byte(e, 4);                      /* the frame's CS */
    bt_gs_table_byte(e, BT_VCPU(user_return));
    ring0 = bt_jmp8(e, 0xE3);                   /* jecxz: a return to the guest's ring 0 */
    load_frame_byte(e, 10);                     /* EFLAGS bits 23:16 */
    bt_gs_table_byte(e, BT_VCPU(no_vm));
    to_exit[0] = bt_jmp8(e, 0xE3);              /* jecxz: VM set */
    bt_gs_load(e, BT_ECX, BT_VCPU(pending));
    go = bt_jmp8(e, 0xE3);                      /* jecxz: nothing waits */
    to_exit[1] = bt_jmp8(e, 0xEB);
    bt_aim8(e, go);
    load_frame_byte(e, 9);                      /* EFLAGS bits 15:8, IF among them */
    bt_gs_store(e, BT_VCPU(iret_if), BT_ECX);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_gs_op(e, false, 0x8E, 5, BT_VCPU(gs_real));   /* mov %gs:gs_real, %gs */
    bt_u8(e, 0xCF);                             /* iret */
    for (unsigned i = 0; i < 2; i++)
        bt_aim8(e, to_exit[i]);
    uint32_t exit = bt_here(e);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    bt_emit_exit(e, rt, BT_EXIT_EMULATE, eip, 0);
    bt_aim8(e, ring0);
    size_t commit = e->pos;
    iret_to_ring0(e, rt, exit);
    return commit;
}

void bt_iret_tables(struct bt_vcpu_page *p)
{
    for (unsigned b = 0; b < 256; b++) {
        p->user_return[b] = (b & 3) == 3;
        p->no_vm[b] = !(b & 2);                 /* EFLAGS.VM is bit 17: bit 1 of bits 23:16 */
        p->kernel_iret_flags[b] = (b & 0x71) != 0;   /* TF bit 8, IOPL bits 13:12, NT bit 14 */
    }
    p->iret_cs_complement = 0;                  /* none checked yet */
    p->iret_eip_room = 0x100;
}
