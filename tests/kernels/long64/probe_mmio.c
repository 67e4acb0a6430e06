/*
 * probe_mmio.c: probe=mmio on long64's command line: the local APIC and the
 * I/O APIC from 64-bit code, through the MOV forms a 64-bit kernel's
 * compiler emits, whose bytes a hypervisor must decode to emulate the
 * access (hv/exit/vm_mmio.c; SDM vol. 2A, 2.2.1 REX and RIP-relative
 * addressing): R8-R15 (REX.R, REX.X, REX.B, SIB), a 32-bit load
 * zero-extending its 64-bit register (vol. 1, 3.4.1.1), RIP-relative loads
 * and stores with an immediate after the displacement, 64-bit moffs. Then
 * the odd forms, which the CPU itself answers before any access: a REX
 * prefix a legacy prefix follows (ignored), a 16-byte instruction (#GP),
 * non-canonical addresses (#GP), an instruction whose second half lies on
 * a page that is not present (#PF). The lines are the same natively under
 * QEMU and under the hypervisor (long_mode_cases.py).
 *
 * Two aliases in entry.S's page directory of the first GiB, past any RAM:
 * PD[510] maps the local APIC's 2 MiB-aligned region at 0x3FC00000, close
 * enough to the code for RIP-relative operands (disp32); PD[511] maps
 * one 4 KiB page at 0x3FFFF000 (this file's own page table), below
 * 0x40000000, which nothing maps (PDPT[1] is empty). And one page of code
 * in the upper half, PML4E 510 (this file's own tables): an instruction
 * whose RIP, its linear address, needs more than 32 bits.
 */
#include <stdbool.h>
#include <stdint.h>
#include "printf.h"
#include "probe_mmio.h"
#include "string.h"

#define LAPIC           0xFEE00000ull
#define IOAPIC          0xFEC00000ull
#define LAPIC_ALIAS     0x3FC00000ull   /* PD[510] */
#define EDGE_PAGE       0x3FFFF000ull   /* PD[511]'s page table's last page */
#define UNMAPPED        0x40000000ull
#define HIGH_CODE       0xFFFFFF0000000000ull   /* PML4E 510, PDPTE 0, PDE 0, PTE 0 */
#define PTE_P           1ull
#define PTE_RW          2ull
#define PDE_UNCACHED    0x18ull         /* PWT, PCD: as entry.S maps the APICs */
#define PDE_PS          0x80ull
#define ADDRESS_BITS    0x000FFFFFFFFFF000ull
#define VEC_GP          13
#define VEC_PF          14

static uint64_t edge_pt[512] __attribute__((aligned(4096)));
static uint8_t edge_code[4096] __attribute__((aligned(4096)));   /* identity: physical = linear */
static uint64_t high_pdpt[512] __attribute__((aligned(4096)));
static uint64_t high_pd[512] __attribute__((aligned(4096)));
static uint64_t high_pt[512] __attribute__((aligned(4096)));
static uint8_t high_code[4096] __attribute__((aligned(4096)));

/* entry.S */
long try_call(void (*fn)(void));
extern volatile uint64_t fault_error, fault_cr2;

/* probe_mmio_forms.S: the aliases' addresses as symbols (an operand
 * "symbol(%rip)" is RIP-relative only for a symbol the linker places), and
 * the forms try_call runs, each faulting before it touches anything. */
void mmio_sixteen_bytes(void);
void mmio_non_canonical(void);
void mmio_non_canonical_moffs(void);

static unsigned failures;

static void report(bool ok, const char *what)
{
    if (!ok)
        failures++;
    printf("long64: mmio: %s: %s\n", what, ok ? "ok" : "FAILED");
}

static void map_aliases(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t *pml4 = (uint64_t *)(cr3 & ADDRESS_BITS);            /* identity */
    uint64_t *pdpt = (uint64_t *)(pml4[0] & ADDRESS_BITS);
    uint64_t *pd = (uint64_t *)(pdpt[0] & ADDRESS_BITS);          /* the first GiB's */
    pd[510] = LAPIC | PDE_PS | PDE_UNCACHED | PTE_RW | PTE_P;
    pd[511] = (uint64_t)edge_pt | PTE_RW | PTE_P;
    edge_pt[511] = (uint64_t)edge_code | PTE_RW | PTE_P;
    pml4[510] = (uint64_t)high_pdpt | PTE_RW | PTE_P;
    high_pdpt[0] = (uint64_t)high_pd | PTE_RW | PTE_P;
    high_pd[0] = (uint64_t)high_pt | PTE_RW | PTE_P;
    high_pt[0] = (uint64_t)high_code | PTE_RW | PTE_P;
    __asm__ volatile("mov %0, %%cr3" :: "r"(cr3) : "memory");   /* drop the TLB */
}

