/*
 * depriv_emulate.c: the exits of a deprivileged guest (64-bit, VMX root;
 * lab 3): trap-and-emulate.
 *
 * Every exception exits. A #GP at ring 1 is most often the guest kernel
 * doing something only ring 0 may: the instruction at CS:EIP is decoded
 * (x86_decode.c) and emulated here, with what the guest would have seen at
 * ring 0, and EIP moved past it. The SDM's pages for each instruction say
 * when it faults at CPL > 0 (vol. 2): CLI/STI (CPL > IOPL), HLT, LGDT,
 * LIDT, LTR, MOV to and from CRn, INVLPG, RDMSR/WRMSR, WBINVD/INVD, IRET to
 * a more privileged level, MOV SS with a selector whose RPL is not the CPL;
 * and INT n faults here because the real IDT is empty (error code: the
 * vector, with the IDT bit). Anything else, and every other exception, is
 * the guest's own: delivered to it (depriv_deliver.c).
 */
#include "depriv.h"
#include "exit.h"
#include "guest.h"
#include "guest_linear.h"
#include "poweroff.h"
#include "printf.h"
#include "shadow.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"
#include "x86_decode.h"
#include "x86io.h"

/* The memory operand's linear address (SDM vol. 2A, 2.1.5): base, index
 * times scale, displacement, and the segment's base (DS, or SS for a base
 * of ESP or EBP, or the prefix's). 32-bit addressing only. */
