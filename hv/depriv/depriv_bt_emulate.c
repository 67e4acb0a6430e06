/*
 * depriv_bt_emulate.c: the instructions a translation hands to the
 * hypervisor (BT_EXIT_EMULATE), emulated at that exit (64-bit, VMX root;
 * bt=1, issue 21).
 *
 * Run in place, each would cost a second exit: the #GP it raises at ring 1
 * (a privileged instruction, INT n through the empty real IDT), or the
 * single-step trap after it. The guest is canonical here (depriv_bt.c left
 * the translation before it), so cpu=deprivileged's own emulation does the
 * work, exactly as at that second exit: the #GP's
 * (depriv_emulate_general_protection, with the error code the CPU would
 * give), IRET's (depriv_iret: to the guest's ring 0 or to its user mode),
 * LAR/LSL/VERR/VERW's (which do not fault at ring 1 and would answer for it
 * in place). IN and OUT are not here: they are copied, and their own I/O
 * exit comes from the translation (depriv_bt.c, stay_for_port_io). What is
 * not listed (string I/O, far transfers, a GS prefix, MOV to GS and SS,
 * ...) still runs in place.
 */
#include "depriv/depriv_bt.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_cache.h"
#include "bt/bt_classify.h"
#include "guest/guest_linear.h"
#include "guest/guest.h"
#include "guest/shadow_spaces.h"
#include "guest/vcpu.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"
#include "x86/sensitive.h"

/* The instructions that raise #GP at ring 1 in place (SDM vol. 3, 5.9;
 * vol. 2: each one's "Protected Mode Exceptions"), and that #GP's error
 * code: INT n's names the IDT's gate (at ring 1 the real IDT holds none
 * the guest's kernel may use: vector * 8 + 2, an IDT selector), the
 * others' is 0. */
static bool faults_at_ring1(const struct x86_insn *in, uint32_t *error)
{
    *error = 0;
    if (in->map == X86_MAP_ONE_BYTE) {
        if (in->opcode == 0xCD) {
            *error = (uint32_t)(uint8_t)in->immediate * 8 + 2;
            return true;
        }
        return in->opcode == 0xF4;                                  /* HLT */
    }
    if (in->map != X86_MAP_0F)
        return false;
    switch (in->opcode) {
    case 0x00: return in->reg == 2 || in->reg == 3;                 /* LLDT, LTR */
    case 0x01: return (in->mod != 3 && (in->reg == 2 || in->reg == 3 || in->reg == 7))   /* LGDT, LIDT, INVLPG */
                      || in->reg == 6;                              /* LMSW */
    case 0x06: case 0x08: case 0x09:                                /* CLTS, INVD, WBINVD */
    case 0x20: case 0x21: case 0x22: case 0x23:                     /* MOV CR, MOV DR */
    case 0x30: case 0x32:                                           /* WRMSR, RDMSR */
        return true;
    }
    return false;
}

/* MOV GS, r/m16 and POP GS, which the guest kernel's trap entry and exit
 * run every time: GS is the vCPU page's while a translation runs, so they
 * exit; their load is checked here as the CPU would check it at ring 1
 * (depriv_data_segment_fault), the fault delivered with the selector, and
 * the guest canonical again with its new GS. False if in is neither. */
static bool load_gs(struct vcpu *v, const struct x86_insn *in)
{
    bool mov = in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8E && in->reg == 5;
    bool pop = in->map == X86_MAP_0F && in->opcode == 0xA9;
    if (!mov && !pop)
        return false;
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP), ea, value = 0;
    if (mov && in->mod == 3) {
        value = (uint32_t)guest_gpr(v, in->rm);
    } else if (mov ? !depriv_effective_address(v, in, &ea) || !depriv_operand_read(v, ea, &value, 2)
                   : !depriv_operand_read(v, (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp, &value,
                                          in->operand_size)) {
        return true;                            /* its #PF delivered */
    }
    uint16_t selector = (uint16_t)value;
    unsigned fault = depriv_data_segment_fault(v, selector);
    if (fault) {
        depriv_deliver(v, fault, selector & ~3u, (uint32_t)v->rip, 0);
        return true;
    }
    depriv_load_segment(v, VMCS_GUEST_GS_SELECTOR, selector);
    depriv_bt_gs_allow(v, selector);            /* its translations load it themselves from now on */
    if (pop)
        vmcs_write(VMCS_GUEST_RSP, esp + in->operand_size);
    advance_rip(v);
    v->depriv.emulated++;
    return true;
}

/* Can a write to the frame at gpa change code without the hypervisor
 * knowing? Not if code was translated from it: it is write-protected in
 * the shadow (depriv_bt_cache.c), and the hypervisor's own stores tell the
 * translator (depriv_touch.c). A hot frame, written without a trap, never
 * is; nor is a frame only ever run one instruction at a time (the guest's
 * TF: hostile bt-emul-rewrite-single-step), whose writes exit nowhere. */
static bool watched(const struct depriv_bt *bt, uint64_t gpa)
{
    return bt_cache_frame_translated(bt, gpa) && !bt_cache_frame_hot(bt, gpa);
}

/* The instruction at eip decoded: as it was the last time, if its code
 * cannot have changed since (the same frames, no translation dropped, both
 * frames watched), else read and decoded again (about 700 cycles: a walk
 * of the guest's tables and the decoder), its pages made fetchable. False:
 * no instruction the hypervisor decodes. */