/* The local APIC's version register (SDM vol. 3, 11.4.8), each way. */
static uint32_t version_by_r9d(uint64_t *r9)
{
    __asm__ volatile("movq $-1, %%r9\n\t"
                     "movl (%1), %%r9d\n\t"              /* 44 8B 08: REX.R */
                     "movq %%r9, %0"
                     : "=&r"(*r9) : "r"(LAPIC + 0x30) : "r9", "memory");
    return (uint32_t)*r9;
}

static uint32_t version_rip_relative(void)
{
    uint32_t v;
    __asm__ volatile("movl mmio_lapic_alias + 0x30(%%rip), %0" : "=r"(v) :: "memory");
    return v;
}

static uint32_t version_by_sib(void)
{
    uint32_t v;
    __asm__ volatile("movabsq $0xFEE00000, %%r12\n\t"
                     "movl $0xC, %%r13d\n\t"
                     "movl (%%r12, %%r13, 4), %%r14d\n\t"   /* 47 8B 34 AC: REX.RXB, SIB */
                     "movl %%r14d, %0"
                     : "=&r"(v) :: "r12", "r13", "r14", "memory");
    return v;
}

static void friendly_forms(void)
{
    uint64_t r9;
    uint32_t version = version_by_r9d(&r9);
    printf("long64: mmio: local APIC version 0x%x (R9D, REX.R)\n", version & 0xFF);
    report(r9 >> 32 == 0, "the 32-bit load zero-extended R9");
    report(version_rip_relative() == version, "a RIP-relative load reads the same");
    report(version_by_sib() == version, "a load with SIB, R12 + R13 * 4 into R14D, reads the same");
    static const uint8_t load_and_return[] = { 0x8B, 0x07, 0xC3 };   /* MOV EAX, [RDI]; RET */
    memcpy(high_code, load_and_return, sizeof(load_and_return));
    uint32_t (*high_load)(uint64_t) = (uint32_t (*)(uint64_t))HIGH_CODE;
    report(high_load(LAPIC + 0x30) == version, "a load run from the upper half (0xffffff0000000000) reads the same");

    uint32_t tpr;
    __asm__ volatile("movl $0x20, %%r9d\n\t"
                     "movl %%r9d, 0x80(%1)\n\t"          /* 44 89 88 80 00 00 00 */
                     "movl 0x80(%1), %%r10d\n\t"         /* 44 8B 90 80 00 00 00 */
                     "movl %%r10d, %0\n\t"
                     "movl $0, 0x80(%1)"                 /* C7 80 80 00 00 00 00 00 00 00 */
                     : "=&r"(tpr) : "r"(LAPIC) : "r9", "r10", "memory");
    printf("long64: mmio: TPR written from R9D reads 0x%x through R10D\n", tpr);

    uint32_t moffs_tpr, id;
    __asm__ volatile("movl $0x30, %%eax\n\t"
                     "movabs %%eax, 0xFEE00080\n\t"        /* A3 + 8-byte offset */
                     "xorl %%eax, %%eax\n\t"
                     "movabs 0xFEE00080, %%eax\n\t"        /* A1 + 8-byte offset */
                     "movl %%eax, %0\n\t"
                     "movl $0, %%eax\n\t"
                     "movabs %%eax, 0xFEE00080\n\t"
                     "movabs 0xFEE00020, %%eax"
                     : "=&r"(moffs_tpr), "=a"(id) :: "memory");
    printf("long64: mmio: TPR by 64-bit moffs (A3, A1) reads 0x%x; APIC ID %u\n", moffs_tpr, id >> 24);

    uint32_t after;
    __asm__ volatile("movl $0, mmio_lapic_alias + 0xB0(%%rip)\n\t"   /* EOI: C7 05 disp32 imm32 */
                     "movl $0x5A, %0"
                     : "=r"(after) :: "memory");
    report(after == 0x5A, "a RIP-relative store of an immediate (EOI) resumes after its immediate");

    uint32_t ioapic_version;
    __asm__ volatile("movabsq $0xFEC00000, %%r12\n\t"
                     "movl $1, %%r8d\n\t"
                     "movl %%r8d, (%%r12)\n\t"           /* 45 89 04 24: IOREGSEL = 1 */
                     "movl 0x10(%%r12), %%r11d\n\t"      /* 45 8B 5C 24 10: IOWIN */
                     "movl %%r11d, %0"
                     : "=&r"(ioapic_version) :: "r8", "r11", "r12", "memory");
    printf("long64: mmio: I/O APIC version 0x%x, %u pins (R8D to IOREGSEL, IOWIN to R11D)\n",
           ioapic_version & 0xFF, ((ioapic_version >> 16) & 0xFF) + 1);
}

