/*
 * depriv_bt_segment.c: no instruction the guest kernel runs in place at
 * ring 1 loads one of the hypervisor's selectors (64-bit, VMX root; bt=1,
 * issue 21).
 *
 * With bt=1 the GDT copy holds the TC's code segment and the vCPU page's
 * data segment at ring 1 (depriv.h's DEPRIV_HV_SLOT) wherever the guest's
 * GDT ends below them. At the real CPL 1 the CPU lets a load of them
 * through (SDM vol. 3, 5.6: DPL >= max(CPL, RPL) for data and SS; 5.8.1:
 * DPL = CPL for a far JMP or CALL to non-conforming code, RPL <= CPL), where
 * the bare CPU, whose GDT ends below, faults: #GP(selector & ~3) (SDM vol.
 * 2A and 2B, MOV, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET, IRET,
 * "Protected Mode Exceptions"). Translations check their copied loads
 * themselves (hv/bt/bt_segment.h) and exit on these selectors; what runs
 * in place (an instruction handed back by an exit, code outside a flat CS,
 * an instruction breakpoint's) is checked here before it runs: the
 * selector it would load is read as the CPU would read it (the
 * instruction's bytes, the register, its memory operand, the stack), and
 * for one of the hypervisor's the #GP is delivered instead. A memory
 * operand the guest's tables refuse runs in place: its own fault comes
 * first on the CPU too (the CPU reads the operand before it checks the
 * selector). LAR, LSL, VERR and VERW of them do not fault but answer ZF 0
 * on the bare CPU, as depriv_emulate_probe, on the guest's own GDT, does.
 */
#include "depriv/depriv_bt.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_cache.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"

/* Whether selector names one of the hypervisor's slots of the GDT copy. */
static bool hv_selector(const struct vcpu *v, uint16_t selector)
{
    return v->depriv.hv_slots_in_use && !(selector & 4) && (selector >> 3) >= DEPRIV_HV_SLOT;
}

/* len bytes of the guest's memory at linear, where its tables allow the
 * access (none is delivered here). */
static bool peek(struct vcpu *v, uint32_t linear, void *buf, unsigned len)
{
    uint32_t cr2, error;
    return !depriv_page_faults(v, linear, len, 0, &cr2, &error) && depriv_read(v, linear, buf, len);
}

/* The selector at `at` bytes into the operand of len bytes at linear. */
static bool peek_selector(struct vcpu *v, uint32_t linear, unsigned len, unsigned at, uint16_t *selector)
{
    uint8_t m[8];
    if (!peek(v, linear, m, len))
        return false;
    *selector = (uint16_t)(m[at] | m[at + 1] << 8);
    return true;
}

/* The stack's top, as POP, RETF and IRET address it: ESP or SP by SS's B
 * flag (SDM vol. 3, 3.4.5.1). */
static uint32_t stack_top(void)
{
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
    if (!(vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) & 0x4000))
        esp &= 0xFFFF;
    return (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp;
}

/* A 16-bit r/m operand (MOV Sreg, LAR...), or m16:16/m16:32 (LxS, far JMP
 * and CALL: the selector after the offset, the whole operand read). */
static bool operand_selector(struct vcpu *v, const struct x86_insn *in, bool far, uint16_t *selector)
{
    uint32_t ea;
    if (in->mod == 3) {
        *selector = (uint16_t)guest_gpr(v, in->rm);
        return !far;                             /* a far pointer in a register is #UD */
    }
    unsigned at = far ? in->operand_size : 0;
    return depriv_effective_address(v, in, &ea) && peek_selector(v, ea, at + 2, at, selector);
}

/* The selector the instruction would load (probe: only look at it), if it
 * loads one and its operand can be read now. */
static bool loaded_selector(struct vcpu *v, const uint8_t *bytes, const struct x86_insn *in, uint16_t *selector,
                            bool *probe)
{
    unsigned size = in->operand_size;
    *probe = false;
    if (in->vex)
        return false;
    if (in->map == X86_MAP_ONE_BYTE) {
        switch (in->opcode) {
        case 0x8E:                                          /* MOV Sreg, r/m16 (CS: #UD) */
            return in->reg != 1 && in->reg <= 5 && operand_selector(v, in, false, selector);
        case 0x07: case 0x17: case 0x1F:                    /* POP ES, SS, DS */
            return peek_selector(v, stack_top(), 2, 0, selector);
        case 0xC4: case 0xC5:                               /* LES, LDS */
            return operand_selector(v, in, true, selector);
        case 0x9A: case 0xEA:                               /* far CALL, JMP ptr16:16/32 */
            *selector = (uint16_t)(bytes[in->length - 2] | bytes[in->length - 1] << 8);
            return true;
        case 0xFF:                                          /* far CALL, JMP m16:16/32 */
            return (in->reg == 3 || in->reg == 5) && operand_selector(v, in, true, selector);
        case 0xCA: case 0xCB: case 0xCF:                    /* RETF, IRET: CS after the offset */
            return peek_selector(v, stack_top(), 2 * size, size, selector);
        }
        return false;
    }
    if (in->map != X86_MAP_0F)
        return false;
    switch (in->opcode) {
    case 0xA1: case 0xA9:                                   /* POP FS, GS */
        return peek_selector(v, stack_top(), 2, 0, selector);
    case 0xB2: case 0xB4: case 0xB5:                        /* LSS, LFS, LGS */
        return operand_selector(v, in, true, selector);
    case 0x02: case 0x03:                                   /* LAR, LSL */
        *probe = true;
        return operand_selector(v, in, false, selector);
    case 0x00:                                              /* VERR, VERW */
        *probe = in->reg == 4 || in->reg == 5;
        return *probe && operand_selector(v, in, false, selector);
    }
    return false;
}

/* The instruction at the guest's CS:EIP, about to run in place at ring 1:
 * if it would load one of the hypervisor's selectors, what the bare CPU
 * does instead is done (#GP delivered, or the probe's answer). True then. */
static bool refused(struct vcpu *v)
{
    uint8_t bytes[X86_MAX_LENGTH];
    uint64_t linear;
    enum x86_mode mode;
    struct x86_insn in;
    uint16_t selector;
    bool probe;
    /* What the CPU would fetch: the shadow's mapping of CS:EIP (a page not
     * mapped yet faults in place, fetched before anything loads, and the
     * next entry checks again). */
    v->rip = vmcs_read(VMCS_GUEST_RIP);
    size_t n = guest_instruction_fetch(v, bytes, &linear, &mode);
    if (x86_decode(bytes, n, mode, &in) != X86_DECODE_OK || !loaded_selector(v, bytes, &in, &selector, &probe) ||
        !hv_selector(v, selector))
        return false;
    v->instruction_length = in.length;
    v->depriv.bt->hv_selectors_refused++;
    if (!probe) {
        depriv_deliver(v, VEC_GP, selector & ~3u, (uint32_t)v->rip, 0);
        return true;
    }
    struct depriv_step step = depriv_step_begin(v);
    if (depriv_emulate_probe(v, &in))
        advance_rip(v);
    depriv_step_end(v, step);
    return true;
}

bool depriv_bt_refuse_hv_selector(struct vcpu *v)
{
    uint32_t eip = (uint32_t)vmcs_read(VMCS_GUEST_RIP);
    /* An instruction breakpoint's fault comes before the instruction
     * (SDM vol. 3, 17.3.1.1): in place, unless RF says it came already. */
    if (depriv_bt_breakpoint_at(eip) && !(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_RF))
        return false;
    return refused(v);
}
