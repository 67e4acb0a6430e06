/*
 * attacks_long.c: long mode's MSRs and rules, from the 32-bit hostile
 * kernel (the 64-bit side is tests/kernels/long64, run by
 * tests/integration/long_mode_cases.py). The FS/GS bases, KERNEL_GS_BASE
 * and the SYSCALL MSRs are the guest's in the real CPU under EPT and
 * mem=shadow (hv/guest/long_mode_msrs.c): the CPU must refuse a
 * non-canonical address in them as it does on the bare machine, before any
 * VM entry could see it (a non-canonical FS or GS base fails one, SDM
 * 27.3.1.2); at ring 1 (cpu=deprivileged) the emulation refuses them all.
 * With two VMs, each must find only its own values in them.
 */
#include "attack.h"
#include "long_mode_msr_numbers.h"

#define MSR_EFER            0xC0000080
#define EFER_LME            0x100
#define NON_CANONICAL       0x0000800000000000ull

/* WRMSR of a value the CPU refuses: #GP(0) at the WRMSR (at ring 1, the
 * emulation's #GP for an MSR not on its list), or what the MSR then holds. */
static void write_and_report(uint32_t msr, uint64_t value)
{
    wrmsr_at(msr, value);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr(msr));
}

/* One attack per MSR: a value the CPU refuses. At ring 1 the emulation
 * refuses the MSR itself, with the same #GP. */
#define WRMSR_REFUSED(fn, name, msr, value, what)                                     \
    ATTACK(fn, name, "all icelake", "native; depriv patch: result exception 13 error=0x0 cpl=0 at=expected", \
           what) { write_and_report(msr, value); }

WRMSR_REFUSED(long_fs_base, "long-fs-base-noncanonical", MSR_FS_BASE, NON_CANONICAL,
              "WRMSR IA32_FS_BASE non-canonical: the guest-state field would fail the next VM entry")
WRMSR_REFUSED(long_gs_base, "long-gs-base-noncanonical", MSR_GS_BASE, 0xFFFF000000000000ull,
              "WRMSR IA32_GS_BASE non-canonical: the guest-state field would fail the next VM entry")
WRMSR_REFUSED(long_kernel_gs_base, "long-kernel-gs-base-noncanonical", MSR_KERNEL_GS_BASE, NON_CANONICAL,
              "WRMSR IA32_KERNEL_GS_BASE non-canonical, in the real MSR")
WRMSR_REFUSED(long_lstar, "long-lstar-noncanonical", MSR_LSTAR, NON_CANONICAL,
              "WRMSR IA32_LSTAR non-canonical, in the real MSR")
WRMSR_REFUSED(long_cstar, "long-cstar-noncanonical", MSR_CSTAR, 0x8000000000000000ull,
              "WRMSR IA32_CSTAR non-canonical, in the real MSR")
WRMSR_REFUSED(long_sfmask_high, "long-sfmask-reserved", MSR_SFMASK, 0x100000000ull,
              "WRMSR IA32_FMASK with its reserved upper half set")

ATTACK(long_lme_paging_on, "long-efer-lme-paging-on", "all icelake",
       "native",
       "WRMSR EFER.LME with paging on: LME may change only while paging is off (SDM 10.8.5)")
{
    paging_on(0);
    wrmsr_at(MSR_EFER, rdmsr(MSR_EFER) | EFER_LME);
    result("took it, EFER reads 0x%llx", (unsigned long long)rdmsr(MSR_EFER));
}

/* ---- two VMs: the MSRs no VMCS field holds (hv/guest/vm.c switches them) ---- */
static const uint32_t switched[] = { MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK };
#define SWITCHED (sizeof(switched) / sizeof(switched[0]))

/* A canonical value per MSR (bits 63:47 clear; SFMASK: its low half only),
 * from a seed. */
static uint64_t value_of(unsigned i, uint32_t seed)
{
    uint32_t lo = seed * (2 * i + 1) + i;
    return switched[i] == MSR_SFMASK ? lo : (uint64_t)((seed >> 8) & 0x7FFFu) << 32 | lo;
}

static void fill_msrs(uint32_t seed)
{
    for (unsigned i = 0; i < SWITCHED; i++)
        wrmsr_at(switched[i], value_of(i, seed));
}