/* Under hvlab (its CPUID leaf 0x40000000 signature), whose decoder follows
 * the SDM where QEMU's TCG does not; else a line saying so. */
static bool on_hvlab(const char *what)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u), "c"(0));
    if (b == 0x616c7668u && c == 0x6c766862u && d == 0x76686261u)    /* "hvlabhvlabhv" */
        return true;
    printf("long64: mmio: %s: not checked off hvlab (QEMU's TCG applies the REX)\n", what);
    return false;
}

static void expect_fault(void (*fn)(void), unsigned vector, uint64_t error, const char *what)
{
    long r = try_call(fn);
    bool ok = r == 1 + (long)vector && fault_error == error;
    if (!ok)
        printf("long64: mmio: (got %ld, error 0x%lx)\n", r - 1, fault_error);
    report(ok, what);
}

/* SDM vol. 2A, 2.2.1: a REX prefix not right before the opcode is
 * ignored (QEMU 7.2's TCG applies it). */
static void rex_before_a_legacy_prefix(void)
{
    const char *what = "a REX.R before a DS prefix is ignored: the load is ECX's, R9 unchanged";
    if (!on_hvlab(what))
        return;
    uint32_t ecx;
    uint64_t r9;
    __asm__ volatile("movabsq $0x5A5A5A5A5A5A5A5A, %%r9\n\t"
                     "xorl %%ecx, %%ecx\n\t"
                     ".byte 0x44, 0x3e, 0x8b, 0x08\n\t"  /* REX.R, DS, MOV ECX, [RAX] */
                     "movq %%r9, %1"
                     : "=&c"(ecx), "=&r"(r9) : "a"(LAPIC + 0x30) : "r9", "memory");
    if (ecx != version_rip_relative() || r9 != 0x5A5A5A5A5A5A5A5Aull)
        printf("long64: mmio: (ECX 0x%x, R9 0x%lx)\n", ecx, r9);
    report(ecx == version_rip_relative() && r9 == 0x5A5A5A5A5A5A5A5Aull, what);
}

static void odd_forms(void)
{
    rex_before_a_legacy_prefix();
    expect_fault(mmio_sixteen_bytes, VEC_GP, 0, "a 16-byte instruction to the local APIC is #GP(0)");
    expect_fault(mmio_non_canonical, VEC_GP, 0, "a load from a non-canonical local APIC address is #GP(0)");
    expect_fault(mmio_non_canonical_moffs, VEC_GP, 0, "the same through a 64-bit moffs is #GP(0)");

    /* MOV EAX, [0x3FC00030] (8B 04 25 30 00 C0 3F): its first three bytes
     * on the page's last, its displacement on the page at 0x40000000, not
     * present: the fetch faults (#PF, CR2 the first byte it could not
     * fetch, vol. 3 4.7), the access never happens. */
    static const uint8_t head[] = { 0x8B, 0x04, 0x25 };
    memcpy(edge_code + 4096 - sizeof(head), head, sizeof(head));
    long r = try_call((void (*)(void))(EDGE_PAGE + 4096 - sizeof(head)));
    printf("long64: mmio: an instruction across into a page not present: vector %ld, CR2 0x%lx, error 0x%lx\n",
           r - 1, fault_cr2, fault_error);
    report(r == 1 + VEC_PF && fault_cr2 == UNMAPPED, "its fetch is #PF at the page not present");
}

bool probe_mmio(bool wide, bool outside)
{
    map_aliases();
    friendly_forms();
    odd_forms();
    printf("long64: mmio: %s\n", failures ? "some checks FAILED" : "all checks passed");
    if (wide) {
        uint64_t v;
        __asm__ volatile("movabsq $0xFEC00000, %%r12\n\t"
                         "movl $1, (%%r12)\n\t"
                         "movq 0x10(%%r12), %0"          /* 49 8B 44 24 10: REX.W */
                         : "=&r"(v) :: "r12", "memory");
        printf("long64: mmio: a 64-bit load of the I/O APIC's window read 0x%lx\n", v);
    }
    if (outside) {
        uint32_t v;
        __asm__ volatile("movl mmio_outside(%%rip), %0" : "=r"(v) :: "memory");
        printf("long64: mmio: a RIP-relative load outside RAM read 0x%x\n", v);
    }
    return failures == 0;
}
