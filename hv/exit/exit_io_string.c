/*
 * exit_io_string.c: INS and OUTS, with or without REP (64-bit, VMX root
 * operation; see exit_io_string.h).
 *
 * What the CPU does, element by element (SDM vol. 2A, INS; vol. 2B, OUTS
 * and REP): INS writes the port's value to ES:(E)DI (no segment override),
 * OUTS reads DS:(E)SI or its override's segment; (E)SI or (E)DI then steps
 * by the operand size, down with RFLAGS.DF; with REP, (E)CX counts the
 * elements down to 0, the address size (16, 32 or 64 bits) saying which
 * part of RCX, RSI and RDI counts and wraps. A fault in the middle leaves
 * the registers as after the elements done and RIP on the instruction,
 * so that the handler's IRET resumes it. INS checks its destination
 * before it reads the port, so a faulting element reads nothing.
 *
 * Memory with no RAM behind it (guest-physical addresses beyond the VM's
 * RAM, the APICs' pages, MMIO): the guest is stopped with a report, as an
 * ordinary MOV there is (an EPT violation, exit_guest_fault.c): the
 * hypervisor emulates device memory only for the MOVs vm_mmio.c decodes,
 * and dropping the bytes silently would hide a guest's bug.
 *
 * Each element's address is worked out here from the registers, at every
 * element: the VM exit's guest-linear-address field (SDM 28.2.1, 25.9.4)
 * names the first element's only, and says nothing of the segment checks.
 *
 * The page walk is the CPU's in every paging mode: 32-bit, PAE and 4-level
 * (guest_cpu_walk_now). Not yet: on a CPU without the instruction-
 * information field for INS/OUTS, 64-bit code (x86_decode.c decodes 16-
 * and 32-bit code): such a guest is stopped and told why.
 */
#include "exit/exit_io_string.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "poweroff.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs.h"
#include "x86/segment_access.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"

/* IA32_VMX_BASIC bit 54: the VM-exit instruction-information field is
 * reported for INS and OUTS (SDM vol. 3, A.1; 28.2.5, table 28-8). */
#define VMX_BASIC_INS_OUTS_INFO (1ull << 54)

#define AR_L (1u << 13)             /* CS.L: 64-bit code (SDM 25.4.1) */

/* What the string instruction works with, besides the registers. */
struct string_operand {
    struct segment seg;             /* ES for INS; DS or the override for OUTS */
    unsigned address_size;          /* 2, 4 or 8 bytes */
    bool long_mode, real, paging;
};

static struct segment guest_segment(unsigned seg)
{
    static const uint32_t base[] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE, VMCS_GUEST_SS_BASE,
                                     VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    static const uint32_t limit[] = { VMCS_GUEST_ES_LIMIT, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_SS_LIMIT,
                                      VMCS_GUEST_DS_LIMIT, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT };
    static const uint32_t ar[] = { VMCS_GUEST_ES_ACCESS_RIGHTS, VMCS_GUEST_CS_ACCESS_RIGHTS,
                                   VMCS_GUEST_SS_ACCESS_RIGHTS, VMCS_GUEST_DS_ACCESS_RIGHTS,
                                   VMCS_GUEST_FS_ACCESS_RIGHTS, VMCS_GUEST_GS_ACCESS_RIGHTS };
    seg = seg <= SEG_GS ? seg : SEG_DS;     /* 6 and 7 are reserved: never reported */
    return (struct segment){ .base = vmcs_read(base[seg]), .limit = (uint32_t)vmcs_read(limit[seg]),
                             .access_rights = (uint32_t)vmcs_read(ar[seg]), .is_ss = seg == SEG_SS };
}

/* The segment override prefix's segment register (SDM vol. 2A, 2.1.1). */
static unsigned prefix_segment(uint8_t prefix)
{
    switch (prefix) {
    case 0x26: return SEG_ES;
    case 0x2E: return SEG_CS;
    case 0x36: return SEG_SS;
    case 0x64: return SEG_FS;
    case 0x65: return SEG_GS;
    default:   return SEG_DS;           /* 0x3E, or none */
    }
}

/* The address size and the segment: from the instruction-information field
 * where the CPU gives it (its segment field is OUTS's; INS always uses ES),
 * else from the instruction's prefixes, decoded from its bytes. False if
 * the guest was stopped. */
