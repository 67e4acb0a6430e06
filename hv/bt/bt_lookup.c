/*
 * bt_lookup.c: the indirect-branch lookup routine (see bt_lookup.h).
 */
#include "bt/bt_lookup.h"

/* The routine's saved EAX, ECX, arithmetic flags and hit. */
#define SAVED_EAX  BT_VCPU(scratch[0])
#define SAVED_ECX  BT_VCPU(scratch[1])
#define SAVED_FLAGS BT_VCPU(scratch[2])
#define HIT        BT_VCPU(scratch[3])

/* The guest's flags back from SAVED_FLAGS (AH: SF ZF AF PF CF as LAHF
 * took them; AL: OF as SETO took it, 0 or 1: 0x7F + 1 overflows), then
 * EAX and ECX; each slot's range (bt_lookup_layout) ends as its register
 * is loaded. */
static void restore(struct bt_emit *e, struct bt_lookup_layout *l, unsigned path)
{
    static const uint8_t add_al_7f_sahf[] = { 0x04, 0x7F, 0x9E };
    bt_gs_load(e, BT_EAX, SAVED_FLAGS);
    bt_bytes(e, add_al_7f_sahf, sizeof(add_al_7f_sahf));
    l->in_slot[BT_LOOKUP_FLAGS][path].to = bt_here(e);
    bt_gs_load(e, BT_EAX, SAVED_EAX);
    l->in_slot[BT_LOOKUP_EAX][path].to = bt_here(e);
    bt_gs_load(e, BT_ECX, SAVED_ECX);
    l->in_slot[BT_LOOKUP_ECX][path].to = bt_here(e);
}

uint32_t bt_lookup_emit(struct bt_emit *e, const struct bt_runtime *rt, struct bt_lookup_layout *l)
{
    uint32_t start = bt_here(e);
    static const uint8_t lahf_seto_al[] = { 0x9F, 0x0F, 0x90, 0xC0 };
    /* ECX = (EAX ^ EAX >> 9) & 0xFFF: bt_lookup_index. */
    static const uint8_t hash[] = { 0x89, 0xC1, 0xC1, 0xE9, 0x09, 0x31, 0xC1, 0x81, 0xE1, 0xFF, 0x0F, 0, 0 };
    _Static_assert(BT_LOOKUP_ENTRIES == 0x1000, "the hash's mask");
    /* cmp %eax, %gs:lookup(,%ecx,8); mov %gs:lookup+4(,%ecx,8), %ecx:
     * ModR/M r/m 100 (SIB), SIB scale 8, index ECX, no base. */
    static const uint8_t cmp_entry[] = { 0x65, 0x39, 0x04, 0xCD };
    static const uint8_t load_entry[] = { 0x65, 0x8B, 0x0C, 0xCD };
    static const uint8_t jmp_hit[] = { 0x65, 0xFF, 0x25 };     /* jmp *%gs:HIT */

    bt_gs_store(e, SAVED_EAX, BT_EAX);
    l->in_slot[BT_LOOKUP_EAX][0].from = bt_here(e);
    bt_gs_store(e, SAVED_ECX, BT_ECX);
    l->in_slot[BT_LOOKUP_ECX][0].from = bt_here(e);
    bt_bytes(e, lahf_seto_al, sizeof(lahf_seto_al));
    bt_gs_store(e, SAVED_FLAGS, BT_EAX);
    l->in_slot[BT_LOOKUP_FLAGS][0].from = bt_here(e);   /* the real flags go at the hash's SHR */
    bt_gs_load(e, BT_EAX, BT_VCPU(target));
    bt_bytes(e, hash, sizeof(hash));
    bt_bytes(e, cmp_entry, sizeof(cmp_entry));
    bt_u32(e, BT_LOOKUP);                                    /* entry 0's guest_eip */
    size_t miss = bt_jmp8(e, 0x75);                          /* jne */
    bt_bytes(e, load_entry, sizeof(load_entry));
    bt_u32(e, BT_LOOKUP + 4);                                /* entry 0's tc_address */
    bt_gs_store(e, HIT, BT_ECX);
    restore(e, l, 0);
    bt_bytes(e, jmp_hit, sizeof(jmp_hit));
    bt_u32(e, HIT);

    bt_aim8(e, miss);
    for (unsigned r = 0; r < BT_LOOKUP_REGS; r++)
        l->in_slot[r][1].from = bt_here(e);
    bt_gs_store(e, BT_VCPU(exit_eip), BT_EAX);               /* EAX: the target */
    restore(e, l, 1);
    bt_gs_store_imm(e, BT_VCPU(exit_kind), BT_EXIT_LOOKUP);
    bt_gs_store_imm(e, BT_VCPU(exit_arg), 0);
    bt_jmp(e, rt->exit);
    l->start = start;
    l->end = bt_here(e);
    return start;
}

