/*
 * bt_classify.c: what the translator does with each instruction (see
 * bt_classify.h). Opcodes: SDM vol. 2D, tables A-2 (one-byte), A-3 (0F),
 * A-4 (0F 38), A-6 (groups).
 *
 * Everything is copied but what would run wrongly or unsafely from the
 * translation cache at ring 1:
 *   - control flow, which must stay in translations (Adams & Agesen,
 *     ASPLOS 2006, section 3.1);
 *   - the sensitive instructions that do not trap at ring 1 (sensitive.h);
 *   - what uses GS, the vCPU page's segment in a translation, and data
 *     through CS, the translation cache's code segment, whose limit reaches
 *     the hypervisor's area (the guest's own segments stop below it);
 *   - segment loads, so that the page keeps the selectors the guest
 *     believes (SS and GS are the hypervisor's to load);
 *   - what the hypervisor must do itself: the privileged instructions
 *     (they would fault at ring 1 inside a translation, SDM vol. 3, 5.9),
 *     I/O, INT n, IRET, far transfers, SYSENTER/SYSEXIT, VMX instructions.
 *     An exit before them, rather than their fault, keeps every VM exit of
 *     a translation at an exit stub or at a copied instruction.
 */
#include "bt/bt_classify.h"
#include "x86/sensitive.h"

#define PREFIX_CS 0x2E
#define PREFIX_GS 0x65

/* Does the instruction read or write memory through its segment? (LEA
 * only computes an address; the hint NOPs and PREFETCHs at 0F 18-1F never
 * fault; MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, XLAT and MOV moffs have
 * no ModR/M.) */
static bool uses_memory(const struct x86_insn *in)
{
    if (in->map == X86_MAP_ONE_BYTE && !in->vex) {
        uint8_t op = in->opcode;
        if (op == 0x8D)
            return false;
        if ((op >= 0xA0 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) || (op >= 0x6C && op <= 0x6F) ||
            op == 0xD7)
            return true;
    }
    if (in->map == X86_MAP_0F && !in->vex && in->opcode >= 0x18 && in->opcode <= 0x1F)
        return false;
    return in->has_modrm && in->mod != 3;
}

static enum bt_action one_byte(const struct x86_insn *in)
{
    uint8_t op = in->opcode;
    bool size16 = in->operand_size == 2;
    if ((op >= 0x70 && op <= 0x7F) || (op >= 0xE0 && op <= 0xE3) || op == 0xE9 || op == 0xEB)
        return BT_DIRECT;
    switch (op) {
    case 0xE8:                                   /* CALL rel: a 16-bit one pushes IP */
        return size16 ? BT_EMULATE : BT_DIRECT;
    case 0xC2: case 0xC3:                        /* RET */
        return size16 ? BT_EMULATE : BT_INDIRECT;
    case 0xFF:                                   /* group 5 */
        if (in->reg == 2 || in->reg == 4)        /* CALL, JMP r/m */
            return size16 ? BT_EMULATE : BT_INDIRECT;
        if (in->reg == 3 || in->reg == 5)        /* far CALL, JMP m16:32 */
            return BT_EMULATE;
        return BT_COPY;
    case 0xFA: case 0xFB:                        /* CLI, STI: they trap at ring 1 */
        return BT_SENSITIVE;
    case 0x8E:                                   /* MOV Sreg, r/m */
        return in->reg == 0 || in->reg == 3 || in->reg == 4 ? BT_SEGMENT_LOAD : BT_EMULATE;
    case 0x07: case 0x1F:                        /* POP ES, DS */
    case 0xC4: case 0xC5:                        /* LES, LDS (VEX is decoded apart) */
        return BT_SEGMENT_LOAD;
    case 0x17:                                   /* POP SS */
    case 0x9A: case 0xEA: case 0xCA: case 0xCB:  /* far CALL, JMP, RET */
    case 0xCC: case 0xCD: case 0xCE: case 0xF1:  /* INT3, INT n, INTO, INT1 */
    case 0xF4:                                   /* HLT */
    case 0x6C: case 0x6D: case 0x6E: case 0x6F:  /* INS, OUTS */
        return BT_EMULATE;
    /* IN, OUT: every port exits in VMX non-root operation (the I/O bitmaps
     * are all ones, depriv_gdt.c; SDM 26.1.3), with a qualification that
     * says it all (28.2.1, table 28-5): the copy's exit is the guest's. */
    case 0xE4: case 0xE5: case 0xE6: case 0xE7:
    case 0xEC: case 0xED: case 0xEE: case 0xEF:
        return BT_PORT_IO;
    }
    return BT_COPY;
}