static bool address_size_and_segment(struct vcpu *v, bool long_mode, unsigned *asz, unsigned *seg)
{
    if (v->caps->basic & VMX_BASIC_INS_OUTS_INFO) {
        struct instr_info ii = instr_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO));
        *asz = ii.address_size == ADDR_16 ? 2 : ii.address_size == ADDR_32 ? 4 : 8;
        *seg = ii.segment;
        return true;
    }
    uint8_t code[X86_MAX_LENGTH];
    struct x86_insn insn;
    uint64_t at = vmcs_read(VMCS_GUEST_CS_BASE) + v->rip;
    size_t got = long_mode ? 0 : guest_linear_read(v->guest, (uint32_t)at, code, sizeof(code));
    unsigned cs_size = (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & SEG_AR_DB) ? 4 : 2;
    if (!got || x86_decode(code, got, cs_size, &insn) != X86_DECODE_OK) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "string I/O at rip 0x%lx: this CPU does not report "
                   "INS/OUTS's address size, and its bytes could not be decoded%s", v->rip,
                   long_mode ? " (64-bit code)" : "");
        return false;
    }
    *asz = insn.address_size;
    *seg = prefix_segment(insn.segment);
    return true;
}

static bool string_operand(struct vcpu *v, const struct io_qual *io, struct string_operand *op)
{
    uint64_t cr0 = guest_cr0_view(v->guest);
    bool ia32e = vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST;
    op->long_mode = ia32e && (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & AR_L);
    op->real = !(cr0 & CR0_PE) || (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_VM);
    op->paging = cr0 & CR0_PG;
    unsigned seg;
    if (!address_size_and_segment(v, op->long_mode, &op->address_size, &seg))
        return false;
    op->seg = guest_segment(io->in ? SEG_ES : seg);
    if (op->long_mode && (io->in || seg < SEG_FS))
        op->seg.base = 0;           /* 64-bit mode: ES, CS, SS and DS have base 0 (SDM 3.4.4) */
    return true;
}

/* The register part the address size uses: CX, ECX or RCX (likewise SI and
 * DI). A 32-bit result zero-extends, as every 32-bit register write does
 * in 64-bit mode (SDM vol. 1, 3.4.1.1); a 16-bit one keeps bits 63:16. */
static uint64_t address_mask(unsigned asz)
{
    return asz == 8 ? ~0ull : (1ull << (8 * asz)) - 1;
}

static void set_counter(uint64_t *reg, uint64_t value, unsigned asz)
{
    uint64_t mask = address_mask(asz);
    *reg = asz == 2 ? (*reg & ~mask) | (value & mask) : value & mask;
}

/* A fault in the middle: RIP on the instruction (SDM vol. 3, 6.5: a fault
 * reports the faulting instruction), where the elements done have moved
 * it (their advance_rip), before the caller delivers it, which may move
 * RIP to the handler itself (cpu=deprivileged). */
static void fault_at_instruction(struct vcpu *v, const struct string_io_cpu *cpu, unsigned vector,
                                 uint32_t error)
{
    vmcs_write(VMCS_GUEST_RIP, v->rip);
    cpu->fault(v, vector, error);
}

/* One element's memory: up to two pieces, where it crosses a page. OUTS
 * reads what the guest's CPU reads (under cpu=pv the M2P too: read-only
 * to the guest, and to the hypervisor here); INS writes the VM's own RAM
 * only. */
struct element_memory {
    const uint8_t *from[2];         /* OUTS */
    uint8_t *to[2];                 /* INS */
    unsigned first;                 /* the bytes in the first piece */
};

/* The guest RAM behind [linear, linear + size), each page walked as the
 * CPU's own access walks it (its accessed and dirty flags set), or the
 * #PF delivered, or the guest stopped (memory with no RAM). */
