/*
 * exit_cpuid.c: CPUID, which always exits in VMX non-root operation (SDM vol.
 * 3, 26.1.2 "Instructions That Cause VM Exits Unconditionally").
 *
 * The guest sees the real CPU's answers, with two changes that every
 * hypervisor makes: CPUID.1:ECX bit 31 says "a hypervisor is present", and
 * leaf 0x40000000 names it (the range 0x40000000-0x400000FF is reserved for
 * hypervisors); and VMX itself is hidden (CPUID.1:ECX bit 5), since this
 * hypervisor does not offer nested virtualisation. So are SMX (bit 6, and
 * with it GETSEC) and XSAVE (bits 26 and 27): the extended state would be
 * one more thing to switch between guests, and a 32-bit teaching kernel
 * needs none of it. Leaf 0x80000001 keeps long mode (EDX bit 29), SYSCALL
 * (11), NX (20) and LAHF/SAHF (ECX bit 0) as the CPU has them: 64-bit
 * guests run under EPT (exit_cr.c, exit_msr.c, guest/long_mode_msrs.c);
 * only RDTSCP (EDX bit 27) is hidden: the "enable RDTSCP" control is off
 * (vmcs_setup.c), so RDTSCP is #UD in the guest (SDM 26.3, 25.6.2 table
 * 25-7) and IA32_TSC_AUX an MSR it lacks.
 */
#include "exit/handlers.h"
#include "x86/x86.h"

#define CPUID_1_ECX_VMX         (1u << 5)
#define CPUID_1_ECX_SMX         (1u << 6)
#define CPUID_1_ECX_XSAVE       (1u << 26)
#define CPUID_1_ECX_OSXSAVE     (1u << 27)
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)
#define CPUID_EXT_BASE          0x80000000u
#define CPUID_EXT_FEATURES      (CPUID_EXT_BASE | 1)
#define CPUID_EXT_EDX_RDTSCP    (1u << 27)
#define HV_LEAF_BASE            0x40000000u
#define HV_LEAF_MAX             0x40000000u   /* leaves 0x40000001.. are not used yet */

/* "hvlabhvlabhv" in EBX, ECX, EDX, as KVM puts "KVMKVMKVM\0\0\0". */
#define HV_SIGNATURE_EBX 0x616c7668u   /* "hvla" */
#define HV_SIGNATURE_ECX 0x6c766862u   /* "bhvl" */
#define HV_SIGNATURE_EDX 0x76686261u   /* "abhv" */

/* LAB 1 BEGIN: emulate CPUID */
void handle_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.rax;
    struct cpuid_regs r;
    if (leaf >= HV_LEAF_BASE && leaf <= HV_LEAF_BASE + 0xFF) {
        r = leaf == HV_LEAF_BASE
                ? (struct cpuid_regs){ HV_LEAF_MAX, HV_SIGNATURE_EBX, HV_SIGNATURE_ECX, HV_SIGNATURE_EDX }
                : (struct cpuid_regs){ 0, 0, 0, 0 };
    } else {
        r = cpuid(v->regs.rax, v->regs.rcx);   /* the CPU reads EAX, ECX only */
        /* Leaves 1 and 0x80000001 differ in bit 31 alone: one test keeps
         * every other leaf's path as short as when leaf 1 was the only
         * one changed (the CPUID round trip, README.md "Benchmarks"). */
        if (__builtin_expect((leaf & ~CPUID_EXT_BASE) == 1, 0)) {
            if (leaf == 1) {
                r.ecx |= CPUID_1_ECX_HYPERVISOR;
                r.ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE);
            } else {
                r.edx &= ~CPUID_EXT_EDX_RDTSCP;
            }
        }
    }
    /* CPUID writes the low 32 bits and clears the high ones (x86.h). */
    v->regs.rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    advance_rip(v);
}
/* LAB 1 END */
