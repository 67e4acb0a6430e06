/*
 * long_mode_msrs.c: the MSRs of a 64-bit kernel, left to the guest in the
 * real CPU (64-bit, VMX root operation).
 *
 * Why the MSR bitmap lets them through (SDM vol. 3, 25.6.9) instead of
 * emulating them or swapping them in the VM-entry/exit MSR-load areas
 * (25.7.2, 25.8.2), which would cost every exit:
 *   - FS_BASE and GS_BASE are the guest's FS.base and GS.base, which the
 *     VMCS's guest-state area holds (25.4.1): a WRMSR in VMX non-root
 *     operation writes the guest's register, a VM exit saves it and loads
 *     the host's (HOST_FS_BASE, HOST_GS_BASE: 0, vmcs_setup.c; 28.5.2);
 *   - KERNEL_GS_BASE is used only by SWAPGS, and STAR, LSTAR, CSTAR and
 *     SFMASK only by SYSCALL and SYSRET: the hypervisor runs at ring 0 only
 *     and executes none of them, so whatever the guest leaves in them does
 *     not change what the hypervisor does. They are the guest's registers
 *     like DR0-DR3 (vm.c switches them between VMs, vm_switch_cpu_state).
 * The CPU itself then applies WRMSR's rules: a non-canonical address in
 * FS_BASE, GS_BASE, KERNEL_GS_BASE, LSTAR or CSTAR is #GP(0) (SDM vol. 4,
 * table 2-2; vol. 2 WRMSR), before it can reach a VM entry, where a
 * non-canonical FS or GS base would fail it (27.3.1.2).
 * Under cpu=deprivileged the guest kernel runs at ring 1, where WRMSR and
 * RDMSR fault before any VM exit (26.1.1): the emulation's allow-list
 * (exit_msr.c) refuses these MSRs there.
 */
#include "guest/long_mode_msrs.h"
#include "x86/x86.h"

/* Passed through, in this order; the first LONG_MODE_SWITCHED_MSRS are
 * the ones no VMCS field holds. */
static const uint32_t passed_through[] = {
    MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_FS_BASE, MSR_GS_BASE,
};

/* The bitmap's four 1 KiB parts (SDM 25.6.9): reads of MSRs 0-0x1FFF, reads
 * of 0xC0000000-0xC0001FFF, then the writes of each. */
#define BITMAP_READ_HIGH  0x400
#define BITMAP_WRITE_HIGH 0xC00

void long_mode_msrs_pass_through(uint8_t *msr_bitmap)
{
    for (unsigned i = 0; i < sizeof(passed_through) / sizeof(passed_through[0]); i++) {
        unsigned bit = passed_through[i] - 0xC0000000u;
        msr_bitmap[BITMAP_READ_HIGH + bit / 8] &= (uint8_t)~(1u << (bit % 8));
        msr_bitmap[BITMAP_WRITE_HIGH + bit / 8] &= (uint8_t)~(1u << (bit % 8));
    }
}

void long_mode_msrs_save(uint64_t saved[LONG_MODE_SWITCHED_MSRS])
{
    for (unsigned i = 0; i < LONG_MODE_SWITCHED_MSRS; i++)
        saved[i] = rdmsr(passed_through[i]);
}

void long_mode_msrs_load(const uint64_t saved[LONG_MODE_SWITCHED_MSRS])
{
    for (unsigned i = 0; i < LONG_MODE_SWITCHED_MSRS; i++)
        wrmsr(passed_through[i], saved[i]);
}

void long_mode_msrs_reset(void)
{
    static const uint64_t zero[LONG_MODE_SWITCHED_MSRS];
    long_mode_msrs_load(zero);
}
