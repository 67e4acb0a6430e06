/*
 * x86_decode.c: the length and parts of one x86 instruction (see
 * x86_decode.h). Table-driven: what follows each opcode (a ModR/M byte, an
 * immediate of which size) is looked up in a table per opcode map, written
 * from the SDM's opcode maps (vol. 2D, Appendix A); the ModR/M, SIB and
 * displacement rules are in vol. 2A, 2.1.5, tables 2-1 and 2-2; 64-bit
 * mode's in 2.2.1.
 */
#include "x86/x86_decode.h"

/* What follows an opcode. */
enum {
    M   = 1 << 0,    /* a ModR/M byte (and perhaps SIB and displacement) */
    IB  = 1 << 1,    /* an 8-bit immediate */
    IW  = 1 << 2,    /* a 16-bit immediate */
    IZ  = 1 << 3,    /* a 16- or 32-bit immediate (the operand size) */
    AP  = 1 << 4,    /* a far pointer: offset (operand size) and selector */
    MO  = 1 << 5,    /* a memory offset (the address size), no ModR/M */
    G3  = 1 << 6,    /* group 3 (F6/F7): an immediate for /0 and /1 only */
    PFX = 1 << 7,    /* a legacy prefix, not an opcode */
    ESC = 1 << 8,    /* 0F: the two-byte map follows */
    SPC = 1 << 9,    /* decided by the next byte (VEX, EVEX, XOP, BOUND...) */
    REG = 1 << 10,   /* MOV to/from CR, DR, TR: ModR/M names registers only,
                        whatever its mod field says (SDM vol. 2B, MOV) */
    UD  = 1 << 11,   /* undefined: #UD */
    ID  = 1 << 12,   /* a 32-bit immediate, whatever the operand size */
    IV  = 1 << 13,   /* an immediate of the operand size, 64 bits with REX.W:
                        MOV r64, imm64 (SDM vol. 2B, MOV; 2.2.1.5) */
    JZ  = 1 << 14,   /* a near branch's rel16/32; always rel32 in 64-bit mode,
                        where 0x66 changes nothing (vol. 2A, CALL, JMP, Jcc) */
    N   = 0,         /* the opcode byte is all */
};

/* The one-byte map (SDM vol. 2D, table A-2), in 32-bit mode. */
static const uint16_t one_byte[256] = {
    /* 00 */ M, M, M, M, IB, IZ, N, N, M, M, M, M, IB, IZ, N, ESC,
    /* 10 */ M, M, M, M, IB, IZ, N, N, M, M, M, M, IB, IZ, N, N,
    /* 20 */ M, M, M, M, IB, IZ, PFX, N, M, M, M, M, IB, IZ, PFX, N,
    /* 30 */ M, M, M, M, IB, IZ, PFX, N, M, M, M, M, IB, IZ, PFX, N,
    /* 40 */ N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 50 */ N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
    /* 60 */ N, N, SPC, M, PFX, PFX, PFX, PFX, IZ, M | IZ, IB, M | IB, N, N, N, N,
    /* 70 */ IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB, IB,
    /* 80 */ M | IB, M | IZ, M | IB, M | IB, M, M, M, M, M, M, M, M, M, M, M, SPC,
    /* 90 */ N, N, N, N, N, N, N, N, N, N, AP, N, N, N, N, N,
    /* a0 */ MO, MO, MO, MO, N, N, N, N, IB, IZ, N, N, N, N, N, N,
    /* b0 */ IB, IB, IB, IB, IB, IB, IB, IB, IV, IV, IV, IV, IV, IV, IV, IV,
    /* c0 */ M | IB, M | IB, IW, N, SPC, SPC, M | IB, M | IZ, IW | IB, N, IW, N, N, IB, N, N,
    /* d0 */ M, M, M, M, IB, IB, N, N, M, M, M, M, M, M, M, M,
    /* e0 */ IB, IB, IB, IB, IB, IB, IB, IB, JZ, JZ, AP, IB, N, N, N, N,
    /* f0 */ PFX, N, PFX, PFX, N, N, M | G3, M | G3, N, N, N, N, N, N, M, M,
};

/* The two-byte map 0F xx (SDM vol. 2D, table A-3). 0F 0F is 3DNow!, whose
 * opcode is an 8-bit suffix after the operands: it reads as M | IB. */
