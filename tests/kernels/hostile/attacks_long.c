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

#define MSR_EFER            0xC0000080
#define MSR_STAR            0xC0000081
#define MSR_LSTAR           0xC0000082
#define MSR_CSTAR           0xC0000083
#define MSR_SFMASK          0xC0000084
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102
#define EFER_LME            0x100
#define NON_CANONICAL       0x0000800000000000ull

static void wrmsr_at(uint32_t msr, uint64_t v)
{
    __asm__ volatile(EXPECT_AT("wrmsr") : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
}

static uint64_t rdmsr_plain(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return (uint64_t)hi << 32 | lo;
}

#define GP_EXPECTED "result exception 13 error=0x0 cpl=0 at=expected"

ATTACK(long_fs_base, "long-fs-base-noncanonical", "all icelake", "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_FS_BASE non-canonical: the guest-state field would fail the next VM entry")
{
    wrmsr_at(MSR_FS_BASE, NON_CANONICAL);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_FS_BASE));
}

ATTACK(long_gs_base, "long-gs-base-noncanonical", "all icelake", "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_GS_BASE non-canonical: the guest-state field would fail the next VM entry")
{
    wrmsr_at(MSR_GS_BASE, 0xFFFF000000000000ull);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_GS_BASE));
}

ATTACK(long_kernel_gs_base, "long-kernel-gs-base-noncanonical", "all icelake",
       "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_KERNEL_GS_BASE non-canonical, in the real MSR")
{
    wrmsr_at(MSR_KERNEL_GS_BASE, NON_CANONICAL);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_KERNEL_GS_BASE));
}

ATTACK(long_lstar, "long-lstar-noncanonical", "all icelake", "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_LSTAR non-canonical, in the real MSR")
{
    wrmsr_at(MSR_LSTAR, NON_CANONICAL);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_LSTAR));
}

ATTACK(long_cstar, "long-cstar-noncanonical", "all icelake", "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_CSTAR non-canonical, in the real MSR")
{
    wrmsr_at(MSR_CSTAR, 0x8000000000000000ull);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_CSTAR));
}

ATTACK(long_sfmask_high, "long-sfmask-reserved", "all icelake", "native; depriv patch: " GP_EXPECTED,
       "WRMSR IA32_FMASK with its reserved upper half set")
{
    wrmsr_at(MSR_SFMASK, 0x100000000ull);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_SFMASK));
}

ATTACK(long_lme_paging_on, "long-efer-lme-paging-on", "all icelake",
       "native; shadow depriv patch: stop long mode needs mem=ept",
       "WRMSR EFER.LME with paging on: LME may change only while paging is off (SDM 10.8.5)")
{
    paging_on(0);
    wrmsr_at(MSR_EFER, rdmsr_plain(MSR_EFER) | EFER_LME);
    result("took it, EFER reads 0x%llx", (unsigned long long)rdmsr_plain(MSR_EFER));
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
        if (rdmsr_plain(switched[i]) == value_of(i, seed))
            return (int)i;
    return -1;
}

static int msr_changed(uint32_t seed)
{
    for (unsigned i = 0; i < SWITCHED; i++)
        if (rdmsr_plain(switched[i]) != value_of(i, seed))
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
        if (rdmsr_plain(switched[i]))
            result("MSR 0x%x not at its power-on value 0", (unsigned)switched[i]);
    result("no secret in its SYSCALL MSRs, all 0");
}

/* In turns (devices=virtual): each VM fills them with values of its own and
 * checks them after each of the other's turns (a jump of the TSC, as in
 * attacks_vms.c): its own values every time, the other's never. */
#define OTHER_TURN_TSC 20000u
#define GIVE_UP_TSC    40000000u

static void keep_msrs(uint32_t mine, uint32_t theirs, unsigned turns)
{
    fill_msrs(mine);
    uint64_t start = read_tsc(), last = start;
    for (unsigned seen = 0; seen < turns;) {
        uint64_t now = read_tsc();
        if (now - last >= OTHER_TURN_TSC) {
            seen++;
            int found = theirs ? msr_holding(theirs) : -1;
            if (found >= 0)
                breach("the other VM's value in MSR 0x%x after its turn %u", (unsigned)switched[found], seen);
            int lost = msr_changed(mine);
            if (lost >= 0)
                result("lost its own MSR 0x%x after %u of the other VM's turns", (unsigned)switched[lost], seen);
        } else if (now - start > GIVE_UP_TSC) {
            result("saw %u of the other VM's turns in %u TSC ticks", seen, GIVE_UP_TSC);
        }
        last = now;
    }
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