static enum bt_action two_byte(const struct x86_insn *in)
{
    uint8_t op = in->opcode;
    if (op >= 0x80 && op <= 0x8F)                /* Jcc rel32 */
        return BT_DIRECT;
    switch (op) {
    case 0xA1: case 0xB4:                        /* POP FS, LFS */
        return BT_SEGMENT_LOAD;
    case 0xA9: case 0xB5: case 0xB2:             /* POP GS, LGS, LSS */
    case 0x00:                                   /* LLDT, LTR (the rest: sensitive.c) */
    case 0x05: case 0x07: case 0x34: case 0x35:  /* SYSCALL, SYSRET, SYSENTER, SYSEXIT */
    case 0x06: case 0x08: case 0x09:             /* CLTS, INVD, WBINVD */
    case 0x21: case 0x23:                        /* MOV DR */
    case 0x30: case 0x32:                        /* WRMSR, RDMSR */
    case 0x78: case 0x79:                        /* VMREAD, VMWRITE */
        return BT_EMULATE;
    case 0x20:                                   /* MOV from CR0, CR2, CR3, CR4 (the rest */
        return BT_SENSITIVE;                     /* are #UD: x86_raises_ud) */
    /* MOV to CR3 and INVLPG, a context switch's and an unmap's: privileged
     * (CPL 0, else #GP(0): SDM vol. 2B, MOV, INVLPG), so the copy's #GP exit
     * is the hypervisor's to emulate where it is, in the translation
     * (depriv_bt_emulate.c); neither can fault at CPL 0 with 32-bit paging.
     * Not INVLPG with a CS or GS override, whose bases in a translation are
     * the TC's and the vCPU page's. The rest of MOV to CR exits. */
    case 0x22:
        return in->reg == 3 ? BT_PRIVILEGED : BT_EMULATE;
    case 0x0B: case 0xB9: case 0xFF:             /* UD2, UD1, UD0 */
        return BT_UD;
    case 0x01:                                   /* group 7 (SGDT, SIDT: sensitive.c) */
        if (in->mod != 3 && in->reg == 7 && in->segment != 0x2E && in->segment != 0x65)
            return BT_PRIVILEGED;                /* INVLPG (above) */
        if (in->mod != 3)                        /* LGDT, LIDT, LMSW, INVLPG; SMSW is not */
            return in->reg == 4 ? BT_COPY : BT_EMULATE;
        /* VMCALL..VMXOFF (reg 0), MONITOR/MWAIT (1), XSETBV (2, rm 1), LMSW */
        return in->reg <= 1 || (in->reg == 2 && in->rm == 1) || in->reg == 6 ? BT_EMULATE : BT_COPY;
    case 0xC7:                                   /* VMPTRLD, VMCLEAR, VMXON, VMPTRST */
        return in->mod != 3 && in->reg >= 6 ? BT_EMULATE : BT_COPY;
    }
    return BT_COPY;
}

enum bt_action bt_classify(const struct x86_insn *in)
{
    if (x86_raises_ud(in))
        return BT_UD;
    if (in->segment == PREFIX_GS || (in->segment == PREFIX_CS && uses_memory(in)))
        return BT_EMULATE;
    switch (sensitive_kind(in)) {
    case SENSITIVE_PUSHF: case SENSITIVE_POPF:
        return BT_SENSITIVE;
    case SENSITIVE_SEGMENT_READ: case SENSITIVE_DESCRIPTOR_TABLE_READ:
        /* A 16-bit address (0x67) is left to the hypervisor: bt_modrm_op
         * writes 32-bit ones. */
        return in->address_size_prefix && in->has_modrm && in->mod != 3 ? BT_EMULATE : BT_SENSITIVE;
    case SENSITIVE_SEGMENT_PROBE: case SENSITIVE_IRET:
        return BT_EMULATE;
    default:
        break;
    }
    if (in->vex)
        return BT_COPY;
    enum bt_action a = in->map == X86_MAP_ONE_BYTE ? one_byte(in) : in->map == X86_MAP_0F ? two_byte(in) : BT_COPY;
    /* A segment load's selector is checked first (bt_segment.h), read
     * through its operand again: bt_modrm_op writes 32-bit addresses only. */
    if (a == BT_SEGMENT_LOAD && in->address_size_prefix && in->has_modrm && in->mod != 3)
        return BT_EMULATE;
    if (in->map == X86_MAP_ONE_BYTE || in->map == X86_MAP_0F)
        return a;
    /* INVEPT, INVVPID, INVPCID (66 0F 38 80-82) */
    if (in->map == X86_MAP_0F38 && in->opcode >= 0x80 && in->opcode <= 0x82 && in->operand_size_prefix)
        return BT_EMULATE;
    return BT_COPY;
}