static const uint16_t two_byte[256] = {
    /* 00 */ M, M, M, M, UD, N, N, N, N, N, UD, N, UD, M, N, M | IB,
    /* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 20 */ REG, REG, REG, REG, REG, UD, REG, UD, M, M, M, M, M, M, M, M,
    /* 30 */ N, N, N, N, N, N, UD, N, SPC, UD, SPC, UD, UD, UD, UD, UD,
    /* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 70 */ M | IB, M | IB, M | IB, M | IB, M, M, M, N, SPC, M, UD, UD, M, M, M, M,
    /* 80 */ JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ, JZ,
    /* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* a0 */ N, N, N, M, M | IB, M, UD, UD, N, N, N, M, M | IB, M, M, M,
    /* b0 */ M, M, M, M, M, M, M, M, M, M, M | IB, M, M, M, M, M,
    /* c0 */ M, M, M | IB, M, M | IB, M | IB, M | IB, M, N, N, N, N, N, N, N, N,
    /* d0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* e0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* f0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

/* The one-byte opcodes 64-bit mode does not have (table A-2's i64: PUSH
 * and POP of ES, CS, SS, DS, DAA, DAS, AAA, AAS, PUSHA, POPA, 82, CALLF,
 * INTO, AAM, AAD, SALC, JMPF): #UD. 40-4F (REX), 62 (EVEX), C4 and C5
 * (VEX) name prefixes there instead. */
static bool invalid_in_64_bit_mode(uint8_t op)
{
    switch (op) {
    case 0x06: case 0x07: case 0x0E: case 0x16: case 0x17: case 0x1E: case 0x1F:
    case 0x27: case 0x2F: case 0x37: case 0x3F: case 0x60: case 0x61: case 0x82:
    case 0x9A: case 0xCE: case 0xD4: case 0xD5: case 0xD6: case 0xEA:
        return true;
    }
    return false;
}

const char *x86_decode_status_name(enum x86_decode_status status)
{
    switch (status) {
    case X86_DECODE_OK:        return "ok";
    case X86_DECODE_TRUNCATED: return "truncated";
    case X86_DECODE_TOO_LONG:  return "longer than 15 bytes";
    case X86_DECODE_UNDEFINED: return "undefined opcode";
    }
    return "?";
}

/* The bytes of one instruction, read one at a time. */
struct reader {
    const uint8_t *code;
    size_t avail, pos;
    enum x86_decode_status status;
    enum x86_mode mode;
};

static uint64_t take(struct reader *r, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        if (r->pos >= r->avail || r->pos >= X86_MAX_LENGTH) {
            if (r->status == X86_DECODE_OK)
                r->status = r->pos >= r->avail ? X86_DECODE_TRUNCATED : X86_DECODE_TOO_LONG;
            return v;
        }
        v |= (uint64_t)r->code[r->pos++] << (8 * i);
    }
    return v;
}

static uint8_t peek(const struct reader *r, unsigned ahead)
{
    return r->pos + ahead < r->avail ? r->code[r->pos + ahead] : 0;
}

static int32_t sign_extend(uint64_t v, unsigned bytes)
{
    if (bytes == 1)
        return (int8_t)v;
    if (bytes == 2)
        return (int16_t)v;
    return (int32_t)v;
}

/* ModR/M, then SIB and displacement as the address size wants (SDM vol.
 * 2A, tables 2-1 (16-bit) and 2-2, 2-3 (32-bit; 64-bit addresses encode
 * alike, 2.2.1.3)). registers_only: the operand is a register whatever mod
 * says (MOV CR/DR). The decisions read the 3-bit fields: REX.B does not
 * change which rm asks for a SIB byte or a displacement (table 2-5). */
static void decode_modrm(struct reader *r, struct x86_insn *in, bool registers_only)
{
    uint8_t modrm = (uint8_t)take(r, 1);
    in->has_modrm = true;
    in->mod = modrm >> 6;
    in->reg = (modrm >> 3) & 7;
    in->rm = modrm & 7;
    if (in->mod == 3 || registers_only)
        return;
    unsigned disp = in->mod == 1 ? 1 : 0;
    if (in->address_size == 2) {
        if (in->mod == 2 || (in->mod == 0 && in->rm == 6))
            disp = 2;
    } else {
        if (in->mod == 2 || (in->mod == 0 && in->rm == 5))
            disp = 4;
        /* 64-bit mode: the disp32-only form is RIP-relative, with either
         * address size (0x67: EIP-relative); SIB's base 5 stays disp32 (vol.
         * 2A, 2.2.1.6, table 2-7). */
        in->rip_relative = r->mode == X86_MODE_64 && in->mod == 0 && in->rm == 5;
        if (in->rm == 4) {
            uint8_t sib = (uint8_t)take(r, 1);
            in->has_sib = true;
            in->scale = sib >> 6;
            in->index = (sib >> 3) & 7;
            in->base = sib & 7;
            if (in->mod == 0 && in->base == 5)
                disp = 4;
        }
    }
    in->displacement_size = (uint8_t)disp;
    in->displacement = sign_extend(take(r, disp), disp);
}