/* The first MSR holding seed's value, or -1. */
static int msr_holding(uint32_t seed)
{
    for (unsigned i = 0; i < SWITCHED; i++)
        if (rdmsr(switched[i]) == value_of(i, seed))
            return (int)i;
    return -1;
}

static int msr_changed(uint32_t seed)
{
    for (unsigned i = 0; i < SWITCHED; i++)
        if (rdmsr(switched[i]) != value_of(i, seed))
            return (int)i;
    return -1;
}

#define SECRET_SEED 0x5EC2E7A5u

ATTACK(long_msrs_write, "long-msrs-write", "ept icelake", "result left its secret in its SYSCALL MSRs",
       "puts a secret in KERNEL_GS_BASE, STAR, LSTAR, CSTAR and SFMASK, for VM 1 to look for (long-msrs-scan)")
{
    fill_msrs(SECRET_SEED);
    result("left its secret in its SYSCALL MSRs");
}

ATTACK(long_msrs_scan, "long-msrs-scan", "ept icelake after:long-msrs-write",
       "result no secret in its SYSCALL MSRs, all 0",
       "looks for VM 0's secret in KERNEL_GS_BASE, STAR, LSTAR, CSTAR and SFMASK")
{
    int found = msr_holding(SECRET_SEED);
    if (found >= 0)
        breach("VM 0's secret in MSR 0x%x", (unsigned)switched[found]);
    for (unsigned i = 0; i < SWITCHED; i++)
        if (rdmsr(switched[i]))
            result("MSR 0x%x not at its power-on value 0", (unsigned)switched[i]);
    result("no secret in its SYSCALL MSRs, all 0");
}

/* In turns (devices=virtual): each VM fills them with values of its own and
 * checks them after each of the other's turns: its own values every time,
 * the other's never. */
static uint32_t kept_seed, their_seed;

static void check_msrs(unsigned seen)
{
    int found = their_seed ? msr_holding(their_seed) : -1;
    if (found >= 0)
        breach("the other VM's value in MSR 0x%x after its turn %u", (unsigned)switched[found], seen);
    int lost = msr_changed(kept_seed);
    if (lost >= 0)
        result("lost its own MSR 0x%x after %u of the other VM's turns", (unsigned)switched[lost], seen);
}

static void keep_msrs(uint32_t mine, uint32_t theirs, unsigned turns)
{
    kept_seed = mine, their_seed = theirs;
    fill_msrs(mine);
    after_each_other_turn(turns, check_msrs);
}

ATTACK(long_msrs_hold, "long-msrs-hold", "partner virtual",
       "result kept its SYSCALL MSRs through 4 of the other VM's turns",
       "VM 0 beside long-msrs-keep: fills KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK and checks them after each turn of VM 1")
{
    keep_msrs(SECRET_SEED, 0, 4);
    result("kept its SYSCALL MSRs through 4 of the other VM's turns");
}

ATTACK(long_msrs_keep, "long-msrs-keep", "virtual after:long-msrs-hold",
       "result kept its SYSCALL MSRs through 3 of the other VM's turns",
       "VM 1 beside long-msrs-hold, in turns: its own KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK after each of "
       "VM 0's turns, and never VM 0's")
{
    keep_msrs(~SECRET_SEED, SECRET_SEED, 3);
    result("kept its SYSCALL MSRs through 3 of the other VM's turns");
}

/* CR0.PG with EFER.LME but not CR4.PAE: #GP(0) (SDM 10.8.5; vol. 2 MOV CR).
 * CR0.NE set in the same MOV, a bit the hypervisor owns under EPT, so that
 * the MOV exits and the hypervisor's emulation must refuse it
 * (long_mode_rules.c), not the CPU; under shadow paging the WRMSR stops it. */
ATTACK(long_pg_without_pae, "long-pg-without-pae", "all icelake",
       "native; shadow depriv patch: stop long mode needs mem=ept",
       "EFER.LME, then CR0.PG (with NE, so that the MOV exits) without CR4.PAE")
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_LME);
    uint32_t cr0 = read_cr0() | CR0_PG | CR0_NE;
    __asm__ volatile(EXPECT_AT("mov %0, %%cr0") : : "r"(cr0) : "memory");
    result("took it, CR0 reads 0x%x, EFER 0x%llx", read_cr0(), (unsigned long long)rdmsr(MSR_EFER));
}
