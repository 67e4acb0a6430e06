/*
 * bt_lookup.c: the indirect-branch lookup routine (see bt_lookup.h).
 */
#include "bt/bt_lookup.h"
#include "bt/bt_chain.h"

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

/* The branch site (bt_lookup.h). */
#define SITE_ECX BT_VCPU(scratch[4])
#define LEARNT_DISP 2u                     /* the LEA's disp32, from L */

static const uint8_t load_top[] = { 0x8B, 0x0C, 0x24 };       /* mov (%esp), %ecx */
static const uint8_t lea_ecx[] = { 0x8D, 0x89 };              /* lea disp32(%ecx), %ecx */
static const uint8_t lea_esp[] = { 0x8D, 0xA4, 0x24 };        /* lea disp32(%esp), %esp */

static bool ret(const struct x86_insn *in) { return in->opcode == 0xC3 || in->opcode == 0xC2; }

/* The target into the page, and what the branch does besides, on the way
 * to the lookup: RET pops it; JMP and CALL read it into a borrowed EAX,
 * put back before CALL pushes the GUEST return address. */
static void target_into_page(struct bt_emit *e, const struct x86_insn *in, uint32_t next_eip)
{
    if (ret(in)) {
        bt_gs_op(e, false, 0x8F, 0, BT_VCPU(target));            /* pop %gs:target */
        if (in->opcode == 0xC2) {                                /* lea imm16(%esp), %esp */
            bt_bytes(e, lea_esp, sizeof(lea_esp));
            bt_u32(e, (uint32_t)in->immediate & 0xFFFF);
        }
        return;
    }
    bt_gs_store(e, SAVED_EAX, BT_EAX);                           /* FF /2, FF /4 */
    bt_modrm_op(e, in, false, 0x8B, BT_EAX, 0);                  /* mov r/m, %eax */
    bt_gs_store(e, BT_VCPU(target), BT_EAX);
    bt_gs_load(e, BT_EAX, SAVED_EAX);
    if (in->reg == 2) {                                          /* CALL: push $next_eip */
        bt_u8(e, 0x68);
        bt_u32(e, next_eip);
    }
}

size_t bt_site_begin(struct bt_emit *e, const struct x86_insn *in, uint32_t next_eip, uint32_t *learn)
{
    bt_gs_store(e, SITE_ECX, BT_ECX);
    if (ret(in))
        bt_bytes(e, load_top, sizeof(load_top));
    else
        bt_modrm_op(e, in, false, 0x8B, BT_ECX, 0);              /* mov r/m, %ecx */
    *learn = bt_here(e);
    bt_bytes(e, lea_ecx, sizeof(lea_ecx));
    bt_u32(e, 0u - BT_SITE_UNLEARNED);
    size_t hit = bt_jmp8(e, 0xE3);                               /* jecxz */
    bt_gs_load(e, BT_ECX, SITE_ECX);
    target_into_page(e, in, next_eip);
    bt_gs_store_imm(e, BT_VCPU(lookup_site), *learn);
    size_t miss = bt_jmp(e, 0);
    bt_aim8(e, hit);
    bt_gs_load(e, BT_ECX, SITE_ECX);
    if (ret(in)) {
        bt_bytes(e, lea_esp, sizeof(lea_esp));
        bt_u32(e, 4 + (in->opcode == 0xC2 ? ((uint32_t)in->immediate & 0xFFFF) : 0));
    } else if (in->reg == 2) {
        bt_u8(e, 0x68);
        bt_u32(e, next_eip);
    }
    return miss;
}

void bt_site_end(struct bt_emit *e, const struct bt_runtime *rt, size_t miss, uint32_t learn)
{
    bt_aim32(e, miss);
    bt_emit_exit(e, rt, BT_EXIT_LOOKUP, 0, learn);
}

/* `n` bytes at `at` are these. */
static bool bytes_are(const uint8_t *code, size_t len, uint32_t at, const uint8_t *b, size_t n)
{
    if (at + n > len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (code[at + i] != b[i])
            return false;
    return true;
}

/* A MOV through GS at `at`: 65 opcode modrm disp32. */
static bool gs_move_is(const uint8_t *code, size_t len, uint32_t at, uint8_t opcode, uint8_t modrm,
                       uint32_t disp)
{
    const uint8_t op[] = { 0x65, opcode, modrm };
    return bytes_are(code, len, at, op, sizeof(op)) && at + 7 <= len && bt_get32(code + at + 3) == disp;
}

bool bt_site_parse(const uint8_t *code, uint32_t address, size_t len, struct bt_site_layout *s)
{
    static const uint8_t jmp = 0xE9, push = 0x68;
    if (!bytes_are(code, len, 0, lea_ecx, sizeof(lea_ecx)) || len < 8 || code[6] != 0xE3)
        return false;
    uint32_t hit = 8u + code[7], at = hit + 7;                   /* jecxz's rel8 */
    if (code[7] >= 0x80 || !gs_move_is(code, len, 8, 0x8B, 0x0D, SITE_ECX) || hit < 20 ||
        !bytes_are(code, len, hit - 5, &jmp, 1) || !gs_move_is(code, len, hit, 0x8B, 0x0D, SITE_ECX))
        return false;
    if (bytes_are(code, len, at, lea_esp, sizeof(lea_esp)))
        at += 7;                                                  /* RET */
    else if (bytes_are(code, len, at, &push, 1))
        at += 5;                                                  /* CALL */
    uint32_t learn = at + BT_SLOT_SIZE;
    if (learn + BT_EXIT_STUB_SIZE > len || !bt_is_slot(code + at, address + at) ||
        !gs_move_is(code, len, learn, 0xC7, 0x05, BT_VCPU(exit_kind)) ||
        bt_get32(code + learn + 7) != BT_EXIT_LOOKUP ||
        !gs_move_is(code, len, learn + 22, 0xC7, 0x05, BT_VCPU(exit_arg)) || bt_get32(code + learn + 29) != address)
        return false;
    *s = (struct bt_site_layout){ .miss_rel32 = address + hit - 4, .slot = address + at };
    return true;
}

void bt_site_learn(uint8_t *code, uint32_t address, const struct bt_site_layout *s, uint32_t target,
                   uint32_t lookup)
{
    bt_put32(code + LEARNT_DISP, 0u - target);
    bt_put32(code + (s->slot - address) + 5 + 11 + 7, target);     /* the slot's stub: movl $target, exit_eip */
    bt_put32(code + (s->miss_rel32 - address), lookup - (s->miss_rel32 + 4));
}