/* The immediates an opcode's flags ask for. */
static void decode_immediates(struct reader *r, struct x86_insn *in, unsigned flags)
{
    unsigned first = 0, rest = 0;
    if (flags & IB)
        first = 1;
    if (flags & (IZ | JZ))          /* 64-bit operands: imm32, sign-extended */
        first = in->operand_size == 8 ? 4 : in->operand_size;
    if ((flags & JZ) && r->mode == X86_MODE_64)
        first = 4;
    if (flags & IV)
        first = in->operand_size;
    if (flags & IW) {           /* ENTER: iw then ib */
        first = 2;
        rest = flags & IB ? 1 : 0;
    }
    if (flags & AP) {           /* offset, then a 16-bit selector */
        first = in->operand_size;
        rest = 2;
    }
    if (flags & ID)
        first = 4;
    if (flags & MO)
        first = in->address_size;
    if ((flags & G3) && in->reg < 2)
        first = in->opcode == 0xF6 ? 1 : in->operand_size == 8 ? 4 : in->operand_size;
    in->immediate = take(r, first);
    take(r, rest);
    in->immediate_size = (uint8_t)(first + rest);
}

/* What follows an opcode in a VEX, EVEX or XOP map. */
static unsigned vex_map_flags(uint8_t vex, uint8_t map, uint8_t opcode)
{
    if (vex == 0x8F)                                  /* XOP (AMD) */
        return map == 8 ? M | IB : map == 9 ? M : map == 10 ? M | ID : UD;
    switch (map) {
    case X86_MAP_0F:
        if (opcode == 0x77)
            return vex == 0x62 ? UD : N;              /* VZEROUPPER/VZEROALL */
        return (opcode >= 0x70 && opcode <= 0x73) || opcode == 0xC2 ||
               (opcode >= 0xC4 && opcode <= 0xC6) ? M | IB : M;
    case X86_MAP_0F38:
        return M;
    case X86_MAP_0F3A:
        return M | IB;
    case 5: case 6:                                   /* EVEX maps of AVX512-FP16 */
        return vex == 0x62 ? M : UD;
    }
    return UD;
}

/* The VEX (C4, C5), EVEX (62) or XOP (8F) prefix at r: in 32-bit mode each
 * is an older instruction (LES, LDS, BOUND, POP) unless the byte after it
 * could not be that instruction's ModR/M (mod = 11 for LES/LDS/BOUND, a map
 * number of 8 or more for POP; SDM vol. 2A, 2.3.5 and 2.7.1). 64-bit mode
 * has no LES, LDS or BOUND: C4, C5 and 62 are always prefixes there. */
static bool decode_vex(struct reader *r, struct x86_insn *in, uint8_t byte)
{
    uint8_t next = peek(r, 0);
    bool older = byte == 0x8F ? (next & 0x1F) < 8 : r->mode != X86_MODE_64 && (next >> 6) != 3;
    if (older)
        return false;
    in->vex = byte;
    if (byte == 0xC5) {                       /* C5 [R vvvv L pp] */
        take(r, 1);
        in->map = X86_MAP_0F;
    } else if (byte == 0x62) {                /* 62 P0 P1 P2 */
        in->map = (uint8_t)(take(r, 3) & 7);
    } else {                                  /* C4/8F [RXB mmmmm] [W vvvv L pp] */
        in->map = (uint8_t)(take(r, 2) & 0x1F);
    }
    in->opcode = (uint8_t)take(r, 1);
    unsigned flags = vex_map_flags(byte, in->map, in->opcode);
    if (flags & UD) {
        if (r->status == X86_DECODE_OK)
            r->status = X86_DECODE_UNDEFINED;
        return true;
    }
    if (flags & M)
        decode_modrm(r, in, false);
    decode_immediates(r, in, flags);
    return true;
}

/* 0F 78: VMREAD, or with a 66/F2 prefix AMD's EXTRQ/INSERTQ, which have
 * two 8-bit immediates (read here as one 16-bit value). */
static unsigned flags_0f78(const struct x86_insn *in)
{
    return in->rep == 0xF2 || (in->rep == 0 && in->operand_size_prefix) ? M | IW : M;
}

/* The operand and address sizes, after the prefixes (SDM vol. 1, 3.6.1,
 * table 3-4: in 64-bit mode REX.W makes the operand 64 bits whatever 0x66
 * says, and addresses are 64 bits, 32 with 0x67). Of the instructions
 * whose operand is 64 bits without REX.W (PUSH, POP, near branches), only
 * a near branch's displacement has a size that depends on it (JZ). */
static void operand_and_address_size(struct x86_insn *in, enum x86_mode mode)
{
    if (mode == X86_MODE_64) {
        in->operand_size = (in->rex & 8) ? 8 : in->operand_size_prefix ? 2 : 4;
        in->address_size = in->address_size_prefix ? 4 : 8;
        return;
    }
    unsigned other = mode == X86_MODE_16 ? 4 : 2;
    in->operand_size = (uint8_t)(in->operand_size_prefix ? other : mode);
    in->address_size = (uint8_t)(in->address_size_prefix ? other : mode);
}