static bool decode_at(struct vcpu *v, uint32_t eip, struct x86_insn *in)
{
    struct depriv_bt *bt = v->depriv.bt;
    struct bt_decoded *d = &bt->decoded[(eip ^ eip >> 7) % BT_DECODED];
    uint64_t gpa[2];
    if (d->eip == eip && d->generation == bt_cache_generation(bt) + 1) {
        bool mapped = guest_shadow_gpa(v->guest, eip, &gpa[0]) &&
                      guest_shadow_gpa(v->guest, eip + d->in.length - 1, &gpa[1]);
        if (mapped && gpa[0] == d->gpa[0] && gpa[1] == d->gpa[1] && watched(bt, gpa[0]) && watched(bt, gpa[1])) {
            *in = d->in;
            bt->decoded_again++;
            return true;
        }
    }
    uint8_t bytes[X86_MAX_LENGTH];
    size_t n = guest_linear_read(v->guest, eip, bytes, sizeof(bytes));
    if (x86_decode(bytes, n, X86_MODE_32, in) != X86_DECODE_OK || in->vex || !depriv_bt_fetchable(v, eip, in->length))
        return false;
    if (guest_shadow_gpa(v->guest, eip, &gpa[0]) && guest_shadow_gpa(v->guest, eip + in->length - 1, &gpa[1]) &&
        watched(bt, gpa[0]) && watched(bt, gpa[1]))
        *d = (struct bt_decoded){ eip, bt_cache_generation(bt) + 1, { gpa[0], gpa[1] }, *in };
    return true;
}

/* The copy's own bytes are decoded: the TC is the hypervisor's, never the
 * guest's to write, and holds the guest's instruction as it was
 * translated. After the emulation the translated pages are checked
 * against the new tables (bt_cache_check_mappings, as at an entry). If that
 * dropped any block, *stay is false: the guest is to leave, past the
 * instruction, and enter again by the lookup, for a dropped block (this
 * one, perhaps) keeps its slots chained (only the live ones' are
 * unchained), and the slot after the copy may lead into code translated
 * from the frame the page mapped before (hostile bt-cr3-remaps-own-code).
 * MOV to CR3 without prefixes (0F 22 /3, a register whatever its mod: SDM
 * vol. 2B, MOV to/from control registers) is the context switch's, and is
 * recognised from its bytes and done here: the decoder and the emulation's
 * dispatch cost more than the load. Copied from the kernel's code, it runs
 * at CPL 0, where in 32-bit paging it never faults. */
/* INVLPG (0F 01 /7 with a memory operand, SDM vol. 2A, INVLPG), the linear
 * page it names worked out (false if its address faults: the emulation
 * delivers that). After its emulation, that page alone is checked again. */
static bool invlpg_page(struct vcpu *v, const struct x86_insn *in, uint32_t *page)
{
    return in->map == X86_MAP_0F && in->opcode == 0x01 && in->reg == 7 && in->mod != 3 &&
           depriv_effective_address(v, in, page);
}

bool depriv_bt_privileged_in_tc(struct vcpu *v, uint32_t rip, bool *stay)
{
    struct depriv_bt *bt = v->depriv.bt;
    const uint8_t *copy = bt->tc + (rip - BT_TC_BASE);
    uint64_t invalidations = bt->invalidations;
    bool invlpg = false;
    uint32_t page = 0;
    if (copy[0] == 0x0F && copy[1] == 0x22 && (copy[2] >> 3 & 7) == 3) {
        v->instruction_length = 3;
        shadow_spaces_load_cr3(v->guest, (uint32_t)guest_gpr(v, copy[2] & 7));
        advance_rip(v);
        v->depriv.emulated++;
    } else {
        struct x86_insn in;
        if (x86_decode(copy, X86_MAX_LENGTH, X86_MODE_32, &in) != X86_DECODE_OK || bt_classify(&in) != BT_PRIVILEGED)
            return false;
        invlpg = in.map == X86_MAP_0F && in.opcode == 0x01;
        if (invlpg && !invlpg_page(v, &in, &page))
            return false;
        v->instruction_length = in.length;
        depriv_emulate_general_protection(v, &in, 0);   /* RIP past the copy, as past the original */
    }
    if (invlpg)
        bt_cache_check_page(v, page);
    else
        bt_cache_check_mappings(v);
    *stay = bt->invalidations == invalidations;
    return true;
}

bool depriv_bt_emulate(struct vcpu *v, uint32_t eip)
{
    struct x86_insn in;
    if (!decode_at(v, eip, &in))
        return false;
    uint32_t error;
    v->instruction_length = in.length;
    if (sensitive_kind(&in) == SENSITIVE_SEGMENT_PROBE) {   /* lab 3's list (x86/sensitive.h) */
        if (depriv_emulate_probe(v, &in)) {
            advance_rip(v);
            v->depriv.emulated++;
        }
    } else if (in.map == X86_MAP_ONE_BYTE && in.opcode == 0xCF && in.operand_size == 4) {
        depriv_iret(v);
    } else if (load_gs(v, &in)) {
        /* done */
    } else if (faults_at_ring1(&in, &error)) {
        uint32_t page;
        bool invlpg = invlpg_page(v, &in, &page);
        depriv_emulate_general_protection(v, &in, error);
        if (invlpg)
            bt_cache_check_page(v, page);
    } else {
        /* INS and OUTS exit in place whatever their count (every port
         * exits: depriv_gdt.c), and the I/O exit does them in parts: no
         * single-step trap after each element. */
        v->depriv.bt->in_place_exits = in.map == X86_MAP_ONE_BYTE && in.opcode >= 0x6C && in.opcode <= 0x6F;
        return false;
    }
    return true;
}
