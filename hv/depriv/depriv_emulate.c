/*
 * depriv_emulate.c: the exits of a deprivileged guest (64-bit, VMX root;
 * lab 3): trap-and-emulate.
 *
 * Every exception exits. A #GP at ring 1 is most often the guest kernel
 * doing something only ring 0 may: the instruction at CS:EIP is decoded
 * (x86_decode.c) and emulated here, with what the guest would have seen at
 * ring 0, and EIP moved past it. The SDM's pages for each instruction say
 * when it faults at CPL > 0 (vol. 2): CLI/STI (CPL > IOPL), HLT, LGDT,
 * LIDT, LTR, LLDT, MOV to and from CRn and DRn, INVLPG, RDMSR/WRMSR,
 * RDPMC, WBINVD/INVD, IRET and far RET to a more privileged level, MOV SS
 * and POP SS with a selector whose RPL is not the CPL; and INT n faults
 * here because the real IDT is empty (error code: the vector, with the IDT
 * bit).
 *
 * The bytes decoded are the ones the CPU ran: read through the shadow
 * tables, which may hold a translation the guest's own tables no longer
 * give (guest_linear.h), and decoded in the code segment's size. An
 * encoding the CPU refuses (x86_raises_ud) is the guest's #UD, as the CPU
 * would raise it. An emulated instruction raises what the CPU would raise
 * (a #PF on its operand, LTR's #GP(selector), MOV DR's #DB with DR7.GD).
 * A #GP no emulation claims is the guest's own, delivered to its handler
 * as at ring 0, unless only ring 1 raises it: a far CALL or JMP through a
 * call gate or task gate, or to a TSS, and a segment the hypervisor's GDT
 * does not hold, which stop the guest with a report (hvlab emulates no
 * call gate and no task switch), as does an LLDT of a real LDT.
 */
#include "depriv/depriv.h"
#include "x86/descriptor.h"
#include "vmx/exit_info.h"
#include "exit/handlers.h"
#include "exit/exit_io_string.h"
#include "exit/vm_interrupts.h"
#include "exit/vm_lapic.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "vmx/inject.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "guest/shadow.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"
#include "x86io.h"

/* The memory operand's linear address (SDM vol. 2A, 2.1.5): base, index
 * times scale, displacement, and the segment's base (DS, or SS for a base
 * of ESP or EBP, or the prefix's); with 16-bit addressing (table 2-1) the
 * base and index pairs of BX, BP, SI, DI, and the offset cut to 16 bits. */
bool depriv_effective_address(const struct vcpu *v, const struct x86_insn *in, uint32_t *out)
{
    if (in->mod == 3)
        return false;
    uint32_t ea = (uint32_t)in->displacement;
    unsigned seg_base = VMCS_GUEST_DS_BASE;
    if (in->address_size == 2) {
        static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };    /* BX BX BP BP SI DI BP BX */
        static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };   /* SI DI SI DI */
        bool no_base = in->mod == 0 && in->rm == 6;
        if (!no_base)
            ea += (uint32_t)guest_gpr(v, (unsigned)base16[in->rm]);
        if (index16[in->rm] >= 0)
            ea += (uint32_t)guest_gpr(v, (unsigned)index16[in->rm]);
        ea &= 0xFFFF;
        if (!no_base && base16[in->rm] == 5)
            seg_base = VMCS_GUEST_SS_BASE;
    } else {
        unsigned base = in->has_sib ? in->base : in->rm;
        bool no_base = (in->mod == 0 && base == 5);
        if (!no_base)
            ea += (uint32_t)guest_gpr(v, base);
        if (in->has_sib && in->index != 4)
            ea += (uint32_t)guest_gpr(v, in->index) << in->scale;
        if (!no_base && (base == 4 || base == 5))
            seg_base = VMCS_GUEST_SS_BASE;
    }
    switch (in->segment) {
    case 0x26: seg_base = VMCS_GUEST_ES_BASE; break;
    case 0x2E: seg_base = VMCS_GUEST_CS_BASE; break;
    case 0x36: seg_base = VMCS_GUEST_SS_BASE; break;
    case 0x3E: seg_base = VMCS_GUEST_DS_BASE; break;
    case 0x64: seg_base = VMCS_GUEST_FS_BASE; break;
    case 0x65: seg_base = VMCS_GUEST_GS_BASE; break;
    }
    *out = ea + (uint32_t)vmcs_read(seg_base);
    return true;
}