enum x86_decode_status x86_decode(const uint8_t *code, size_t avail, enum x86_mode mode,
                                  struct x86_insn *in)
{
    struct reader r = { code, avail, 0, X86_DECODE_OK, mode };
    *in = (struct x86_insn){ 0 };
    uint8_t byte;
    unsigned flags;

    /* Legacy prefixes, in any order (SDM vol. 2A, 2.1.1), and in 64-bit mode
     * REX: it counts only right before the opcode; one a legacy prefix
     * follows is ignored (2.2.1), and of several the last counts. */
    for (;;) {
        byte = (uint8_t)take(&r, 1);
        flags = one_byte[byte];
        if (r.status != X86_DECODE_OK)
            break;
        if (mode == X86_MODE_64 && (byte & 0xF0) == 0x40) {
            in->rex = byte;
            continue;
        }
        if (!(flags & PFX))
            break;
        in->rex = 0;
        if (byte == 0xF0)
            in->lock = true;
        else if (byte == 0xF2 || byte == 0xF3)
            in->rep = byte;
        else if (byte == 0x66)
            in->operand_size_prefix = true;
        else if (byte == 0x67)
            in->address_size_prefix = true;
        else
            in->segment = byte;
    }
    operand_and_address_size(in, mode);

    if ((flags & SPC) && decode_vex(&r, in, byte)) {
        /* decoded whole */
    } else if (flags & ESC) {
        byte = (uint8_t)take(&r, 1);
        flags = two_byte[byte];
        in->map = X86_MAP_0F;
        in->opcode = byte;
        if (byte == 0x38 || byte == 0x3A) {  /* the three-byte maps */
            in->map = byte == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            in->opcode = (uint8_t)take(&r, 1);
            flags = byte == 0x38 ? M : M | IB;
        } else if (byte == 0x78) {
            flags = flags_0f78(in);
        }
    } else {
        in->opcode = byte;
        if (flags & SPC)                      /* BOUND, LES, LDS, POP r/m */
            flags = M;
        if (mode == X86_MODE_64 && invalid_in_64_bit_mode(byte))
            flags = UD;
    }

    if (!in->vex && r.status == X86_DECODE_OK) {
        if (flags & UD)
            r.status = X86_DECODE_UNDEFINED;
        else {
            if (flags & (M | REG))
                decode_modrm(&r, in, flags & REG);
            decode_immediates(&r, in, flags);
        }
    }
    in->length = (uint8_t)r.pos;
    return r.status;
}

/* The instructions LOCK may prefix, with a memory destination: ADD, ADC,
 * AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B, DEC, INC, NEG, NOT, OR, SBB, SUB,
 * XOR, XADD, XCHG (SDM vol. 2A, LOCK). */
static bool lock_allowed(const struct x86_insn *in)
{
    if (in->vex || !in->has_modrm || in->mod == 3)
        return false;
    uint8_t op = in->opcode;
    if (in->map == X86_MAP_ONE_BYTE) {
        if (op < 0x38 && (op & 7) <= 1)          /* ADD ... XOR r/m, r */
            return true;
        switch (op) {
        case 0x80: case 0x81: case 0x82: case 0x83: return in->reg != 7;   /* not CMP */
        case 0x86: case 0x87:                        return true;           /* XCHG */
        case 0xF6: case 0xF7:                        return in->reg == 2 || in->reg == 3;
        case 0xFE: case 0xFF:                        return in->reg <= 1;   /* INC, DEC */
        }
        return false;
    }
    if (in->map != X86_MAP_0F)
        return false;
    switch (op) {
    case 0xAB: case 0xB3: case 0xBB:             /* BTS, BTR, BTC */
    case 0xB0: case 0xB1: case 0xC0: case 0xC1:  /* CMPXCHG, XADD */
        return true;
    case 0xBA: return in->reg >= 5;              /* BTS, BTR, BTC imm8 */
    case 0xC7: return in->reg == 1;              /* CMPXCHG8B */
    }
    return false;
}

bool x86_raises_ud(const struct x86_insn *in)
{
    if (in->lock && !lock_allowed(in))
        return true;
    if (in->vex)
        return false;
    if (in->map == X86_MAP_ONE_BYTE)
        return (in->opcode == 0x8C && in->reg > 5) ||
               (in->opcode == 0x8E && (in->reg > 5 || in->reg == 1));
    if (in->map != X86_MAP_0F)
        return false;
    if (in->opcode == 0x20 || in->opcode == 0x22) {  /* REX.R: CR8, 64-bit mode's only */
        unsigned cr = x86_reg(in);
        return cr == 1 || (cr > 4 && cr != 8);
    }
    return in->opcode == 0x00 && in->reg >= 6;
}