bool bt_lookup_in_slot(const struct bt_lookup_layout *l, enum bt_lookup_reg r, uint32_t at)
{
    for (unsigned path = 0; path < 2; path++)
        if (at >= l->in_slot[r][path].from && at < l->in_slot[r][path].to)
            return true;
    return false;
}

uint32_t bt_lookup_slot(const struct bt_vcpu_page *p, enum bt_lookup_reg r, uint32_t eflags)
{
    static const uint32_t sahf = 0xD5, of = 0x800;          /* SF ZF AF PF CF; OF (SDM vol. 1, 3.4.3) */
    const uint32_t *slot = (const uint32_t *)((const uint8_t *)p + (r == BT_LOOKUP_EAX ? SAVED_EAX
                                                                    : r == BT_LOOKUP_ECX ? SAVED_ECX
                                                                                         : SAVED_FLAGS));
    if (r != BT_LOOKUP_FLAGS)
        return *slot;
    return (eflags & ~(sahf | of)) | ((*slot >> 8) & sahf) | ((*slot & 1) ? of : 0);
}

void bt_lookup_branch_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in,
                           uint32_t next_eip)
{
    if (in->opcode == 0xC3 || in->opcode == 0xC2) {
        bt_gs_op(e, false, 0x8F, 0, BT_VCPU(target));            /* pop %gs:target */
        if (in->opcode == 0xC2) {                                /* lea imm16(%esp), %esp */
            static const uint8_t lea_esp[] = { 0x8D, 0xA4, 0x24 };
            bt_bytes(e, lea_esp, sizeof(lea_esp));
            bt_u32(e, (uint32_t)in->immediate);
        }
    } else {                                                     /* FF /2, FF /4 */
        bt_gs_store(e, SAVED_EAX, BT_EAX);
        bt_modrm_op(e, in, false, 0x8B, BT_EAX, 0);              /* mov r/m, %eax */
        bt_gs_store(e, BT_VCPU(target), BT_EAX);
        bt_gs_load(e, BT_EAX, SAVED_EAX);
        if (in->reg == 2) {                                      /* CALL: push $next_eip */
            bt_u8(e, 0x68);
            bt_u32(e, next_eip);
        }
    }
    bt_jmp(e, rt->lookup);
}

unsigned bt_lookup_set(struct bt_vcpu_page *page, uint32_t guest_eip, uint32_t tc_address)
{
    unsigned i = bt_lookup_index(guest_eip);
    bt_lookup_table(page)[i] = (struct bt_lookup_entry){ guest_eip, tc_address };
    return i;
}

void bt_lookup_clear_entry(struct bt_vcpu_page *page, unsigned index)
{
    bt_lookup_table(page)[index % BT_LOOKUP_ENTRIES] = (struct bt_lookup_entry){ BT_LOOKUP_EMPTY, 0 };
}

void bt_lookup_clear(struct bt_vcpu_page *page)
{
    for (unsigned i = 0; i < BT_LOOKUP_ENTRIES; i++)
        bt_lookup_clear_entry(page, i);
}
