/*
 * bt_gate.c: the trampoline of INT n from user mode, and its stubs (see
 * bt_gate.h). The flags are the guest's again before the jump to the
 * handler (POPF of what PUSHF saved), so the checks may use them.
 */
#include "bt/bt_gate.h"

#define SAVED(r)   (BT_VCPU(gate_saved) + 4u * (r))   /* by enum bt_reg, EAX to EBX */
#define GATE_WORD  BT_VCPU(gate_word)
#define FRAME(i)   (BT_VCPU(gate_frame) + 4u * (i))
#define JZ 0x4
#define JNZ 0x5
#define EFLAGS_IF 0x200u                 /* SDM vol. 1, 3.4.3 */

static void bytes(struct bt_emit *e, const uint8_t *b, size_t n) { bt_bytes(e, b, n); }
#define BYTES(e, ...) do { static const uint8_t b_[] = { __VA_ARGS__ }; bytes(e, b_, sizeof(b_)); } while (0)

/* op %gs:disp32(,%ecx,scale) with ModR/M reg field `reg` (SIB: no base). */
static void gs_indexed(struct bt_emit *e, uint8_t opcode, unsigned reg, unsigned scale_bits, uint32_t disp)
{
    uint8_t op[4] = { 0x65, opcode, (uint8_t)(reg << 3 | 4), (uint8_t)(scale_bits << 6 | 1 << 3 | 5) };
    bt_bytes(e, op, sizeof(op));
    bt_u32(e, disp);
}

struct bt_gate_code bt_gate_emit(struct bt_emit *e, const struct bt_runtime *rt)
{
    struct bt_gate_code c = { .start = bt_here(e) };
    size_t to_fallback[4];
    uint32_t trampoline = bt_here(e);

    /* SS:ESP is the page's gate_vector: the CPU's frame, then the stub's PUSH. */
    BYTES(e, 0x9C);                                   /* pushf: gate_flags */
    BYTES(e, 0x36, 0x8C, 0x2D);                       /* mov %gs, %ss:gs_real (the user's) */
    bt_u32(e, BT_VCPU(gs_real));
    c.gs_kept = bt_here(e);
    BYTES(e, 0x16, 0x0F, 0xA9);                       /* push %ss; pop %gs: the vCPU page */
    for (enum bt_reg r = BT_EAX; r <= BT_EBX; r++)
        bt_gs_store(e, SAVED(r), r);
    c.saved = bt_here(e);

    /* The kernel stack: SS the checked TSS.SS0, its TSS.ESP0 read now. */
    BYTES(e, 0x65, 0x0F, 0xB7, 0x0D);                 /* movzwl %gs:gate_ss, %ecx */
    bt_u32(e, BT_VCPU(gate_ss));
    BYTES(e, 0x85, 0xC9);                             /* test %ecx, %ecx: none checked */
    to_fallback[0] = bt_jcc(e, JZ, 0);
    BYTES(e, 0x8E, 0xD1);                             /* mov %ecx, %ss */
    bt_gs_load(e, BT_EAX, BT_VCPU(gate_tss));
    BYTES(e, 0x36, 0x8B, 0x50, 0x04);                 /* mov %ss:4(%eax), %edx: ESP0 */
    BYTES(e, 0x36, 0x0F, 0xB7, 0x40, 0x08);           /* movzwl %ss:8(%eax), %eax: SS0 */
    bt_gs_op(e, false, 0x3B, BT_EAX, BT_VCPU(gate_ss_guest));   /* cmp %gs:gate_ss_guest, %eax */
    to_fallback[1] = bt_jcc(e, JNZ, 0);