/* May the guest, at its privilege level, touch [linear, linear + len)?
 * Its ring 0 is a supervisor and its ring 3 a user (SDM vol. 3, 4.6); a
 * page its tables refuse is its #PF, with CR2 and the error code (4.7),
 * delivered here. Segment limits are not checked: the guest's are flat. */
static bool operand_allowed(struct vcpu *v, uint32_t linear, unsigned len, bool write)
{
    uint32_t access = (write ? PFEC_W : 0) | (depriv_cpl() == 3 ? PFEC_U : 0), cr2, error;
    if (!depriv_page_faults(v, linear, len, access, &cr2, &error))
        return true;
    write_cr2(cr2);
    depriv_deliver(v, VEC_PF, error, (uint32_t)v->rip, 0);
    return false;
}

static bool operand(struct vcpu *v, uint32_t linear, void *buf, unsigned len, bool write)
{
    if (!operand_allowed(v, linear, len, write))
        return false;
    if (write ? depriv_write(v, linear, buf, len) : depriv_read(v, linear, buf, len))
        return true;
    guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: the memory operand at 0x%08x of the "
               "instruction at 0x%08x is outside the guest's RAM", linear, (uint32_t)v->rip);
    return false;
}

bool depriv_operand_read(struct vcpu *v, uint32_t linear, void *buf, unsigned len)
{
    return operand(v, linear, buf, len, false);
}

bool depriv_operand_write(struct vcpu *v, uint32_t linear, const void *buf, unsigned len)
{
    return operand(v, linear, (void *)buf, len, true);
}

/* A 16-bit r/m operand (a selector, LMSW's word): the register, or memory
 * read as the CPU would; false once the exception it raised is delivered. */
static bool read_rm16(struct vcpu *v, const struct x86_insn *in, uint16_t *value)
{
    uint32_t ea;
    *value = (uint16_t)guest_gpr(v, in->rm);
    return in->mod == 3 || (depriv_effective_address(v, in, &ea) && depriv_operand_read(v, ea, value, 2));
}

/* LGDT, LIDT: the 6-byte operand, limit then base; with a 16-bit operand
 * size only 24 bits of the base (SDM vol. 2A, LGDT/LIDT). False once the
 * exception it raised is delivered. */
static bool load_table(struct vcpu *v, const struct x86_insn *in, uint32_t *base, uint32_t *limit)
{
    uint32_t ea;
    uint8_t m[6];
    if (!depriv_effective_address(v, in, &ea) || !depriv_operand_read(v, ea, m, 6))
        return false;
    *limit = m[0] | (uint32_t)m[1] << 8;
    *base = m[2] | (uint32_t)m[3] << 8 | (uint32_t)m[4] << 16 | (uint32_t)m[5] << 24;
    if (in->operand_size == 2)
        *base &= 0x00FFFFFF;
    return true;
}

/* The exception an instruction raises, delivered; false, so that a helper
 * can end with it. */
static bool fault(struct vcpu *v, unsigned vector, int64_t error)
{
    depriv_deliver(v, vector, error, (uint32_t)v->rip, 0);
    return false;
}

/* LTR (SDM vol. 2A, LTR): a null selector is #GP(0); one in the LDT or past
 * the GDT's limit, or naming anything but an available TSS, #GP(selector);
 * a TSS not present, #NP(selector). Then the descriptor becomes busy, as the
 * CPU makes it. False once the exception is delivered. */
static bool load_task_register(struct vcpu *v, uint16_t selector)
{
    uint32_t at = v->depriv.gdt_base + (selector & ~7u);
    uint64_t d;
    if (!(selector & ~3u))
        return fault(v, VEC_GP, 0);
    if ((selector & 4) || (selector | 7u) > v->depriv.gdt_limit)
        return fault(v, VEC_GP, selector & ~3u);
    if (!depriv_operand_read(v, at, &d, 8))
        return false;
    unsigned type = (d >> 40) & 0xF;
    if ((d & DESC_S) || (type != 1 && type != 9))   /* an available 16- or 32-bit TSS */
        return fault(v, VEC_GP, selector & ~3u);
    if (!(d & DESC_P))
        return fault(v, VEC_NP, selector & ~3u);
    d |= 1ull << 41;                                /* type 1 -> 3, 9 -> 11: busy */
    v->depriv.tr = selector;
    return depriv_operand_write(v, at, &d, 8);
}

/* MOV from CR0, CR2, CR3, CR4: the guest's own values. CR1 and CR5-CR7 do
 * not exist: the CPU answers a MOV from them with #UD (SDM vol. 2, MOV
 * "Move to/from Control Registers"), and so does general_protection
 * (x86_raises_ud) before emulate runs, so they never get here. */
