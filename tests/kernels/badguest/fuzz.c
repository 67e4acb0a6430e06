/*
 * fuzz.c: do=fuzz=SEED: thousands of random privileged and sensitive
 * instructions with random operands, from a guest kernel at ring 0, to prove
 * that nothing a guest does can panic or hang the hypervisor: every
 * instruction either runs, or raises an exception in the guest (which the
 * guest survives and counts), or ends the guest with a report.
 *
 * Covered: RDMSR and WRMSR of random and interesting MSRs, IN and OUT of
 * every width on random ports, MOV to CR0 and CR4 with random bits, CPUID of
 * random leaves, CLTS, LMSW, XSETBV, INVD, WBINVD, INVLPG, MOV to and from
 * DR7, RDPMC, RDTSCP, and the VMX instructions. Left out because they end any guest
 * (and are tested one by one in hv_cases.py): HLT with interrupts off, the
 * power-off port, LGDT/LIDT, clearing CR0.PE or setting CR0.PG, a triple
 * fault; COM1's ports, whose bytes would garble the console; and the PICs'
 * (port_number() says why).
 *
 * Each instruction runs inside TRY (recover.h): an exception resumes after
 * it, so the next instruction always runs. Lines:
 *   badguest: fuzz seed=S: N instructions, F faulted: vector V xCOUNT ...
 */
#include <stdint.h>
#include "badguest.h"
#include "printf.h"
#include "recover.h"

#define FUZZ_COUNT 3000

static uint32_t state;

static uint32_t rnd(void) { return xorshift32(&state); }

static uint32_t pick(const uint32_t *list, unsigned n) { return list[rnd() % n]; }

/* A value with a few interesting patterns besides plain noise. */
static uint32_t value32(void)
{
    static const uint32_t special[] = { 0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x00000800, 0x06060606,
                                        0x02020202, 0x00008000, 0xFFFFF000 };
    return rnd() % 3 ? rnd() : pick(special, sizeof(special) / sizeof(special[0]));
}

static const uint32_t msrs[] = {
    0x10, 0x1B, 0x3A, 0x8B, 0x174, 0x175, 0x176, 0x1A0, 0x1D9, 0x277, 0x2FF, 0x480, 0x481, 0x482,
    0x48B, 0x48C, 0x491, 0x600, 0xC0000080, 0xC0000081, 0xC0000082, 0xC0000100, 0xC0000101,
    0xC0000102, 0xC0000103, 0x40000000, 0x4B564D00,
};
#define NMSRS (sizeof(msrs) / sizeof(msrs[0]))

static uint32_t msr_number(void) { return rnd() % 4 ? pick(msrs, NMSRS) : value32(); }

static uint16_t port_number(void)
{
    for (;;) {
        uint16_t port = (uint16_t)(rnd() % 4 ? rnd() % 0x400 : rnd());
        if (port >= 0x3F8 && port <= 0x3FF)      /* COM1: the console */
            continue;
        if (port >= 0xF4 && port <= 0xF7)        /* the power-off port */
            continue;
        /* The 8259 PICs, which the guest owns until lab 4 (passed through):
         * Bochs's PIC stops the whole emulator on a level-triggered ICW1, a
         * limit of the emulator that no hypervisor could prevent. */
        if ((port & ~0x81u) == 0x20)             /* 0x20, 0x21, 0xA0, 0xA1 */
            continue;
        return port;
    }
}