    /* The guest's gate, as the hypervisor checked it. */
    BYTES(e, 0x65, 0x0F, 0xB6, 0x0D);                 /* movzbl %gs:gate_vector, %ecx */
    bt_u32(e, BT_VCPU(gate_vector));
    bt_gs_load(e, BT_EAX, BT_VCPU(gate_idt));
    BYTES(e, 0x36, 0x8B, 0x1C, 0xC8);                 /* mov %ss:(%eax,%ecx,8), %ebx */
    gs_indexed(e, 0x3B, BT_EBX, 3, GATE_WORD);        /* cmp %gs:gate_word(,%ecx,8), %ebx */
    to_fallback[2] = bt_jcc(e, JNZ, 0);
    BYTES(e, 0x36, 0x8B, 0x5C, 0xC8, 0x04);           /* mov %ss:4(%eax,%ecx,8), %ebx */
    gs_indexed(e, 0x3B, BT_EBX, 3, GATE_WORD + 4);
    to_fallback[3] = bt_jcc(e, JNZ, 0);

    /* The frame onto the kernel stack, its EFLAGS with the IF the guest
     * believes it had in user mode (iret_if: bits 15:8), as the
     * hypervisor's delivery writes it (depriv_guest_eflags). */
    BYTES(e, 0x65, 0x0F, 0xB6, 0x1D);                 /* movzbl %gs:iret_if, %ebx */
    bt_u32(e, BT_VCPU(iret_if));
    BYTES(e, 0xC1, 0xE3, 0x08);                       /* shl $8, %ebx */
    BYTES(e, 0x81, 0xE3);                             /* and $IF, %ebx */
    bt_u32(e, EFLAGS_IF);
    BYTES(e, 0x8D, 0x52, 0xEC);                       /* lea -20(%edx), %edx */
    for (unsigned i = 0; i < 5; i++) {
        bt_gs_load(e, BT_EAX, FRAME(i));
        if (i == 2) {
            BYTES(e, 0x25);                           /* and $~IF, %eax */
            bt_u32(e, ~EFLAGS_IF);
            BYTES(e, 0x09, 0xD8);                     /* or %ebx, %eax */
        }
        BYTES(e, 0x36, 0x89, 0x42);                   /* mov %eax, %ss:4i(%edx) */
        bt_u8(e, (uint8_t)(4 * i));
    }
    /* An exception's error code below it (its stub's vector carries
     * BT_GATE_HARDWARE), as the CPU pushes it last (SDM 6.13). */
    BYTES(e, 0x65, 0xF6, 0x05);                       /* testb $1, %gs:gate_vector+1 */
    bt_u32(e, BT_VCPU(gate_vector) + 1);
    bt_u8(e, BT_GATE_HARDWARE >> 8);
    size_t no_error = bt_jmp8(e, 0x74);               /* jz */
    bt_gs_load(e, BT_EAX, BT_VCPU(gate_error));
    BYTES(e, 0x36, 0x89, 0x42, 0xFC);                 /* mov %eax, %ss:-4(%edx) */
    BYTES(e, 0x8D, 0x52, 0xFC);                       /* lea -4(%edx), %edx */
    bt_aim8(e, no_error);
    BYTES(e, 0x89, 0xD4);                             /* mov %edx, %esp */

