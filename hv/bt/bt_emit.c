/*
 * bt_emit.c: writing x86-32 code into a bounded buffer (see bt_emit.h).
 * Encodings: SDM vol. 2A, 2.1 (ModR/M, SIB, displacement), 2.1.1 (the
 * segment-override prefix 0x65 for GS), and vol. 2B's JMP, Jcc, MOV.
 */
#include "bt/bt_emit.h"
#include "string.h"

#define PREFIX_GS 0x65
#define PREFIX_OPERAND_SIZE 0x66

void bt_bytes(struct bt_emit *e, const void *bytes, size_t n)
{
    if (e->overflow || n > e->cap - e->pos) {
        e->overflow = true;
        return;
    }
    memcpy(e->buf + e->pos, bytes, n);
    e->pos += n;
}

void bt_u8(struct bt_emit *e, uint8_t v) { bt_bytes(e, &v, 1); }

void bt_u32(struct bt_emit *e, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    bt_bytes(e, b, 4);
}

/* rel32 is counted from the end of the instruction, 4 bytes after it. */
static size_t rel32_to(struct bt_emit *e, uint32_t to)
{
    size_t field = e->pos;
    bt_u32(e, to - (bt_here(e) + 4));
    return field;
}

size_t bt_jmp(struct bt_emit *e, uint32_t to)
{
    bt_u8(e, 0xE9);
    return rel32_to(e, to);
}

size_t bt_jcc(struct bt_emit *e, unsigned cc, uint32_t to)
{
    uint8_t op[2] = { 0x0F, (uint8_t)(0x80 | (cc & 0xF)) };
    bt_bytes(e, op, 2);
    return rel32_to(e, to);
}

size_t bt_jmp8(struct bt_emit *e, uint8_t opcode)
{
    uint8_t op[2] = { opcode, 0 };
    bt_bytes(e, op, 2);
    return e->pos - 1;
}

void bt_aim32(struct bt_emit *e, size_t field)
{
    if (!e->overflow)
        bt_put32(e->buf + field, (uint32_t)(e->pos - (field + 4)));
}

void bt_aim8(struct bt_emit *e, size_t field)
{
    size_t distance = e->pos - (field + 1);
    if (distance > 127)
        e->overflow = true;          /* a translator bug: the fuzzer sees the failure */
    else if (!e->overflow)
        e->buf[field] = (uint8_t)distance;
}

void bt_gs_op(struct bt_emit *e, bool size16, uint8_t opcode, unsigned reg, uint32_t offset)
{
    if (size16)
        bt_u8(e, PREFIX_OPERAND_SIZE);
    /* mod 00, r/m 101: disp32 alone, the offset in the GS segment. */
    uint8_t op[3] = { PREFIX_GS, opcode, (uint8_t)((reg & 7) << 3 | 5) };
    bt_bytes(e, op, 3);
    bt_u32(e, offset);
}

void bt_gs_store_imm(struct bt_emit *e, uint32_t offset, uint32_t imm)
{
    bt_gs_op(e, false, 0xC7, 0, offset);
    bt_u32(e, imm);
}

void bt_gs_store(struct bt_emit *e, uint32_t offset, enum bt_reg r) { bt_gs_op(e, false, 0x89, r, offset); }
void bt_gs_load(struct bt_emit *e, enum bt_reg r, uint32_t offset) { bt_gs_op(e, false, 0x8B, r, offset); }

void bt_gs_table_byte(struct bt_emit *e, uint32_t table)
{
    /* ModR/M mod 10, reg ECX, r/m ECX: disp32(%ecx), in the GS segment. */
    static const uint8_t op[] = { PREFIX_GS, 0x0F, 0xB6, 0x89 };
    bt_bytes(e, op, sizeof(op));
    bt_u32(e, table);
}

void bt_modrm_op(struct bt_emit *e, const struct x86_insn *in, bool size16, unsigned opcode,
                 unsigned reg, int32_t extra)
{
    if (in->segment)
        bt_u8(e, in->segment);
    if (size16)
        bt_u8(e, PREFIX_OPERAND_SIZE);
    if (opcode > 0xFF)
        bt_u8(e, (uint8_t)(opcode >> 8));
    bt_u8(e, (uint8_t)opcode);
    if (in->mod == 3) {
        bt_u8(e, (uint8_t)(0xC0 | (reg & 7) << 3 | in->rm));
        return;
    }
    /* No base (mod 00 with r/m 101, or SIB base 101): mod stays 00 and the
     * displacement is the whole address; otherwise mod 10, disp32. */
    bool no_base = in->mod == 0 && (in->has_sib ? in->base == 5 : in->rm == 5);
    uint8_t mod = no_base ? 0 : 2;
    bt_u8(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | in->rm));
    if (in->has_sib)
        bt_u8(e, (uint8_t)(in->scale << 6 | in->index << 3 | in->base));
    /* Addresses wrap at 4 GiB: unsigned, so that a guest's disp32 near
     * INT32_MAX plus extra is no signed overflow (found by fuzz_bt_block). */
    bt_u32(e, (uint32_t)in->displacement + (uint32_t)extra);
}

enum bt_reg bt_free_reg(const struct x86_insn *in)
{
    unsigned used = 0;
    if (in->mod != 3) {
        if (in->has_sib) {
            if (in->index != 4)
                used |= 1u << in->index;
            if (!(in->mod == 0 && in->base == 5))
                used |= 1u << in->base;
        } else if (!(in->mod == 0 && in->rm == 5)) {
            used |= 1u << in->rm;
        }
    }
    enum bt_reg r = BT_EAX;
    while (used & (1u << r))
        r++;
    return r;                       /* base and index take at most two of the four */
}