uint32_t depriv_control_register(const struct vcpu *v, unsigned cr)
{
    switch (cr) {
    case 0: return (uint32_t)guest_cr0_view(v->guest);
    case 2: return (uint32_t)read_cr2();       /* the host leaves CR2 to the guest */
    case 3: return v->guest->shadow->guest_cr3;
    case 4: return (uint32_t)guest_cr4_view(v->guest);
    default: panic("MOV from CR%u reached the emulation: x86_raises_ud should have made it #UD", cr);
    }
}


/* MOV to and from DR0-DR7. The guest's DR7 is in the VMCS; DR0-DR3 and DR6
 * are the real registers, which the hypervisor does not use (as with
 * cpu=hvm, where MOV DR does not exit). DR4 and DR5 are DR6 and DR7 unless
 * CR4.DE makes them undefined (SDM vol. 3, 18.2.2). */
static bool move_debug_register(struct vcpu *v, unsigned dr, unsigned gpr, bool to)
{
    if (dr == 4 || dr == 5) {
        if (guest_cr4_view(v->guest) & CR4_DE)
            return fault(v, VEC_UD, -1);
        dr += 2;
    }
    /* DR7.GD: any MOV DR is a #DB before it runs, with DR6.BD set, and the
     * CPU clears GD so that the handler may use the registers (SDM vol. 3,
     * 18.2.4, 18.3.1.2). */
    uint64_t dr7 = vmcs_read(VMCS_GUEST_DR7);
    if (dr7 & DR7_GD) {
        uint64_t dr6;
        __asm__ volatile("mov %%db6, %0" : "=r"(dr6));
        __asm__ volatile("mov %0, %%db6" : : "r"(dr6 | DR6_BD));
        vmcs_write(VMCS_GUEST_DR7, dr7 & ~DR7_GD);
        return fault(v, VEC_DB, -1);
    }
    uint64_t value = to ? (uint32_t)guest_gpr(v, gpr) : 0;
    switch (dr) {
    case 0: if (to) __asm__ volatile("mov %0, %%db0" : : "r"(value)); else __asm__ volatile("mov %%db0, %0" : "=r"(value)); break;
    case 1: if (to) __asm__ volatile("mov %0, %%db1" : : "r"(value)); else __asm__ volatile("mov %%db1, %0" : "=r"(value)); break;
    case 2: if (to) __asm__ volatile("mov %0, %%db2" : : "r"(value)); else __asm__ volatile("mov %%db2, %0" : "=r"(value)); break;
    case 3: if (to) __asm__ volatile("mov %0, %%db3" : : "r"(value)); else __asm__ volatile("mov %%db3, %0" : "=r"(value)); break;
    case 6: if (to) __asm__ volatile("mov %0, %%db6" : : "r"(value)); else __asm__ volatile("mov %%db6, %0" : "=r"(value)); break;
    default:
        if (to)
            vmcs_write(VMCS_GUEST_DR7, value);
        else
            value = vmcs_read(VMCS_GUEST_DR7);
    }
    if (!to)
        set_guest_gpr(v, gpr, (uint32_t)value);
    else if (dr != 6)
        v->depriv.breakpoint_writes++;          /* bt=1: no translation past a new breakpoint */
    return true;
}

/* RDPMC (SDM vol. 2B): ECX names a general-purpose counter, or with bit 30
 * a fixed-function one; CPUID leaf 0xA says how many there are (SDM vol. 3,
 * 20.2.1, 20.2.2). A counter the CPU lacks is #GP(0); at CPL 0 (or with
 * CR4.PCE) the others are read. The hypervisor does not use the counters,
 * so the guest reads the real ones, as with cpu=hvm, where RDPMC does not
 * exit. False once the #GP is delivered. */
static bool read_performance_counter(struct vcpu *v)
{
    uint32_t ecx = (uint32_t)v->regs.rcx, index = ecx & ~(1u << 30);
    unsigned general = 0, fixed = 0;
    if (cpuid(0, 0).eax >= 0xA) {
        struct cpuid_regs r = cpuid(0xA, 0);
        general = (r.eax >> 8) & 0xFF;
        fixed = r.edx & 0x1F;
    }
    if (index >= ((ecx & (1u << 30)) ? fixed : general))
        return fault(v, VEC_GP, 0);
    uint32_t lo, hi;
    __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(ecx));
    v->regs.rax = lo;
    v->regs.rdx = hi;
    return true;
}

