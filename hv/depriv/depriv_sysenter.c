/*
 * depriv_sysenter.c: SYSENTER and SYSEXIT of a deprivileged guest, and the
 * three MSRs behind them (64-bit, VMX root; lab 3).
 *
 * SYSENTER does not exit. Given the guest's IA32_SYSENTER_CS it would jump
 * to real ring 0 with flat 4 GiB segments (SDM vol. 2B, SYSENTER): past the
 * ring compression and the segment limits that keep the hypervisor's top
 * 4 MiB out of reach (depriv.h). So the guest's three MSRs stay here
 * (WRMSR and RDMSR are emulated at ring 1: exit_msr.c finds
 * them through v->sysenter_msrs, which depriv_setup points here), the real IA32_SYSENTER_CS stays 0, and SYSENTER and
 * SYSEXIT then fault with #GP ("IA32_SYSENTER_CS[15:2] = 0"), at any
 * privilege level, and are emulated from the guest's MSRs: what the SDM's
 * pseudocode loads, with the guest's ring 0 made ring 1 and every limit cut
 * below the top 64 MiB, as for the guest's own descriptors.
 */
#include "depriv/depriv.h"
#include "x86/descriptor.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

/* The fixed segments SYSENTER and SYSEXIT load (the CPU does not read the
 * GDT for them): base 0, limit 4 GiB in pages, 32-bit, accessed; code is
 * execute/read, data read/write (SDM vol. 2B, SYSENTER, SYSEXIT). */
#define FLAT_CODE(dpl) (0x00CF9B000000FFFFull | (uint64_t)(dpl) << 45)
#define FLAT_DATA(dpl) (0x00CF93000000FFFFull | (uint64_t)(dpl) << 45)

static void load_flat(unsigned field, uint16_t selector, uint64_t d)
{
    depriv_load_descriptor(field, selector, descriptor_compress(d, DEPRIV_SEG_LIMIT));
}

bool depriv_sysenter(struct vcpu *v, const struct x86_insn *in)
{
    if (in->map != 1 || (in->opcode != 0x34 && in->opcode != 0x35))
        return false;
    bool sysexit = in->opcode == 0x35;
    uint16_t cs = (uint16_t)v->depriv.sysenter[0] & 0xFFFC;
    if (!(cs >> 2) || (sysexit && depriv_cpl() != 0)) {
        depriv_deliver(v, VEC_GP, 0, (uint32_t)v->rip, 0);   /* the CPU's #GP(0) */
        return true;
    }
    if (!sysexit) {
        /* To the guest's ring 0, the real ring 1; IF (the guest's), VM and
         * RF cleared. */
        load_flat(VMCS_GUEST_CS_SELECTOR, cs | 1, FLAT_CODE(0));
        load_flat(VMCS_GUEST_SS_SELECTOR, (uint16_t)(cs + 8) | 1, FLAT_DATA(0));
        vmcs_write(VMCS_GUEST_RSP, (uint32_t)v->depriv.sysenter[1]);
        vmcs_write(VMCS_GUEST_RIP, (uint32_t)v->depriv.sysenter[2]);
        vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(RFLAGS_VM | RFLAGS_RF));
        depriv_set_vif(v, false);
    } else {
        /* To ring 3 at EDX, its stack at ECX; the flags stay. */
        load_flat(VMCS_GUEST_CS_SELECTOR, (uint16_t)(cs + 16) | 3, FLAT_CODE(3));
        load_flat(VMCS_GUEST_SS_SELECTOR, (uint16_t)(cs + 24) | 3, FLAT_DATA(3));
        vmcs_write(VMCS_GUEST_RSP, (uint32_t)v->regs.rcx);
        vmcs_write(VMCS_GUEST_RIP, (uint32_t)v->regs.rdx);
    }
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    v->depriv.emulated++;
    return true;
}
