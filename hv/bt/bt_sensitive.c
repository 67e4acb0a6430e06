/*
 * bt_sensitive.c: lab 3's sensitive instructions translated (see
 * bt_sensitive.h). The rules: SDM vol. 2B, PUSHF, POPF (protected mode:
 * at CPL 0 IF and IOPL change; at the real CPL 1 > IOPL they stay as they
 * are, silently), CLI, STI; vol. 2B, MOV (from a segment register), PUSH;
 * vol. 2B, SGDT, SIDT, SLDT, STR; vol. 3, 3.4.2 (a selector's RPL, which
 * is why CS and SS read at ring 1 give the game away).
 */
#include "bt/bt_sensitive.h"
#include "bt/bt_vcpu.h"
#include "x86/sensitive.h"

#define SCRATCH BT_VCPU(scratch[0])
#define IF_IOPL (BT_EFLAGS_IF | BT_EFLAGS_IOPL)

/* LAB 3 BEGIN: CLI, STI, PUSHF and POPF translated on the virtual IF and IOPL */
/* CLI: the virtual IF 0 (a MOV: no flag changes). */
static void cli(struct bt_emit *e) { bt_gs_store_imm(e, BT_VCPU(vif), 0); }

/* STI: the virtual IF 1; with an interrupt pending, exit after the STI,
 * tested with JECXZ, which changes no flag. */
static void sti(struct bt_emit *e, const struct bt_runtime *rt, uint32_t next_eip)
{
    /* bt_segment.c's check exits on ECX the same way; not shared with it:
     * this is lab 3's to write (and lab 3's bugs.toml plants bugs here). */
    bt_gs_store_imm(e, BT_VCPU(vif), BT_EFLAGS_IF);
    bt_gs_store(e, SCRATCH, BT_ECX);
    bt_gs_load(e, BT_ECX, BT_VCPU(pending));
    size_t none = bt_jmp8(e, 0xE3);                 /* jecxz */
    bt_gs_load(e, BT_ECX, SCRATCH);
    bt_emit_exit(e, rt, BT_EXIT_STI, next_eip, 0);
    bt_aim8(e, none);
    bt_gs_load(e, BT_ECX, SCRATCH);
}

/* PUSHF: the CPU's image R first (the original's push: its fault, its
 * RF and VM cleared), then R with the virtual IF and IOPL in place of the
 * real ones. The AND and ORs change the flags; POPF of R itself puts them
 * back (at ring 1 it cannot change IF or IOPL: R holds their real values
 * anyway), and PUSH writes the merged image where R was. */
static void pushf(struct bt_emit *e, bool size16)
{
    static const uint8_t load32[] = { 0x8B, 0x04, 0x24 };        /* mov (%esp), %eax */
    static const uint8_t load16[] = { 0x0F, 0xB7, 0x04, 0x24 };  /* movzwl (%esp), %eax */
    if (size16)
        bt_u8(e, 0x66);
    bt_u8(e, 0x9C);
    bt_gs_store(e, SCRATCH, BT_EAX);
    if (size16)
        bt_bytes(e, load16, sizeof(load16));
    else
        bt_bytes(e, load32, sizeof(load32));
    bt_u8(e, 0x25);                                              /* and $~(IF|IOPL), %eax */
    bt_u32(e, ~IF_IOPL);
    bt_gs_op(e, false, 0x0B, BT_EAX, BT_VCPU(vif));               /* or %gs:vif, %eax */
    bt_gs_op(e, false, 0x0B, BT_EAX, BT_VCPU(viopl));
    if (size16)
        bt_u8(e, 0x66);
    bt_u8(e, 0x9D);                                              /* popf: R back */
    if (size16)
        bt_u8(e, 0x66);
    bt_u8(e, 0x50);                                              /* push %eax */
    bt_gs_load(e, BT_EAX, SCRATCH);
}

/* POPF: the image's IF and IOPL into the page (its read of (%esp) is the
 * original's first access), then the real POPF for the rest, which at
 * ring 1 leaves the real IF and IOPL alone. With the new IF 1 and an
 * interrupt pending (pending is IF's bit or 0: their AND), exit after it. */
