/*
 * sensitive.c: the sensitive instructions that do not trap at ring 1, by
 * their opcodes (SDM vol. 2D, tables; see sensitive.h),
 * and the scan of a guest's code for them.
 */
#include "x86/sensitive.h"

enum sensitive_kind sensitive_kind(const struct x86_insn *in)
{
    /* A VEX instruction is none of these, and an encoding the CPU refuses
     * (LOCK PUSHF, MOV r/m, segment register 7) must keep its #UD: patched,
     * it would be emulated. */
    if (in->vex || x86_raises_ud(in))
        return SENSITIVE_NONE;
    if (in->map == X86_MAP_ONE_BYTE) {
        switch (in->opcode) {
        case 0x9C: return SENSITIVE_PUSHF;
        case 0x9D: return SENSITIVE_POPF;
        case 0xCF: return SENSITIVE_IRET;
        case 0x8C:                                     /* MOV r/m16, Sreg (0-5) */
        case 0x06: case 0x0E: case 0x16: case 0x1E:    /* PUSH ES, CS, SS, DS */
            return SENSITIVE_SEGMENT_READ;
        }
        return SENSITIVE_NONE;
    }
    if (in->map != X86_MAP_0F)
        return SENSITIVE_NONE;
    switch (in->opcode) {
    case 0xA0: case 0xA8:                              /* PUSH FS, GS */
        return SENSITIVE_SEGMENT_READ;
    case 0x00:                                         /* group 6 */
        if (in->reg == 0 || in->reg == 1)              /* SLDT, STR */
            return SENSITIVE_DESCRIPTOR_TABLE_READ;
        if (in->reg == 4 || in->reg == 5)              /* VERR, VERW */
            return SENSITIVE_SEGMENT_PROBE;
        return SENSITIVE_NONE;                         /* LLDT, LTR: they trap */
    case 0x01:                                         /* group 7: SGDT, SIDT take memory; */
        return in->mod != 3 && in->reg <= 1 ? SENSITIVE_DESCRIPTOR_TABLE_READ : SENSITIVE_NONE;
    case 0x02: case 0x03:                              /* LAR, LSL */
        return SENSITIVE_SEGMENT_PROBE;
    }
    return SENSITIVE_NONE;
}

const char *sensitive_kind_name(enum sensitive_kind kind)
{
    switch (kind) {
    case SENSITIVE_NONE:                  return "not sensitive";
    case SENSITIVE_PUSHF:                 return "PUSHF";
    case SENSITIVE_POPF:                  return "POPF";
    case SENSITIVE_SEGMENT_READ:          return "segment-register read";
    case SENSITIVE_DESCRIPTOR_TABLE_READ: return "descriptor-table read";
    case SENSITIVE_SEGMENT_PROBE:         return "segment probe";
    case SENSITIVE_IRET:                  return "IRET";
    case SENSITIVE_KINDS:                 break;
    }
    return "?";
}

void sensitive_scan_code(const uint8_t *code, size_t len, uint32_t address,
                         struct sensitive_scan *scan, sensitive_found_fn found, void *ctx)
{
    size_t pos = 0;
    while (pos < len) {
        struct x86_insn in;
        if (x86_decode(code + pos, len - pos, X86_MODE_32, &in) != X86_DECODE_OK) {
            scan->undecodable++;
            pos++;
            continue;
        }
        enum sensitive_kind kind = sensitive_kind(&in);
        scan->count[kind]++;
        if (kind != SENSITIVE_NONE && found)
            found(ctx, address + (uint32_t)pos, kind, &in);
        pos += in.length;
    }
}

unsigned sensitive_scan_instructions(const struct sensitive_scan *scan)
{
    unsigned n = 0;
    for (int k = 0; k < SENSITIVE_KINDS; k++)
        n += scan->count[k];
    return n;
}