bool depriv_effective_address(const struct vcpu *v, const struct x86_insn *in, uint32_t *out)
{
    if (in->address_size != 4 || in->mod == 3)
        return false;
    uint32_t ea = (uint32_t)in->displacement;
    unsigned base = in->has_sib ? in->base : in->rm;
    bool no_base = (in->mod == 0 && base == 5);
    if (!no_base)
        ea += (uint32_t)guest_gpr(v, base);
    if (in->has_sib && in->index != 4)
        ea += (uint32_t)guest_gpr(v, in->index) << in->scale;
    unsigned seg_base = VMCS_GUEST_DS_BASE;
    if (!no_base && (base == 4 || base == 5))
        seg_base = VMCS_GUEST_SS_BASE;
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

/* LGDT, LIDT: the 6-byte operand, limit then base. */
static bool load_table(struct vcpu *v, const struct x86_insn *in, uint32_t *base, uint32_t *limit)
{
    uint32_t ea;
    uint8_t m[6];
    if (!depriv_effective_address(v, in, &ea) || !depriv_read(v, ea, m, 6))
        return false;
    *limit = m[0] | (uint32_t)m[1] << 8;
    *base = m[2] | (uint32_t)m[3] << 8 | (uint32_t)m[4] << 16 | (uint32_t)m[5] << 24;
    return true;
}

/* LTR: the guest's TSS descriptor becomes busy, as the CPU would make it. */
static bool load_task_register(struct vcpu *v, uint16_t selector)
{
    uint32_t at = depriv.gdt_base + (selector & ~7u);
    uint64_t d;
    if (!(selector >> 3) || (selector & ~7u) + 7 > depriv.gdt_limit || !depriv_read(v, at, &d, 8))
        return false;
    d |= 1ull << 41;                            /* type 9 -> 11: busy */
    depriv.tr = selector;
    return depriv_write(v, at, &d, 8);
}

/* MOV from CR0, CR2, CR3, CR4: the guest's own values. */
static uint32_t read_control_register(struct vcpu *v, unsigned cr)
{
    switch (cr) {
    case 0: return (uint32_t)guest_cr0_view(v->guest);
    case 2: return (uint32_t)read_cr2();       /* the host leaves CR2 to the guest */
    case 3: return v->guest->shadow.guest_cr3;
    default: return (uint32_t)guest_cr4_view(v->guest);
    }
}

/* MOV to and from DR0-DR7. The guest's DR7 is in the VMCS; DR0-DR3 and DR6
 * are the real registers, which the hypervisor does not use (as with
 * cpu=hvm, where MOV DR does not exit). DR4 and DR5 are DR6 and DR7 unless
 * CR4.DE makes them undefined (SDM vol. 3, 18.2.2). */
static bool move_debug_register(struct vcpu *v, unsigned dr, unsigned gpr, bool to)
{
    if (dr == 4 || dr == 5) {
        if (guest_cr4_view(v->guest) & CR4_DE) {
            depriv_deliver(v, VEC_UD, -1, (uint32_t)v->rip, 0);
            return false;
        }
        dr += 2;
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
    return true;
}

/* The exit handlers of exit_cr.c and exit_pf.c, given the qualification
 * the VM exit would have had (SDM 28.2.1). */
static void as_exit(struct vcpu *v, uint64_t qualification, void (*handler)(struct vcpu *))
{
    v->exit_qualification = qualification;
    handler(v);
}

/* LAB 3 BEGIN: emulate the privileged instructions that fault at ring 1 */
/* Emulate the privileged instruction in; false if it is not one we do. */
static bool emulate(struct vcpu *v, const struct x86_insn *in)
{
    uint32_t ea;
    uint16_t op = (uint16_t)(in->map << 8 | in->opcode);
    switch (op) {
    case 0x00FA:                                /* CLI */
        depriv_set_vif(false);
        break;
    case 0x00FB:                                /* STI */
        depriv_set_vif(true);
        break;
    case 0x00F4:                                /* HLT */
        if (!depriv.vif) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "it halted with interrupts off (HLT at 0x%llx), "
                       "so nothing could ever wake it", (unsigned long long)v->rip);
            return true;
        }
        /* The HLT activity state needs CPL 0 (SDM 27.3.1.5), so the guest
         * waits by running its HLT again, each time an exit, until an
         * interrupt comes: delivered, it returns past the HLT. */
        depriv.halted_at = (uint32_t)v->rip;
        depriv.halt_length = (uint8_t)in->length;
        depriv.emulated++;
        return true;
    case 0x00CF:                                /* IRET to ring 0 */
        depriv_iret(v);
        return true;
    case 0x008E: {                              /* MOV SS, r16 with RPL 0 */
        uint16_t ss = (uint16_t)guest_gpr(v, in->rm) | 1;
        if (in->reg != 2 || in->mod != 3 || !depriv_segment_ok(ss, false))
            return false;
        depriv_load_segment(VMCS_GUEST_SS_SELECTOR, ss);
        break;
    }
    case 0x0101:                                /* group 7: LGDT, LIDT, LMSW, INVLPG */
        if (in->mod == 3 && in->reg != 6)
            return false;
        if (in->reg == 2 || in->reg == 3) {
            uint32_t base, limit;
            if (!load_table(v, in, &base, &limit))
                return false;
            if (in->reg == 3) {
                depriv.idt_base = base, depriv.idt_limit = limit;
            } else {
                depriv.gdt_base = base, depriv.gdt_limit = limit;
                if (!depriv_load_gdt(v)) {
                    guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: its GDT at 0x%08x "
                               "(limit 0x%x) cannot be read or is larger than %u descriptors",
                               base, limit, DEPRIV_GDT_ENTRIES - 1);
                    return true;
                }
            }
            break;
        }
        if (in->reg == 6) {                     /* LMSW: PE can be set, not cleared */
            uint16_t msw = 0;
            if (in->mod == 3)
                msw = (uint16_t)guest_gpr(v, in->rm);
            else if (!depriv_effective_address(v, in, &ea) || !depriv_read(v, ea, &msw, 2))
                return false;
            uint64_t cr0 = guest_cr0_view(v->guest);
            shadow_write_cr0(v, (cr0 & ~0xEull) | (msw & 0xF) | (cr0 & CR0_PE));
            depriv.emulated++;
            return true;
        }
        if (in->reg == 7 && depriv_effective_address(v, in, &ea)) {
            as_exit(v, ea, handle_invlpg);
            depriv.emulated++;
            return true;
        }
        return false;
    case 0x0106:                                /* CLTS */
        shadow_write_cr0(v, guest_cr0_view(v->guest) & ~CR0_TS);
        depriv.emulated++;
        return true;
    case 0x0121: case 0x0123:                   /* MOV from/to DRn */
        if (!move_debug_register(v, in->reg, in->rm, in->opcode == 0x23))
            return true;                        /* #UD delivered */
        break;
    case 0x0133:                                /* RDPMC: not emulated; the CPU's #GP */
        depriv_deliver(v, VEC_GP, 0, (uint32_t)v->rip, 0);
        return true;
    case 0x0100:                                /* group 6: LTR */
        if (in->reg != 3 || in->mod != 3 || !load_task_register(v, (uint16_t)guest_gpr(v, in->rm)))
            return false;
        break;
    case 0x0122:                                /* MOV to CR0, CR3, CR4 */
        if (in->reg == 2) {
            write_cr2(guest_gpr(v, in->rm));
            break;
        }
        as_exit(v, in->reg | 0u << 4 | (uint64_t)in->rm << 8, handle_cr_access_shadow);
        depriv.emulated++;
        return true;
    case 0x0120:                                /* MOV from CRn */
        set_guest_gpr(v, in->rm, read_control_register(v, in->reg));
        break;
    case 0x0130:                                /* WRMSR */
        handle_wrmsr(v);
        depriv.emulated++;
        return true;
    case 0x0132:                                /* RDMSR */
        handle_rdmsr(v);
        depriv.emulated++;
        return true;
    case 0x0108: case 0x0109:                   /* INVD, WBINVD: both as WBINVD */
        handle_invd(v);
        depriv.emulated++;
        return true;
    default:
        return false;
    }
    advance_rip(v);
    depriv.emulated++;
    return true;
}
/* LAB 3 END */

