/*
 * exit_msr.c: RDMSR and WRMSR (64-bit, VMX root operation). The MSR bitmap
 * makes every access exit (vmcs_setup.c), and an allow-list decides: a few
 * MSRs a 32-bit kernel may touch are emulated, the rest raise #GP in the
 * guest, as a CPU does for an MSR it does not have (SDM vol. 3, 26.1.3).
 * The guest must never reach the real MSRs: they configure the host CPU.
 */
#include "guest/guest.h"
#include "exit/handlers.h"
#include "x86/canonical.h"
#include "vmx/inject.h"
#include "vmx/long_mode_rules.h"
#include "poweroff.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define MSR_IA32_TSC             0x010
#define MSR_IA32_APIC_BASE       0x01B
#define MSR_IA32_SYSENTER_CS     0x174
#define MSR_IA32_SYSENTER_ESP    0x175
#define MSR_IA32_SYSENTER_EIP    0x176
#define MSR_IA32_MISC_ENABLE     0x1A0
#define MSR_IA32_PAT             0x277

/* PAT: eight memory types, each one of UC, WC, WT, WP, WB, UC- (0, 1, 4-7;
 * SDM vol. 3, 12.12.2 "IA32_PAT MSR", table 12-10). */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned type = (pat >> (8 * i)) & 0xFF;
        if (type > 7 || type == 2 || type == 3)
            return false;
    }
    return true;
}

/* MSRs that live in the VMCS's guest-state area (SDM 25.4.1). PAT and EFER
 * are there only where VM entry loads them (vmcs_setup.c asks for it; older
 * CPUs cannot): elsewhere the guest is refused them. */
static unsigned vmcs_field_of(uint32_t msr)
{
    uint32_t entry = (msr == MSR_IA32_PAT || msr == MSR_EFER)
                         ? (uint32_t)vmcs_read(VMCS_VM_ENTRY_CONTROLS) : 0;
    switch (msr) {
    case MSR_IA32_SYSENTER_CS:  return VMCS_GUEST_IA32_SYSENTER_CS;
    case MSR_IA32_SYSENTER_ESP: return VMCS_GUEST_IA32_SYSENTER_ESP;
    case MSR_IA32_SYSENTER_EIP: return VMCS_GUEST_IA32_SYSENTER_EIP;
    case MSR_IA32_PAT:          return (entry & ENTRY_LOAD_IA32_PAT) ? VMCS_GUEST_IA32_PAT : 0;
    case MSR_EFER:              return (entry & ENTRY_LOAD_IA32_EFER) ? VMCS_GUEST_IA32_EFER : 0;
    default:                    return 0;
    }
}

/* The guest's own SYSENTER MSRs, where cpu=deprivileged keeps them
 * (v->sysenter_msrs, depriv_sysenter.c): never the VMCS's, and never the
 * real MSRs. NULL for any other MSR, and without cpu=deprivileged. */
static uint64_t *own_sysenter_msr(struct vcpu *v, uint32_t msr)
{
    if (!v->sysenter_msrs || msr < MSR_IA32_SYSENTER_CS || msr > MSR_IA32_SYSENTER_EIP)
        return NULL;
    return &v->sysenter_msrs[msr - MSR_IA32_SYSENTER_CS];
}

/* IA32_EFER (SDM vol. 4, table 2-2): SCE, NXE and LME, LME only while
 * paging is off (long_mode_rules.c); into *value what the register then
 * holds, LMA kept. Long mode itself needs EPT: shadow paging (lab 2) walks
 * 32-bit tables, and cpu=deprivileged (lab 3) runs the kernel at ring 1 of
 * a 32-bit guest. There, setting LME stops the guest with a report (what a
 * CPU without long mode would do is #GP, which would hide why). Under
 * direct paging (cpu=pv) it is #GP: the PV ABI's tables are 32-bit ones,
 * and a PV kernel knows it (lib/pv_abi.h section 3). */
static bool efer_value(struct vcpu *v, uint64_t *value)
{
    uint64_t efer = vmcs_read(VMCS_GUEST_IA32_EFER);
    if (efer_write(&efer, *value, guest_cr0_view(v->guest)))
        return false;                   /* what the CPU refuses first: #GP */
    if ((efer & EFER_LME) && v->guest->direct_paging)
        return false;                   /* cpu=pv: 32-bit tables only, LME refused (#GP) */
    if ((efer & EFER_LME) && v->guest->shadow_paging) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it set IA32_EFER.LME: long mode needs mem=ept "
                   "(shadow paging walks 32-bit tables%s)",
                   v->depriv.active ? ", and cpu=deprivileged runs 32-bit kernels only" : "");
        return false;
    }
    *value = efer;
    return true;
}

/* RIP stays on the instruction: #GP is a fault. */
static void refuse(const struct vcpu *v, const char *what, uint32_t msr)
{
    printf("hv: %sguest %s MSR 0x%x: not allowed, #GP injected\n", v->guest->tag, what, msr);
    inject_exception(VEC_GP, 0);
}

/* LAB 1 BEGIN: the MSR allow-list */
void handle_rdmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx;
    uint64_t value, *own = own_sysenter_msr(v, msr);
    unsigned field = vmcs_field_of(msr);
    if (own)
        value = *own;
    else if (field)
        value = vmcs_read(field);
    else if (msr == MSR_IA32_TSC)
        value = guest_tsc();
    else if (msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_MISC_ENABLE)
        value = rdmsr(msr);   /* read-only facts about the CPU */
    else {
        refuse(v, "reads", msr);
        return;
    }
    v->regs.rax = (uint32_t)value;
    v->regs.rdx = value >> 32;
    advance_rip(v);
}

void handle_wrmsr(struct vcpu *v)
{
    uint32_t msr = (uint32_t)v->regs.rcx;
    uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    unsigned field = vmcs_field_of(msr);
    /* A value the CPU would refuse must be refused here too (#GP, SDM vol. 2
     * WRMSR): in the VMCS it would fail the next VM entry (SDM 27.3.1.1). */
    bool bad = (field && msr == MSR_EFER && !efer_value(v, &value)) ||
               (msr == MSR_IA32_PAT && !pat_valid(value)) ||
               ((msr == MSR_IA32_SYSENTER_ESP || msr == MSR_IA32_SYSENTER_EIP) && !canonical(value));
    if (bad) {
        if (!v->stopped) {      /* efer_value may have stopped it instead */
            printf("hv: %sguest writes MSR 0x%x: 0x%lx is not a value it can hold, #GP injected\n",
                   v->guest->tag, msr, value);
            inject_exception(VEC_GP, 0);
        }
        return;
    }
    uint64_t *own = own_sysenter_msr(v, msr);
    if (own)                /* cpu=deprivileged: never the real MSR (depriv_sysenter.c) */
        *own = msr == MSR_IA32_SYSENTER_CS ? (uint32_t)value : value;
    else if (field)
        vmcs_write(field, value);
    else {
        refuse(v, "writes", msr);
        return;
    }
    advance_rip(v);
}
/* LAB 1 END */