/* The exit handlers of exit_cr.c and exit_pf.c, given the qualification
 * the VM exit would have had (SDM 28.2.1; exit_info.h encodes it). */
static void as_exit(struct vcpu *v, uint64_t qualification, void (*handler)(struct vcpu *))
{
    v->exit_qualification = qualification;
    handler(v);
}

/* LAB 3 BEGIN: emulate the privileged instructions that fault at ring 1 */
/* Emulate the privileged instruction in; false if it is not one we do. A
 * helper that says false has delivered the exception the instruction
 * raises (a #PF on its operand, LTR's #GP...): the instruction is over. */
static bool emulate(struct vcpu *v, const struct x86_insn *in)
{
    uint32_t ea;
    uint16_t word;
    uint16_t op = (uint16_t)(in->map << 8 | in->opcode);
    switch (op) {
    case 0x00FA:                                /* CLI */
        depriv_set_vif(v, false);
        break;
    case 0x00FB:                                /* STI */
        depriv_set_vif(v, true);
        break;
    case 0x00F4:                                /* HLT */
        if (!v->depriv.vif || !an_interrupt_line_is_open(v)) {
            stop_endless_halt(v, v->depriv.vif);
            return true;
        }
        /* The guest waits at its HLT until an interrupt comes: delivered,
         * it returns past the HLT. Meanwhile the CPU waits in the HLT
         * activity state (depriv_halt.c). */
        v->depriv.halted_at = (uint32_t)v->rip;
        v->depriv.halt_length = (uint8_t)in->length;
        v->depriv.emulated++;
        return true;
    case 0x00CF:                                /* IRET to ring 0 */
        depriv_iret(v);
        return true;
    case 0x008E: {                              /* MOV SS, r/m16 with RPL 0 */
        if (in->reg != 2)
            return false;
        if (!read_rm16(v, in, &word))
            return true;
        uint16_t ss = word | 1;                 /* RPL 0, the CPL's; any other is the #GP's */
        if ((word & 3) || !depriv_segment_ok(v, ss, false))
            return false;
        depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, ss);
        advance_rip(v);
        depriv_mov_ss_shadow();                 /* then ESP: nothing may come between */
        v->depriv.emulated++;
        return true;
    }
    case 0x0101:                                /* group 7: LGDT, LIDT, LMSW, INVLPG */
        if (in->mod == 3 && in->reg != 6)
            return false;
        if (in->reg == 2 || in->reg == 3) {
            uint32_t base, limit;
            if (!load_table(v, in, &base, &limit))
                return true;
            if (in->reg == 3) {
                v->depriv.idt_base = base, v->depriv.idt_limit = limit;
            } else {
                v->depriv.gdt_base = base, v->depriv.gdt_limit = limit;
                if (!depriv_load_gdt(v)) {
                    guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: its GDT at 0x%08x "
                               "(limit 0x%x) is outside its %lu MiB of RAM", base, limit,
                               v->guest->ram_size >> 20);
                    return true;
                }
            }
            break;
        }
        if (in->reg == 6) {                     /* LMSW: PE can be set, not cleared */
            if (!read_rm16(v, in, &word))
                return true;
            uint64_t cr0 = guest_cr0_view(v->guest);
            shadow_write_cr0(v, (cr0 & ~0xEull) | (word & 0xF) | (cr0 & CR0_PE));
            v->depriv.emulated++;
            return true;
        }
        if (in->reg == 7 && depriv_effective_address(v, in, &ea)) {
            as_exit(v, ea, handle_invlpg_spaces);
            v->depriv.emulated++;
            return true;
        }
        return false;
    case 0x0106:                                /* CLTS */
        shadow_write_cr0(v, guest_cr0_view(v->guest) & ~CR0_TS);
        v->depriv.emulated++;
        return true;
    case 0x0121: case 0x0123:                   /* MOV from/to DRn */
        if (!move_debug_register(v, in->reg, in->rm, in->opcode == 0x23))
            return true;
        break;
    case 0x0133:                                /* RDPMC */
        if (!read_performance_counter(v))
            return true;
        break;
    case 0x0100:                                /* group 6: LTR */
        if (in->reg != 3)
            return false;
        if (!read_rm16(v, in, &word) || !load_task_register(v, word))
            return true;
        break;
    case 0x0122:                                /* MOV to CR0, CR3, CR4 */
        if (in->reg == 2) {
            write_cr2(guest_gpr(v, in->rm));
            break;
        }
        as_exit(v, cr_qual_encode((struct cr_qual){ .cr = in->reg, .type = CR_MOV_TO, .gpr = in->rm }),
                handle_cr_access);
        v->depriv.emulated++;
        return true;
    case 0x0120:                                /* MOV from CRn */
        set_guest_gpr(v, in->rm, depriv_control_register(v, in->reg));
        break;
    case 0x0130:                                /* WRMSR */
        handle_wrmsr(v);
        v->depriv.emulated++;
        return true;
    case 0x0132:                                /* RDMSR */
        handle_rdmsr(v);
        v->depriv.emulated++;
        return true;
    case 0x0108: case 0x0109:                   /* INVD, WBINVD: both as WBINVD */
        handle_invd(v);
        v->depriv.emulated++;
        return true;
    default:
        return false;
    }
    advance_rip(v);
    v->depriv.emulated++;
    return true;
}
/* LAB 3 END */