/* A #GP: INT n, or a privileged instruction at ring 1, or the guest's own. */
static void general_protection(struct vcpu *v, uint32_t error)
{
    uint8_t code[X86_MAX_LENGTH];
    uint32_t linear = (uint32_t)(vmcs_read(VMCS_GUEST_CS_BASE) + v->rip);
    size_t got = guest_linear_read(v->guest, linear, code, sizeof(code));
    struct x86_insn in;
    if (!got || x86_decode(code, got, 4, &in) != X86_DECODE_OK) {
        depriv_deliver(v, VEC_GP, error, (uint32_t)v->rip, 0);
        return;
    }
    v->instruction_length = in.length;          /* for advance_rip: a #GP exit has none */
    if ((error & 3) == 2 && in.map == 0 && in.opcode == 0xCD && in.immediate == error >> 3) {
        depriv_deliver(v, in.immediate, -1, (uint32_t)v->rip, in.length);   /* INT n */
        return;
    }
    if (depriv_sysenter(v, &in))                /* the real SYSENTER_CS is 0 */
        return;
    if (depriv_cpl() != 0)                      /* a user program's: the guest's business */
        depriv_deliver(v, VEC_GP, error, (uint32_t)v->rip, 0);
    else if (!emulate(v, &in))
        guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: the guest kernel's instruction "
                   "at 0x%08x faults at ring 1 (#GP, error 0x%x) and hvlab does not emulate it",
                   linear, error);
}

void depriv_exception(struct vcpu *v)
{
    uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO);
    unsigned vector = INFO_VECTOR(info), type = INFO_TYPE(info);
    int64_t error = INFO_HAS_ERROR(info) ? (int64_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE) : -1;
    if (type == EVENT_NMI)
        depriv_deliver(v, VEC_NMI, -1, (uint32_t)v->rip, 0);
    else if (vector == VEC_PF)
        handle_shadow_page_fault(v);            /* fill, or reflect (inject.c) */
    else if (vector == VEC_GP)
        general_protection(v, (uint32_t)error);
    else if (vector == VEC_BP && depriv_patched_breakpoint(v))
        return;                                 /* one of depriv_patch.c's */
    else if (type == EVENT_PRIVILEGED_SOFTWARE_EXCEPTION)   /* ICEBP: a trap, no DPL check */
        depriv_deliver(v, vector, error, (uint32_t)(v->rip + v->instruction_length), 0);
    else
        depriv_deliver(v, vector, error, (uint32_t)v->rip,
                       type == EVENT_SOFTWARE_EXCEPTION ? v->instruction_length : 0);
}

void depriv_external_interrupt(struct vcpu *v)
{
    (void)v;
    depriv_interrupt(INFO_VECTOR((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO)));
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

void depriv_io(struct vcpu *v)
{
    uint64_t q = v->exit_qualification;
    uint16_t port = (uint16_t)(q >> 16);
    unsigned size = (unsigned)(q & 7) + 1;
    bool in = (q >> 3) & 1;
    if (depriv_cpl() != 0 && !user_may_use_port(v, port, size)) {
        depriv_deliver(v, VEC_GP, 0, (uint32_t)v->rip, 0);
        return;
    }
    if (!io_port_passed_through(port) || (q & (1u << 4))) {
        handle_io(v);                           /* the hypervisor's devices */
        return;
    }
    /* The guest's own PIC and PIT, reached through the hypervisor. */
    if (in)
        v->regs.rax = (v->regs.rax & ~0xFFull) | inb(port);
    else
        outb(port, (uint8_t)v->regs.rax);
    advance_rip(v);
}

void depriv_print_stats(void)
{
    printf("hv: deprivileged: %llu instructions emulated, %llu events delivered, %llu "
           "external interrupts\n", (unsigned long long)depriv.emulated,
           (unsigned long long)depriv.delivered, (unsigned long long)depriv.interrupts);
}