static void popf(struct bt_emit *e, const struct bt_runtime *rt, bool size16, uint32_t next_eip)
{
    static const uint8_t load32[] = { 0x8B, 0x04, 0x24 };
    static const uint8_t load16[] = { 0x0F, 0xB7, 0x04, 0x24 };
    const uint8_t *load = size16 ? load16 : load32;
    size_t load_size = size16 ? sizeof(load16) : sizeof(load32);
    bt_gs_store(e, SCRATCH, BT_EAX);
    bt_bytes(e, load, load_size);
    bt_u8(e, 0x25);                                              /* and $IOPL, %eax */
    bt_u32(e, BT_EFLAGS_IOPL);
    bt_gs_store(e, BT_VCPU(viopl), BT_EAX);
    bt_bytes(e, load, load_size);
    bt_u8(e, 0x25);                                              /* and $IF, %eax */
    bt_u32(e, BT_EFLAGS_IF);
    bt_gs_store(e, BT_VCPU(vif), BT_EAX);
    bt_gs_op(e, false, 0x23, BT_EAX, BT_VCPU(pending));           /* and %gs:pending, %eax */
    bt_gs_load(e, BT_EAX, SCRATCH);
    size_t deliver = bt_jmp8(e, 0x75);                           /* jnz */
    if (size16)
        bt_u8(e, 0x66);
    bt_u8(e, 0x9D);
    size_t done = bt_jmp8(e, 0xEB);
    bt_aim8(e, deliver);
    if (size16)
        bt_u8(e, 0x66);
    bt_u8(e, 0x9D);
    bt_emit_exit(e, rt, BT_EXIT_INTERRUPT, next_eip, 0);
    bt_aim8(e, done);
}
/* LAB 3 END */

/* A register destination: the page's value, 16 or 32 bits (a 32-bit one
 * zero-extended, as P6 and later processors do: SDM vol. 2B, MOV, SLDT, STR). */
static void load_value(struct bt_emit *e, const struct x86_insn *in, uint32_t value)
{
    bt_gs_op(e, in->operand_size == 2, 0x8B, in->rm, value);
}

/* A memory destination: the original instruction first (its fault, its
 * write), then the page's 16-bit value over the bytes it wrote. */
static void overwrite_m16(struct bt_emit *e, const struct x86_insn *in, const uint8_t *bytes, uint32_t value)
{
    enum bt_reg r = bt_free_reg(in);
    bt_bytes(e, bytes, in->length);
    bt_gs_store(e, SCRATCH, r);
    bt_gs_op(e, true, 0x8B, r, value);
    bt_modrm_op(e, in, true, 0x89, r, 0);
    bt_gs_load(e, r, SCRATCH);
}

/* PUSH Sreg: the original push (its fault; the CPU's choice of what the
 * upper half of a 32-bit push holds, SDM vol. 2B, PUSH), then the page's
 * selector over its low 16 bits at (%esp). */
static void push_sreg(struct bt_emit *e, const uint8_t *bytes, const struct x86_insn *in, unsigned sreg)
{
    static const uint8_t store16[] = { 0x66, 0x89, 0x04, 0x24 };  /* mov %ax, (%esp) */
    bt_bytes(e, bytes, in->length);
    bt_gs_store(e, SCRATCH, BT_EAX);
    bt_gs_op(e, true, 0x8B, BT_EAX, BT_VCPU(selector[sreg]));
    bt_bytes(e, store16, sizeof(store16));
    bt_gs_load(e, BT_EAX, SCRATCH);
}

static void segment_read(struct bt_emit *e, const uint8_t *bytes, const struct x86_insn *in)
{
    if (in->map == X86_MAP_0F) {                                 /* PUSH FS, GS */
        push_sreg(e, bytes, in, in->opcode == 0xA0 ? BT_FS : BT_GS);
        return;
    }
    if (in->opcode != 0x8C) {                                    /* PUSH ES, CS, SS, DS */
        push_sreg(e, bytes, in, in->opcode >> 3);
        return;
    }
    uint32_t value = BT_VCPU(selector[in->reg]);                 /* reg <= 5: x86_raises_ud */
    if (in->mod == 3)
        load_value(e, in, value);
    else
        overwrite_m16(e, in, bytes, value);
}