/* ---- What lab 3's emulate leaves: rarer loads of ring-0 selectors ---- */

/* A HLT with the guest's interrupts off that an NMI can still end
 * (devices=virtual: vm_nmi_can_come). Lab 3's emulated HLT stops such a
 * guest; this one waits as that HLT does for an interrupt, and the NMI's
 * delivery returns past it (exit_hlt.c's halt_for_an_nmi at ring 0). */
static bool halt_waiting_for_an_nmi(struct vcpu *v, const struct x86_insn *in)
{
    if (in->map != 0 || in->opcode != 0xF4 || v->depriv.vif || !vm_devices_virtual(v) ||
        !vm_nmi_can_come(v))
        return false;
    v->depriv.halted_at = (uint32_t)v->rip;
    v->depriv.halt_length = (uint8_t)in->length;
    v->depriv.emulated++;
    return true;
}

/* RETF (CB; CA iw) to the guest's ring 0 faults at ring 1: the selector's
 * RPL 0 is below the CPL (SDM vol. 2A, RET, "RETURN-TO-SAME-PRIVILEGE-LEVEL").
 * Emulated as a return within ring 0; anything else is the CPU's. */
static bool far_return(struct vcpu *v, const struct x86_insn *in)
{
    unsigned size = in->operand_size;
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP), top = (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp;
    uint32_t eip = 0, cs = 0;
    if (!depriv_operand_read(v, top, &eip, size) || !depriv_operand_read(v, top + size, &cs, size))
        return true;
    if ((cs & 3) || !depriv_segment_ok(v, (uint16_t)(cs | 1), true))
        return false;
    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, (uint16_t)(cs | 1));
    vmcs_write(VMCS_GUEST_RSP, esp + 2 * size + (in->opcode == 0xCA ? in->immediate : 0));
    vmcs_write(VMCS_GUEST_RIP, size == 2 ? eip & 0xFFFF : eip);
    v->depriv.emulated++;
    return true;
}

/* POP SS with the guest's ring-0 selector: RPL 0 is not the CPL (SDM vol.
 * 2B, POP). As lab 3's MOV SS. */
static bool pop_stack_segment(struct vcpu *v, const struct x86_insn *in)
{
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP), ss = 0;
    if (!depriv_operand_read(v, (uint32_t)vmcs_read(VMCS_GUEST_SS_BASE) + esp, &ss, in->operand_size))
        return true;
    if ((ss & 3) || !depriv_segment_ok(v, (uint16_t)(ss | 1), false))
        return false;
    depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, (uint16_t)(ss | 1));
    vmcs_write(VMCS_GUEST_RSP, esp + in->operand_size);
    advance_rip(v);
    depriv_mov_ss_shadow();
    v->depriv.emulated++;
    return true;
}

/* LSS with the guest's ring-0 stack selector (SDM vol. 2A, LDS/LES/LFS/
 * LGS/LSS): the far pointer's offset, then its selector. No shadow: only
 * MOV SS and POP SS open one. */
static bool load_far_stack(struct vcpu *v, const struct x86_insn *in)
{
    uint32_t ea, offset = 0;
    uint16_t ss;
    unsigned size = in->operand_size;
    if (in->mod == 3)
        return false;
    if (!depriv_effective_address(v, in, &ea) || !depriv_operand_read(v, ea, &offset, size) ||
        !depriv_operand_read(v, ea + size, &ss, 2))
        return true;
    if ((ss & 3) || !depriv_segment_ok(v, (uint16_t)(ss | 1), false))
        return false;
    depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, (uint16_t)(ss | 1));
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
    vmcs_write(VMCS_GUEST_RSP, size == 2 ? (esp & 0xFFFF0000u) | (offset & 0xFFFF) : offset);
    advance_rip(v);
    v->depriv.emulated++;
    return true;
}