/* One random instruction. */
static void one(void)
{
    uint32_t a = value32(), c = value32(), d = value32(), r;
    uint16_t port = port_number();
    switch (rnd() % 16) {
    case 0:
        TRY("rdmsr", : "=a"(a), "=d"(d) : "c"(msr_number()) : "memory");
        break;
    case 1:
        TRY("wrmsr", : : "c"(msr_number()), "a"(a), "d"(d) : "memory");
        break;
    case 2:
        switch (rnd() % 3) {
        case 0: TRY("inb %%dx, %%al", : "+a"(a) : "d"(port) : "memory"); break;
        case 1: TRY("inw %%dx, %%ax", : "+a"(a) : "d"(port) : "memory"); break;
        default: TRY("inl %%dx, %%eax", : "+a"(a) : "d"(port) : "memory"); break;
        }
        break;
    case 3:
        switch (rnd() % 3) {
        case 0: TRY("outb %%al, %%dx", : : "a"(a), "d"(port) : "memory"); break;
        case 1: TRY("outw %%ax, %%dx", : : "a"(a), "d"(port) : "memory"); break;
        default: TRY("outl %%eax, %%dx", : : "a"(a), "d"(port) : "memory"); break;
        }
        break;
    case 4: {   /* CR0: flip MP, EM, TS, NE, WP, AM, NW, CD; PE stays, PG stays off,
                 * but now and then PG without PE (a #GP); CLTS and LMSW too */
        uint32_t old = read_cr0(), bits = 0x6005002E & rnd();
        r = (old & ~0x6005002Eu) | bits;
        if (rnd() % 8 == 0)
            r = (r | 0x80000000u) & ~1u;
        TRY("mov %0, %%cr0", : : "r"(r) : "memory");
        if (rnd() % 2)
            TRY("clts", : : : "memory");
        else
            TRY("lmsw %w0", : : "r"(r | 1) : "memory");
        TRY("mov %0, %%cr0", : : "r"(old) : "memory");
        break;
    }
    case 5: {   /* CR4: any bit but PAE, SMEP, SMAP and PKE (shadow paging stops a
                 * guest that sets them, by design: tested in hv_cases.py), then back */
        uint32_t old = read_cr4();
        r = (rnd() % 2 ? value32() : old ^ (1u << (rnd() % 32))) & ~0x00700020u;
        TRY("mov %0, %%cr4", : : "r"(r) : "memory");
        TRY("mov %0, %%cr4", : : "r"(old) : "memory");
        break;
    }
    case 6:
        c = rnd() % 2 ? rnd() % 0x20 : (rnd() % 2 ? 0x40000000 : 0x80000000) + rnd() % 0x110;
        TRY("cpuid", : "+a"(c), "=b"(r), "=c"(a), "=d"(d) : "c"(value32()) : "memory");
        break;
    case 7: {   /* XSETBV, with CR4.OSXSAVE set first (if the CPU lets it be) */
        uint32_t old = read_cr4();
        r = old | (1u << 18);
        TRY("mov %0, %%cr4", : : "r"(r) : "memory");
        TRY("xsetbv", : : "c"(rnd() % 4 ? 0 : value32()), "a"(a), "d"(d) : "memory");
        TRY("mov %0, %%cr4", : : "r"(old) : "memory");
        break;
    }
    case 8:
        if (rnd() % 2)
            TRY("invd", : : : "memory");
        else
            TRY("wbinvd", : : : "memory");
        break;
    case 9:
        TRY("invlpg (%0)", : : "r"(a) : "memory");
        break;
    case 10: {   /* DR7: random breakpoints (never enabled: L0-L3, G0-G3 clear), then 0x400 */
        r = value32() & ~0xFFu;
        TRY("mov %0, %%dr7", : : "r"(r) : "memory");
        TRY("mov %%dr7, %0", : "=r"(r) : : "memory");
        r = 0x400;
        TRY("mov %0, %%dr7", : : "r"(r) : "memory");
        break;
    }
    case 11:
        TRY("rdpmc", : "=a"(a), "=d"(d) : "c"(value32()) : "memory");
        break;
    case 12:
        TRY("rdtscp", : "=a"(a), "=c"(c), "=d"(d) : : "memory");
        break;
    case 13:
        switch (rnd() % 4) {
        case 0: TRY("vmcall", : "+a"(a), "+b"(c), "+c"(d) : : "memory"); break;
        case 1: TRY("vmxoff", : : : "memory"); break;
        case 2: TRY("vmread %1, %0", : "=r"(r) : "r"(a) : "memory"); break;
        default: TRY("vmwrite %1, %0", : : "r"(a), "r"(c) : "memory"); break;
        }
        break;
    case 14: {   /* a VMX instruction with a memory operand anywhere in the guest */
        uint32_t where = rnd() % 0x400000;
        if (rnd() % 2)
            TRY("vmxon (%0)", : : "r"(where) : "memory");
        else
            TRY("vmptrld (%0)", : : "r"(where) : "memory");
        break;
    }
    default:
        TRY("xgetbv", : "=a"(a), "=d"(d) : "c"(rnd() % 2) : "memory");
        break;
    }
}

/* do=refused: the values the fuzzer's survival rests on, one by one: each
 * must raise #GP in the guest (as on a real CPU), never reach the VMCS. */
static const char *outcome(void)
{
    return recovered_vector == 13 ? "#GP" : recovered_vector == NO_FAULT ? "no fault" : "another fault";
}

static void try_wrmsr(const char *name, uint32_t msr, uint64_t value)
{
    recovered_vector = NO_FAULT;
    TRY("wrmsr", : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
    printf("badguest: wrmsr %s 0x%08x%08x: %s\n", name, (uint32_t)(value >> 32), (uint32_t)value, outcome());
}

static void try_cr(const char *what, int cr, uint32_t value)
{
    uint32_t old = cr ? read_cr4() : read_cr0();
    recovered_vector = NO_FAULT;
    if (cr)
        TRY("mov %0, %%cr4", : : "r"(value) : "memory");
    else
        TRY("mov %0, %%cr0", : : "r"(value) : "memory");
    const char *o = outcome();
    if (cr)
        __asm__ volatile("mov %0, %%cr4" : : "r"(old) : "memory");
    else
        __asm__ volatile("mov %0, %%cr0" : : "r"(old) : "memory");
    printf("badguest: mov cr%d %s: %s\n", cr, what, o);
}

void do_refused(const char *arg)
{
    (void)arg;
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    printf("badguest: cpuid.1:ecx xsave=%u osxsave=%u\n", (c >> 26) & 1, (c >> 27) & 1);
    try_cr("OSXSAVE", 4, read_cr4() | 1u << 18);
    try_cr("PG without PE", 0, (read_cr0() | 0x80000000u | 0x20) & ~1u);   /* NE flips: it exits */
    try_cr("NW without CD", 0, (read_cr0() | 1u << 29 | 0x20) & ~(1u << 30));
    try_wrmsr("IA32_PAT", 0x277, 0x0202020202020202ull);
    try_wrmsr("IA32_SYSENTER_EIP", 0x176, 0x0000800000000000ull);
    try_wrmsr("IA32_SYSENTER_ESP", 0x175, 0xFFFF800000001000ull);
}

void do_fuzz(const char *arg)
{
    uint32_t seed = parse_uint(arg);
    state = seed ? seed : 1;
    unsigned faulted = 0, by_vector[32] = { 0 };
    for (unsigned i = 0; i < FUZZ_COUNT; i++) {
        recovered_vector = NO_FAULT;
        one();
        uint32_t v = recovered_vector;
        if (v < 32) {
            faulted++;
            by_vector[v]++;
        }
    }
    printf("badguest: fuzz seed=%u: %u instructions, %u faulted:", seed, FUZZ_COUNT, faulted);
    for (unsigned v = 0; v < 32; v++)
        if (by_vector[v])
            printf(" vector %u x%u", v, by_vector[v]);
    printf("\n");
}