    /* What the guest believes now: IF the user's through a trap gate
     * (type bit 0 set, bit 8 of the gate's high word), 0 through an
     * interrupt gate (SDM 6.12.1.3). */
    gs_indexed(e, 0x8B, BT_EAX, 3, GATE_WORD + 4);    /* mov %gs:gate_word+4(,%ecx,8), %eax */
    BYTES(e, 0xC1, 0xE8, 0x08, 0x83, 0xE0, 0x01);     /* shr $8, %eax; and $1, %eax */
    BYTES(e, 0xF7, 0xD8, 0x21, 0xD8);                 /* neg %eax; and %ebx, %eax */
    BYTES(e, 0x25, 0x00, 0x02, 0x00, 0x00);           /* and $IF, %eax */
    bt_gs_store(e, BT_VCPU(vif), BT_EAX);
    gs_indexed(e, 0x8B, BT_EAX, 3, GATE_WORD);        /* the gate's selector, RPL 0: CS */
    BYTES(e, 0xC1, 0xE8, 0x10, 0x25, 0xFC, 0xFF, 0x00, 0x00);   /* shr $16; and $0xFFFC */
    bt_gs_store(e, BT_VCPU(selector[BT_CS]), BT_EAX);
    bt_gs_load(e, BT_EAX, BT_VCPU(gate_ss_guest));
    bt_gs_store(e, BT_VCPU(selector[BT_SS]), BT_EAX);
    static const uint8_t data_segments[][2] = {     /* mov %es/%ds/%fs, %eax (zero-extended) */
        { 0x8C, 0xC0 }, { 0x8C, 0xD8 }, { 0x8C, 0xE0 } };
    static const enum bt_sreg sreg[] = { BT_ES, BT_DS, BT_FS };
    for (unsigned i = 0; i < 3; i++) {
        bytes(e, data_segments[i], 2);
        bt_gs_store(e, BT_VCPU(selector[0]) + 4u * sreg[i], BT_EAX);
    }
    BYTES(e, 0x65, 0x0F, 0xB7, 0x05);                 /* movzwl %gs:gs_real, %eax */
    bt_u32(e, BT_VCPU(gs_real));
    bt_gs_store(e, BT_VCPU(selector[BT_GS]), BT_EAX);
    bt_gs_op(e, false, 0xFF, 0, BT_VCPU(gate_entries));   /* incl %gs:gate_entries */

    /* On to the handler: straight to its translation if the hypervisor
     * named it for this vector (gate_direct_*), else its EIP the lookup
     * routine's target. */
    gs_indexed(e, 0x8B, BT_EAX, 2, BT_VCPU(gate_handler));   /* mov %gs:gate_handler(,%ecx,4), %eax */
    bt_gs_store(e, BT_VCPU(target), BT_EAX);
    bt_gs_store_imm(e, BT_VCPU(lookup_site), 0);
    BYTES(e, 0xB8);                                   /* mov $lookup, %eax */
    bt_u32(e, rt->lookup);
    bt_gs_op(e, false, 0x3B, BT_ECX, BT_VCPU(gate_direct_vector));   /* cmp %gs:gate_direct_vector, %ecx */
    size_t not_direct = bt_jmp8(e, 0x75);             /* jne */
    bt_gs_load(e, BT_EAX, BT_VCPU(gate_direct_tc));
    bt_aim8(e, not_direct);
    bt_gs_store(e, BT_VCPU(gate_jump), BT_EAX);
    for (enum bt_reg r = BT_EAX; r <= BT_EBX; r++)
        bt_gs_load(e, r, SAVED(r));
    bt_gs_op(e, false, 0xFF, 6, BT_VCPU(gate_flags));     /* push %gs:gate_flags */
    BYTES(e, 0x9D);                                   /* popf */
    bt_gs_op(e, false, 0xFF, 4, BT_VCPU(gate_jump));      /* jmp *%gs:gate_jump */

    /* A check failed: the hypervisor puts the user back at its INT. */
    c.fallback = bt_here(e);
    for (unsigned i = 0; i < 4; i++)
        bt_aim32(e, to_fallback[i]);
    BYTES(e, 0x0F, 0x01, 0xC1);                       /* vmcall */

    c.stubs = bt_here(e);
    for (unsigned n = 0; n < 256; n++) {
        bt_u8(e, 0x68);                               /* push $n */
        bt_u32(e, n);
        bt_jmp(e, trampoline);
    }
    /* An exception's: its error code, the last word the CPU pushed (where
     * the stub's vector goes), taken off into the page first. */
    c.error_stubs = bt_here(e);
    for (unsigned n = 0; n < BT_GATE_EXCEPTIONS; n++) {
        BYTES(e, 0x36, 0x8F, 0x05);                   /* pop %ss:gate_error */
        bt_u32(e, BT_VCPU(gate_error));
        bt_u8(e, 0x68);                               /* push $(n | BT_GATE_HARDWARE) */
        bt_u32(e, n | BT_GATE_HARDWARE);
        bt_jmp(e, trampoline);
    }
    c.end = bt_here(e);
    return c;
}