/* LLDT (SDM vol. 2A): privileged. The guest gets no LDT of its own (its
 * SLDT reads 0): LLDT 0 is emulated, and a real LDT stops it (a limit). */
static bool load_ldt(struct vcpu *v, const struct x86_insn *in)
{
    uint16_t selector;
    if (!read_rm16(v, in, &selector))
        return true;
    if (selector & ~3u) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: LLDT 0x%x at 0x%08x: the guest's "
                   "own LDT is not emulated (only LLDT 0)", selector, (uint32_t)v->rip);
        return true;
    }
    advance_rip(v);
    v->depriv.emulated++;
    return true;
}

static bool emulate_more(struct vcpu *v, const struct x86_insn *in)
{
    if (in->map == X86_MAP_ONE_BYTE && (in->opcode == 0xCA || in->opcode == 0xCB))
        return far_return(v, in);
    if (in->map == X86_MAP_ONE_BYTE && in->opcode == 0x17)
        return pop_stack_segment(v, in);
    if (in->map == X86_MAP_0F && in->opcode == 0x00 && in->reg == 2)
        return load_ldt(v, in);
    if (in->map == X86_MAP_0F && in->opcode == 0xB2)
        return load_far_stack(v, in);
    return false;
}

/* A #GP no emulation claimed: would the guest have had it at ring 0 too?
 * The hypervisor's GDT holds the guest's code and data segments with DPL 0
 * made 1, but not its system descriptors, expand-down segments, nor those
 * that reach its top 64 MiB (descriptor_compress): a far CALL or JMP to a
 * call gate, task gate or TSS, or any load of a segment dropped, faults at
 * ring 1 only. Those stop the guest (hvlab emulates no call gate and no
 * task switch); why, or NULL if the #GP is the guest's own. */
static const char *fault_at_ring1_only(struct vcpu *v, const struct x86_insn *in, uint32_t error)
{
    uint16_t selector = error & ~3u;
    uint64_t d;
    const struct depriv *dp = &v->depriv;
    if (!selector || (error & 6) || (selector | 7u) > dp->gdt_limit || dp->gdt[selector >> 3] ||
        !depriv_read(v, dp->gdt_base + selector, &d, 8) || !(d & DESC_P))
        return NULL;                            /* no selector, or one both rings refuse */
    if (d & DESC_S)
        return "its segment is expand-down or reaches the hypervisor's top 64 MiB";
    bool far = (in->map == X86_MAP_ONE_BYTE && (in->opcode == 0x9A || in->opcode == 0xEA)) ||
               (in->map == X86_MAP_ONE_BYTE && in->opcode == 0xFF && (in->reg == 3 || in->reg == 5));
    if (!far)
        return NULL;                            /* a system descriptor in a segment register */
    switch ((d >> 40) & 0xF) {
    case 0x4: case 0xC:                 return "a far CALL or JMP through a call gate";
    case 0x5:                           return "a far CALL or JMP through a task gate (a task switch)";
    case 0x1: case 0x3: case 0x9: case 0xB: return "a far CALL or JMP to a TSS (a task switch)";
    }
    return NULL;
}

/* The selector an SS load names: MOV SS, POP SS, LSS (the #GP's error code
 * holds it without its RPL). False for another instruction, or once the
 * exception reading it raised is delivered (*delivered). */
static bool stack_selector(struct vcpu *v, const struct x86_insn *in, uint16_t *selector, bool *delivered)
{
    uint32_t at;
    *delivered = false;
    if (in->map == X86_MAP_ONE_BYTE && in->opcode == 0x8E && in->reg == 2)
        *delivered = !read_rm16(v, in, selector);
    else if (in->map == X86_MAP_ONE_BYTE && in->opcode == 0x17)
        *delivered = !depriv_operand_read(v, (uint32_t)(vmcs_read(VMCS_GUEST_SS_BASE) + vmcs_read(VMCS_GUEST_RSP)),
                                          selector, 2);
    else if (in->map == X86_MAP_0F && in->opcode == 0xB2 && depriv_effective_address(v, in, &at))
        *delivered = !depriv_operand_read(v, at + in->operand_size, selector, 2);
    else
        return false;
    return !*delivered;
}

