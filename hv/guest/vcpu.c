/*
 * vcpu.c: what an exit handler may do to the vCPU (see vcpu.h): read and
 * write its registers, and stop it with the story of why (64-bit, VMX root
 * operation).
 */
#include "guest/vcpu.h"
#include <stdarg.h>
#include "guest/exit_stats.h"
#include "guest/guest.h"
#include "guest/guest_linear.h"
#include "cpu/panic.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"

/* General-purpose register n, in the qualification's numbering (the same as
 * the instruction encoding's), as its place in struct guest_regs, which
 * leaves RSP out: RSP lives in the VMCS (n = 4). */
static const unsigned gpr_slot[16] = { 0, 1, 2, 3, 99, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

uint64_t guest_tsc(void)
{
    uint64_t offset = (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_USE_TSC_OFFSETTING)
                      ? vmcs_read(VMCS_TSC_OFFSET) : 0;
    return rdtsc() + offset;
}

uint64_t guest_gpr(const struct vcpu *v, unsigned n)
{
    return n == 4 ? vmcs_read(VMCS_GUEST_RSP) : (&v->regs.rax)[gpr_slot[n]];
}

void set_guest_gpr(struct vcpu *v, unsigned n, uint64_t value)
{
    if (n == 4)
        vmcs_write(VMCS_GUEST_RSP, value);
    else
        (&v->regs.rax)[gpr_slot[n]] = value;
}

#define AR_DB (1u << 14)     /* CS access rights: D, 32-bit code (SDM 25.4.1) */
#define AR_L  (1u << 13)     /* CS access rights: L, 64-bit code with IA32_EFER.LMA */

/* The code the guest runs (x86_decode.h): 64-bit code in IA-32e mode
 * with CS.L (SDM vol. 3, 5.2.1), else CS.D's size; and the linear address
 * of its instruction, CS's base ignored in 64-bit mode (3.4.4), a 32-bit
 * sum wrapping elsewhere. */
static enum x86_mode guest_code(const struct vcpu *v, uint64_t rip, uint64_t *linear)
{
    uint64_t ar = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);
    if ((guest_efer_view(v->guest) & EFER_LMA) && (ar & AR_L)) {
        *linear = rip;
        return X86_MODE_64;
    }
    *linear = (uint32_t)(vmcs_read(VMCS_GUEST_CS_BASE) + rip);
    return (ar & AR_DB) ? X86_MODE_32 : X86_MODE_16;
}

size_t guest_instruction_fetch(const struct vcpu *v, uint8_t *code, uint64_t *linear, enum x86_mode *mode)
{
    *mode = guest_code(v, v->rip, linear);
    return v->guest->shadow_paging ? guest_shadow_read(v->guest, *linear, code, X86_MAX_LENGTH)
                                   : guest_linear_read(v->guest, *linear, code, X86_MAX_LENGTH);
}

/* The instruction at the guest's CS:RIP, as bytes: exactly one instruction
 * (x86_decode.c), to look up in the SDM or give to objdump. Read without
 * side effects (guest_linear.c). */
static void print_guest_instruction(const struct vcpu *v)
{
    uint64_t linear;
    enum x86_mode mode = guest_code(v, vmcs_read(VMCS_GUEST_RIP), &linear);
    uint8_t code[X86_MAX_LENGTH];
    size_t got = guest_linear_read(v->guest, linear, code, sizeof(code));
    printf("hv: %sguest instruction at 0x%08lx:", v->guest->tag, linear);
    if (!got) {
        printf(" unreadable (not mapped by the guest's page tables, or outside its RAM)\n");
        return;
    }
    struct x86_insn in;
    enum x86_decode_status status = x86_decode(code, got, mode, &in);
    for (unsigned i = 0; i < in.length; i++)
        printf(" %02x", code[i]);
    printf(status == X86_DECODE_OK ? "\n" : " (%s)\n", x86_decode_status_name(status));
}

void guest_state_print(const struct vcpu *v)
{
    const struct guest_regs *r = &v->regs;
    const char *tag = v->guest->tag;
    /* What MOV from CR0 gives the guest: the shadow in the masked bits (SDM 25.6.6). */
    uint64_t cr0_mask = vmcs_read(VMCS_CR0_GUEST_HOST_MASK);
    printf("hv: %sguest eax=%08lx ebx=%08lx ecx=%08lx edx=%08lx esi=%08lx edi=%08lx "
           "ebp=%08lx esp=%08lx\n", tag, r->rax, r->rbx,
           r->rcx, r->rdx, r->rsi,
           r->rdi, r->rbp,
           vmcs_read(VMCS_GUEST_RSP));
    printf("hv: %sguest eip=%08lx eflags=%08lx cs=%04lx ss=%04lx cr0=%08lx (guest sees "
           "%08lx) cr3=%08lx cr4=%08lx\n", tag, vmcs_read(VMCS_GUEST_RIP),
           vmcs_read(VMCS_GUEST_RFLAGS),
           vmcs_read(VMCS_GUEST_CS_SELECTOR),
           vmcs_read(VMCS_GUEST_SS_SELECTOR),
           vmcs_read(VMCS_GUEST_CR0),
           (vmcs_read(VMCS_GUEST_CR0) & ~cr0_mask) |
                                (vmcs_read(VMCS_CR0_READ_SHADOW) & cr0_mask),
           vmcs_read(VMCS_GUEST_CR3),
           vmcs_read(VMCS_GUEST_CR4));
    printf("hv: %sguest gdtr=%08lx/%04lx idtr=%08lx/%04lx interruptibility=%lx activity=%lu\n",
           tag, vmcs_read(VMCS_GUEST_GDTR_BASE),
           vmcs_read(VMCS_GUEST_GDTR_LIMIT),
           vmcs_read(VMCS_GUEST_IDTR_BASE),
           vmcs_read(VMCS_GUEST_IDTR_LIMIT),
           vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
           vmcs_read(VMCS_GUEST_ACTIVITY_STATE));
    print_guest_instruction(v);
}

void vcpu_load(struct vcpu *v)
{
    if (vmptrld(v->vmcs_pa) != VMX_OK)
        panic("VMPTRLD of the VMCS at 0x%lx failed", v->vmcs_pa);
}

void guest_stop(struct vcpu *v, int status, const char *fmt, ...)
{
    va_list ap;
    printf("hv: %sguest stopped: ", v->guest->tag);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (status != 0) {
        guest_state_print(v);
        exit_trace_print(&v->stats, v->guest->tag);
    }
    v->stopped = true;
    v->stop_status = status;
}

uint64_t vcpu_operand_address(const struct vcpu *v, struct instr_info ii)
{
    uint64_t gpr[16];
    for (unsigned n = 0; n < 16; n++)
        gpr[n] = guest_gpr(v, n);
    uint64_t offset = instr_info_offset(ii, v->exit_qualification, gpr);
    /* 64-bit mode: IA-32e mode (the entry control mirrors EFER.LMA at every
     * exit, SDM 28.2) with CS.L set (access rights bit 13, SDM 25.4.1). */
    bool mode64 = (vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST) &&
                  (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) >> 13 & 1);
    if (mode64 && ii.segment != SEG_FS && ii.segment != SEG_GS)
        return offset;
    /* ES, CS, SS, DS, FS, GS: their base fields are consecutive (SDM
     * appendix B.4.3: 0x6806, 0x6808, ...). */
    uint64_t linear = vmcs_read((enum vmcs_field)(VMCS_GUEST_ES_BASE + 2 * (ii.segment % 6))) + offset;
    return mode64 ? linear : (uint32_t)linear;
}