/* SGDT, SIDT: the original's 6 bytes, then the guest's limit and base. */
static void store_dtr(struct bt_emit *e, const uint8_t *bytes, const struct x86_insn *in)
{
    uint32_t dtr = in->reg == 0 ? BT_VCPU(gdtr) : BT_VCPU(idtr);
    enum bt_reg r = bt_free_reg(in);
    bt_bytes(e, bytes, in->length);
    bt_gs_store(e, SCRATCH, r);
    bt_gs_op(e, true, 0x8B, r, dtr + offsetof(struct bt_dtr, limit));
    bt_modrm_op(e, in, true, 0x89, r, 0);
    bt_gs_load(e, r, dtr + offsetof(struct bt_dtr, base));
    bt_modrm_op(e, in, false, 0x89, r, 2);
    bt_gs_load(e, r, SCRATCH);
}

static void descriptor_table_read(struct bt_emit *e, const uint8_t *bytes, const struct x86_insn *in)
{
    if (in->opcode == 0x01) {
        store_dtr(e, bytes, in);
        return;
    }
    uint32_t value = in->reg == 0 ? BT_VCPU(ldtr) : BT_VCPU(tr);    /* SLDT, STR */
    if (in->mod == 3)
        load_value(e, in, value);
    else
        overwrite_m16(e, in, bytes, value);
}

/* The register a segment load loads, by its opcode. */
static unsigned loaded_sreg(const struct x86_insn *in)
{
    if (in->map == X86_MAP_0F)
        return BT_FS;                                            /* POP FS, LFS */
    switch (in->opcode) {
    case 0x8E: return in->reg;
    case 0x07: case 0xC4: return BT_ES;                          /* POP ES, LES */
    default: return BT_DS;                                       /* POP DS, LDS */
    }
}

/* MOV from CR0, CR2, CR3, CR4 (0F 20 /r, the operand a register whatever
 * mod says, SDM vol. 2B, MOV "Move to/from Control Registers"): at ring 1
 * it faults, and its value is the guest's own anyway (the hypervisor's
 * view of CR0 and CR4, the CR3 it loaded, its CR2), which the hypervisor
 * keeps in the page at every entry: one MOV from the page. The flags,
 * which it leaves undefined, are kept. */
static void control_register_read(struct bt_emit *e, const struct x86_insn *in)
{
    bt_gs_load(e, (enum bt_reg)in->rm, BT_VCPU(cr) + 4 * in->reg);
}

void bt_sensitive_emit(struct bt_emit *e, const struct bt_runtime *rt, const uint8_t *bytes,
                       const struct x86_insn *in, uint32_t next_eip)
{
    if (in->map == X86_MAP_ONE_BYTE && (in->opcode == 0xFA || in->opcode == 0xFB)) {
        if (in->opcode == 0xFA)
            cli(e);
        else
            sti(e, rt, next_eip);
        return;
    }
    if (in->map == X86_MAP_0F && in->opcode == 0x20) {
        control_register_read(e, in);
        return;
    }
    switch (sensitive_kind(in)) {
    case SENSITIVE_PUSHF:
        pushf(e, in->operand_size == 2);
        return;
    case SENSITIVE_POPF:
        popf(e, rt, in->operand_size == 2, next_eip);
        return;
    case SENSITIVE_SEGMENT_READ:
        segment_read(e, bytes, in);
        return;
    case SENSITIVE_DESCRIPTOR_TABLE_READ:
        descriptor_table_read(e, bytes, in);
        return;
    default:                                                     /* a segment load */
        bt_bytes(e, bytes, in->length);
        bt_gs_op(e, false, 0x8C, loaded_sreg(in), BT_VCPU(selector[loaded_sreg(in)]));
        return;
    }
}