static bool element_memory(struct vcpu *v, const struct string_io_cpu *cpu, const struct string_operand *op,
                           uint64_t linear, unsigned size, bool write, struct element_memory *m)
{
    uint32_t access = (write ? PFEC_W : 0) | (cpu->cpl == 3 ? PFEC_U : 0);
    m->first = 4096 - (unsigned)(linear & 0xFFF);
    if (m->first > size)
        m->first = size;
    for (unsigned i = 0; i < 2; i++) {
        uint64_t at = i ? (linear | 0xFFF) + 1 : linear;
        unsigned len = i ? size - m->first : m->first;
        m->from[i] = m->to[i] = NULL;
        if (!len)
            continue;
        if (!op->long_mode)
            at = (uint32_t)at;      /* a 32-bit linear address wraps */
        uint64_t gpa = at;
        if (op->paging) {
            struct gpt_walk w;
            guest_cpu_walk_now(v->guest, at, access, &w);
            if (w.result == GPT_NONCANONICAL) {
                /* segment_access checked the element's bytes: not reached. */
                fault_at_instruction(v, cpu, op->seg.is_ss ? VEC_SS : VEC_GP, 0);
                return false;
            }
            if (w.result == GPT_FAULT) {
                write_cr2(at);      /* the host leaves CR2 to the guest (x86.h) */
                fault_at_instruction(v, cpu, VEC_PF, w.error_code);
                return false;
            }
            if (w.result == GPT_BAD_TABLE) {
                guest_stop(v, POWEROFF_GUEST_STOPPED, "string I/O at rip 0x%lx: the guest's page "
                           "table at 0x%lx for linear 0x%lx is outside its RAM", v->rip, w.bad_gpa, at);
                return false;
            }
            gpa = w.gpa;
        }
        if (write && cpu->writes)
            cpu->writes(v, gpa);
        if (write)
            m->to[i] = guest_ptr(v->guest, gpa, len);
        else
            m->from[i] = guest_ptr_read(v->guest, gpa, len);
        if (!m->to[i] && !m->from[i]) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "string I/O (%s) at rip 0x%lx %s guest-physical "
                       "0x%lx (linear 0x%lx), outside the guest's RAM: INS and OUTS reach only RAM",
                       write ? "INS" : "OUTS", v->rip, write ? "writes" : "reads", gpa, at);
            return false;
        }
    }
    return true;
}

static uint32_t element_load(const struct element_memory *m, unsigned size)
{
    uint32_t value = 0;
    for (unsigned i = 0; i < size; i++)
        value |= (uint32_t)(i < m->first ? m->from[0][i] : m->from[1][i - m->first]) << (8 * i);
    return value;
}

static void element_store(const struct element_memory *m, unsigned size, uint32_t value)
{
    for (unsigned i = 0; i < size; i++) {
        uint8_t *p = i < m->first ? &m->to[0][i] : &m->to[1][i - m->first];
        *p = (uint8_t)(value >> (8 * i));
    }
}

/* One element: the memory checked, then the port accessed through the
 * caller's single-port path, with the guest's RAX and qualification put
 * back. False if it faulted or the guest was stopped. */
static bool one_element(struct vcpu *v, const struct string_io_cpu *cpu, const struct string_operand *op,
                        struct io_qual io, uint64_t offset)
{
    struct segment_access sa = segment_access(&op->seg, offset, io.size, io.in, op->long_mode, op->real);
    if (sa.fault) {
        fault_at_instruction(v, cpu, sa.fault, 0);
        return false;
    }
    struct element_memory m;
    if (!element_memory(v, cpu, op, sa.linear, io.size, io.in, &m))
        return false;
    uint64_t rax = v->regs.rax, qualification = v->exit_qualification;
    io.string = io.rep = false;
    v->exit_qualification = io_qual_encode(io);
    if (!io.in)
        v->regs.rax = element_load(&m, io.size);
    cpu->element(v);
    if (io.in && !v->stopped)
        element_store(&m, io.size, (uint32_t)v->regs.rax);
    v->regs.rax = rax;
    v->exit_qualification = qualification;
    return !v->stopped;
}

void string_io(struct vcpu *v, const struct string_io_cpu *cpu)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    struct string_operand op;
    if (!string_operand(v, &io, &op))
        return;
    unsigned asz = op.address_size;
    uint64_t mask = address_mask(asz);
    uint64_t *index = io.in ? &v->regs.rdi : &v->regs.rsi;
    uint64_t step = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF) ? -(uint64_t)io.size : io.size;
    for (unsigned done = 0;; done++) {
        if (io.rep && !(v->regs.rcx & mask))
            break;                                  /* (E)CX = 0: done, or nothing to do */
        if (done == STRING_IO_ELEMENTS_PER_EXIT) {
            vmcs_write(VMCS_GUEST_RIP, v->rip);     /* the rest on the next entry */
            return;
        }
        if (!one_element(v, cpu, &op, io, *index & mask))
            return;                                 /* a fault delivered, or the guest stopped */
        set_counter(index, *index + step, asz);
        if (!io.rep)
            break;
        set_counter(&v->regs.rcx, v->regs.rcx - 1, asz);
    }
    advance_rip(v);
}