/* Ring 1's #GP where the guest's ring 0 takes another exception, delivered
 * (true). The descriptor the selector of the error code names lies in a
 * page of the guest's GDT its tables do not map: the CPU reads it on use,
 * a #PF (depriv_load_gdt copied zeros there). Or SS is loaded with a
 * selector whose RPL 0 ring 1 refuses, of a writable data segment of DPL 0
 * that is not present: #SS(selector) (SDM vol. 2A, MOV, POP, LSS: the
 * checks before P are ring 0's, and pass). */
static bool other_exception_at_ring0(struct vcpu *v, const struct x86_insn *in, uint32_t error)
{
    const struct depriv *dp = &v->depriv;
    uint16_t selector = error & ~3u;
    uint32_t at = dp->gdt_base + selector, cr2, pf_error;
    if (!selector || (error & 6) || (selector | 7u) > dp->gdt_limit)
        return false;
    if (depriv_page_faults(v, at, 8, 0, &cr2, &pf_error)) {
        write_cr2(cr2);
        depriv_deliver(v, VEC_PF, pf_error, (uint32_t)v->rip, 0);
        return true;
    }
    uint16_t ss;
    bool delivered;
    uint64_t d;
    if (!stack_selector(v, in, &ss, &delivered))
        return delivered;
    if ((ss & ~3u) != selector || (ss & 3) || !depriv_read(v, at, &d, 8) || (d & DESC_P) ||
        !(d & DESC_S) || (d & DESC_CODE) || !(d & DESC_WRITABLE) || DESC_DPL(d) != 0)
        return false;
    depriv_deliver(v, VEC_SS, selector, (uint32_t)v->rip, 0);
    return true;
}

/* A #GP: INT n, or a privileged instruction at ring 1, or the guest's own.
 * The instruction is the one the CPU ran: its bytes are read through the
 * shadow (guest_linear.h), in the code segment's size (CS.D; a 16-bit
 * segment can run at ring 1). */
/* The #GP of the instruction in, decoded at linear (RIP): emulated, or
 * delivered as the CPU would at ring 0. */
static void general_protection_of(struct vcpu *v, const struct x86_insn *in, uint64_t linear, uint32_t error)
{
    v->instruction_length = in->length;         /* for advance_rip: a #GP exit has none */
    if ((error & 3) == 2 && in->map == 0 && in->opcode == 0xCD && in->immediate == error >> 3) {
        depriv_deliver(v, in->immediate, -1, (uint32_t)v->rip, in->length);   /* INT n */
        return;
    }
    if (depriv_sysenter(v, in))                 /* the real SYSENTER_CS is 0 */
        return;
    bool rdpmc = in->map == X86_MAP_0F && in->opcode == 0x33;
    if (depriv_cpl() != 0 && !(rdpmc && (guest_cr4_view(v->guest) & CR4_PCE))) {
        depriv_deliver(v, VEC_GP, error, (uint32_t)v->rip, 0);   /* a user program's own */
        return;
    }
    bool msr = in->map == X86_MAP_0F && (in->opcode == 0x30 || in->opcode == 0x32);
    if (msr && vm_devices_virtual(v) && vm_lapic_msr(v, in->opcode == 0x30))
        return;                                 /* the VM's APIC's (vm_lapic.h) */
    if (halt_waiting_for_an_nmi(v, in))
        return;
    if (!in->vex && (emulate(v, in) || emulate_more(v, in) || other_exception_at_ring0(v, in, error)))
        return;
    const char *why = fault_at_ring1_only(v, in, error);
    if (why)
        guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: the guest kernel's instruction "
                   "at 0x%08lx faults at ring 1 (#GP, error 0x%x) and hvlab does not emulate it: %s",
                   linear, error, why);
    else
        depriv_deliver(v, VEC_GP, error, (uint32_t)v->rip, 0);   /* as at ring 0 */
}

static void general_protection(struct vcpu *v, uint32_t error)
{
    uint8_t code[X86_MAX_LENGTH];
    uint64_t linear;
    enum x86_mode mode;
    size_t got = guest_instruction_fetch(v, code, &linear, &mode);
    if (!got)
        return;         /* the shadow dropped its page since: run it again, refetched */
    struct x86_insn in;
    enum x86_decode_status status = x86_decode(code, got, mode, &in);
    if (status == X86_DECODE_UNDEFINED || (status == X86_DECODE_OK && x86_raises_ud(&in))) {
        depriv_deliver(v, VEC_UD, -1, (uint32_t)v->rip, 0);
        return;
    }
    if (status != X86_DECODE_OK) {              /* a fetch past CS's limit; 16 bytes */
        depriv_deliver(v, VEC_GP, error, (uint32_t)v->rip, 0);
        return;
    }
    general_protection_of(v, &in, linear, error);
}

