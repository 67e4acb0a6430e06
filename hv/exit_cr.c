/*
 * exit_cr.c: control-register accesses that exit (64-bit, VMX root).
 *
 * With EPT the guest owns CR3 and most of CR0 and CR4. The bits that VMX
 * operation fixes (CR0.NE, CR4.VMXE, ...) belong to the hypervisor through
 * the guest/host masks (vmcs_setup.c): the guest reads the read shadows, and
 * a MOV that would change a masked bit from its shadow value exits (SDM vol.
 * 3, 26.1.3 "Instructions That Cause VM Exits Conditionally"). The handler
 * gives the guest the value it asked for in the shadow, and keeps the fixed
 * bits as the CPU needs them in the real register.
 */
#include "exit.h"
#include "inject.h"
#include "panic.h"
#include "vmcs.h"
#include "x86.h"

extern struct vmx_caps hv_vmx_caps;   /* main.c */

enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

/* The exit qualification for control-register accesses (SDM 28.2.1, table 28-3). */
struct cr_access {
    unsigned cr;        /* bits 3:0 */
    unsigned type;      /* bits 5:4 */
    unsigned gpr;       /* bits 11:8: 0 rax, 1 rcx, ... 4 rsp, ... 15 r15 */
};

static struct cr_access decode_cr(uint64_t q)
{
    return (struct cr_access){ q & 0xF, (q >> 4) & 3, (q >> 8) & 0xF };
}

/* The value of general-purpose register n, in the qualification's numbering
 * (the same as the instruction encoding's). RSP lives in the VMCS. */
static uint64_t read_gpr(const struct vcpu *v, unsigned n)
{
    const uint64_t *r = &v->regs.rax;
    static const unsigned slot[16] = { 0, 1, 2, 3, 99, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    return n == 4 ? vmcs_read(VMCS_GUEST_RSP) : r[slot[n]];
}

/* LAB 1 BEGIN: MOV to CR0 and CR4 */
static void emulate_mov_to_cr0(uint64_t value)
{
    const struct vmx_caps *c = &hv_vmx_caps;
    uint64_t fixed0 = c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG);   /* unrestricted guest */
    vmcs_write(VMCS_CR0_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR0, (value | fixed0) & c->cr0_fixed1);
}

static void emulate_mov_to_cr4(struct vcpu *v, uint64_t value)
{
    const struct vmx_caps *c = &hv_vmx_caps;
    /* CPUID tells the guest it has no VMX, so setting VMXE faults, as does
     * any bit this CPU does not support (SDM vol. 3, 2.5 "Control Registers"). */
    if ((value & CR4_VMXE) || (value & ~c->cr4_fixed1)) {
        inject_exception(VEC_GP, 0);
        return;
    }
    vmcs_write(VMCS_CR4_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR4, (value | c->cr4_fixed0) & c->cr4_fixed1);
    advance_rip(v);
}

void handle_cr_access(struct vcpu *v)
{
    struct cr_access a = decode_cr(v->exit_qualification);
    if (a.type == CR_MOV_TO && a.cr == 0) {
        emulate_mov_to_cr0((uint32_t)read_gpr(v, a.gpr));
        advance_rip(v);
    } else if (a.type == CR_MOV_TO && a.cr == 4) {
        emulate_mov_to_cr4(v, (uint32_t)read_gpr(v, a.gpr));
    } else {
        panic("unexpected control-register exit: CR%u, access type %u (qualification 0x%llx) "
              "at guest rip 0x%llx: the controls in vmcs_setup.c should not allow it",
              a.cr, a.type, (unsigned long long)v->exit_qualification, (unsigned long long)v->rip);
    }
}
/* LAB 1 END */