void depriv_emulate_general_protection(struct vcpu *v, const struct x86_insn *in, uint32_t error)
{
    general_protection_of(v, in, (uint32_t)v->rip, error);
}

void depriv_exception(struct vcpu *v)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    unsigned vector = e.vector, type = e.type;
    int64_t error = e.has_error_code ? (int64_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE) : -1;
    if (type == EVENT_NMI)
        depriv_deliver(v, VEC_NMI, -1, (uint32_t)v->rip, 0);
    else if (vector == VEC_PF && v->depriv.page_fault)
        v->depriv.page_fault(v);                /* bt=1's: the same, translated code kept true */
    else if (vector == VEC_PF)
        handle_shadow_page_fault(v);            /* fill, or reflect (inject.c) */
    else if (vector == VEC_GP)
        general_protection(v, (uint32_t)error);
    else if (vector == VEC_BP && v->depriv.breakpoint && v->depriv.breakpoint(v))
        return;                                 /* one of depriv_patch.c's */
    else if (vector == VEC_DB && type == EVENT_HARDWARE_EXCEPTION) {
        debug_exception_exited(v->exit_qualification);
        depriv_deliver(v, vector, error, (uint32_t)v->rip, 0);
    }
    else if (type == EVENT_PRIVILEGED_SOFTWARE_EXCEPTION)   /* ICEBP: a trap, no DPL check */
        depriv_deliver(v, vector, error, (uint32_t)(v->rip + v->instruction_length), 0);
    else
        depriv_deliver(v, vector, error, (uint32_t)v->rip,
                       type == EVENT_SOFTWARE_EXCEPTION ? v->instruction_length : 0);
}

void depriv_external_interrupt(struct vcpu *v)
{
    depriv_interrupt(v, event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO)).vector);
}

/* May a user program use this port? The CPU asks the guest's TSS (CPL 3 >
 * IOPL 0: SDM vol. 1, 19.5.2 "I/O Permission Bit Map"); at ring 1 the real
 * TSS answers for it, so the hypervisor asks the guest's instead. */
static bool user_may_use_port(struct vcpu *v, uint16_t port, unsigned size)
{
    uint32_t base, limit;
    uint16_t iomap;
    if (!depriv_guest_tss(v, &base, &limit) || !depriv_read(v, base + 0x66, &iomap, 2))
        return false;
    for (unsigned p = port; p < port + size; p++) {
        uint8_t bits;
        uint32_t at = iomap + p / 8;
        if (at > limit || !depriv_read(v, base + at, &bits, 1) || (bits & (1u << (p % 8))))
            return false;
    }
    return true;
}

/* One IN or OUT at ring 1, the port the guest may use: to the device behind it. */
static void depriv_port(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (vm_devices_virtual(v) && pc_ports_exit(v))
        return;                                 /* ACPI's PM1 registers, the CMOS clock, the VGA (exit_io.c) */
    if (!io_port_passed_through(io.port) || vm_devices_virtual(v)) {
        handle_io(v);                           /* the hypervisor's devices */
        return;
    }
    /* Port 0x61, the machine's (devices=machine), reached through the hypervisor. */
    if (io.in)
        v->regs.rax = (v->regs.rax & ~0xFFull) | inb(io.port);
    else
        outb(io.port, (uint8_t)v->regs.rax);
    advance_rip(v);
}

static void depriv_string_fault(struct vcpu *v, unsigned vector, uint32_t error)
{
    depriv_deliver(v, vector, error, (uint32_t)v->rip, 0);
}

void depriv_io(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (depriv_cpl() != 0 && !user_may_use_port(v, io.port, io.size)) {
        depriv_deliver(v, VEC_GP, 0, (uint32_t)v->rip, 0);
        return;
    }
    if (io.string) {                            /* INS, OUTS: element by element (exit_io_string.c) */
        struct string_io_cpu cpu = { depriv_cpl(), depriv_port, depriv_string_fault,
                                     v->depriv.written };
        string_io(v, &cpu);
        return;
    }
    depriv_port(v);
}

void depriv_print_stats(const struct vcpu *v)
{
    const struct depriv *dp = &v->depriv;
    printf("hv: %sdeprivileged: %lu instructions emulated, %lu events delivered, %lu "
           "external interrupts\n", v->guest->tag, dp->emulated,
           dp->delivered, dp->interrupts);
    if (dp->parked_entries)
        printf("hv: %sdeprivileged: %lu waits in the HLT activity state (depriv_halt.c)\n", v->guest->tag,
               dp->parked_entries);
}
