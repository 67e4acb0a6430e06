/*
 * attacks_depriv_faults.c: the faults a kernel takes at ring 0, which a
 * deprivileged guest (cpu=deprivileged, its kernel at ring 1) must take as
 * the CPU gives them, each with its error code (SDM vol. 3, 6.13): bad
 * selectors in DS, ES, FS, GS and SS; GDTs of any size the architecture
 * allows, and one across a page that is not mapped; a fault while an event
 * is delivered (a gate missing: #NP, then #DF, then the triple fault,
 * 6.15 table 6-5). Every answer is the bare CPU's (`native`), and a triple
 * fault is reported in one word in every mode.
 */
#include "attack.h"
#include "fmt.h"

/* Free GDT slots for the selectors the attacks load (GDT_FREE on). */
#define ABSENT_DATA    0x30     /* writable data, DPL 0, not present */
#define EXEC_ONLY      0x38     /* code, execute-only */
#define READ_ONLY      0x40     /* data, read-only, DPL 0 */
#define READABLE_CODE  0x48     /* code, execute/read, DPL 0 */
#define ABSENT_USER    0x50     /* writable data, DPL 3, not present */
#define ABSENT_CODE    0x58     /* code, DPL 0, not present */
#define LDT_SELECTOR   0x34     /* TI = 1: the kernel has no LDT */
#define PAST_LIMIT     0x80     /* index 16: the GDT has 16 entries */
#define FAR_PAST_LIMIT 0x1008   /* index 513: past the limit, past the old copy's 512 too */

static void set_bad_descriptors(void)
{
    gdt_set(ABSENT_DATA >> 3, seg_desc(0, 0xFFFFF, 0x13, 0xC));
    gdt_set(EXEC_ONLY >> 3, seg_desc(0, 0xFFFFF, 0x99, 0xC));
    gdt_set(READ_ONLY >> 3, seg_desc(0, 0xFFFFF, 0x91, 0xC));
    gdt_set(READABLE_CODE >> 3, seg_desc(0, 0xFFFFF, 0x9B, 0xC));
    gdt_set(ABSENT_USER >> 3, seg_desc(0, 0xFFFFF, 0x73, 0xC));
    gdt_set(ABSENT_CODE >> 3, seg_desc(0, 0xFFFFF, 0x1B, 0xC));
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");   /* cpu=deprivileged copies at LGDT */
}

/* Load selector into a segment register and put it back in the same
 * instruction sequence (so that no access of the kernel's runs with it):
 * what it raised, as "V/0xERROR", or "ok". */
#define LOAD_AND_RESTORE(seg)                                                       \
    TRY("movw %w1, %%" seg "\n\tmovw %w2, %%" seg, : "+m"(dummy) : "r"(selector),   \
        "r"(saved) : "memory")

static uint32_t dummy;

static void load(char seg, uint16_t selector, char *out, unsigned size)
{
    uint16_t saved;
    recovered_vector = NO_FAULT;
    switch (seg) {
    case 'd': __asm__ volatile("movw %%ds, %w0" : "=r"(saved)); LOAD_AND_RESTORE("ds"); break;
    case 'e': __asm__ volatile("movw %%es, %w0" : "=r"(saved)); LOAD_AND_RESTORE("es"); break;
    case 'f': __asm__ volatile("movw %%fs, %w0" : "=r"(saved)); LOAD_AND_RESTORE("fs"); break;
    case 'g': __asm__ volatile("movw %%gs, %w0" : "=r"(saved)); LOAD_AND_RESTORE("gs"); break;
    default:  __asm__ volatile("movw %%ss, %w0" : "=r"(saved)); LOAD_AND_RESTORE("ss"); break;
    }
    if (recovered_vector == NO_FAULT)
        snprintf(out, size, "ok");
    else
        snprintf(out, size, "%u/0x%x", recovered_vector, recovered_error);
}

/* Every bad kind of selector into one segment register, and two good ones. */
static void selectors(char seg)
{
    static const struct { const char *what; uint16_t selector; } cases[] = {
        { "null", 0 }, { "null-rpl3", 3 }, { "past-limit", PAST_LIMIT }, { "far-past", FAR_PAST_LIMIT },
        { "ldt", LDT_SELECTOR }, { "absent", ABSENT_DATA }, { "absent-user", ABSENT_USER | 3 },
        { "absent-code", ABSENT_CODE }, { "exec-only", EXEC_ONLY }, { "read-only", READ_ONLY },
        { "readable-code", READABLE_CODE }, { "tss", TSS_SEL }, { "rpl3-dpl0", KDATA | 3 },
        { "user-data", UDATA }, { "kernel-data", KDATA },
    };
    char line[600], one[24];
    unsigned n = 0;
    set_bad_descriptors();
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        load(seg, cases[i].selector, one, sizeof(one));
        n += (unsigned)snprintf(line + n, sizeof(line) - n, " %s=%s", cases[i].what, one);
    }
    result("%cs:%s", seg, line);
}

ATTACK(selectors_ds, "depriv-fault-selectors-ds", "all", "native",
       "DS loaded with null, past-limit, LDT, absent, execute-only, TSS and DPL-refused selectors")
{
    selectors('d');
}

ATTACK(selectors_es, "depriv-fault-selectors-es", "all", "native", "the same into ES")
{
    selectors('e');
}

ATTACK(selectors_fs, "depriv-fault-selectors-fs", "all", "native", "the same into FS")
{
    selectors('f');
}

ATTACK(selectors_gs, "depriv-fault-selectors-gs", "all", "native", "the same into GS")
{
    selectors('g');
}

ATTACK(selectors_ss, "depriv-fault-selectors-ss", "all", "native",
       "the same into SS: null is #GP(0), absent #SS, RPL or DPL not the CPL #GP")
{
    selectors('s');
}

/* GS loaded by MOV and POP, then its descriptor made absent and the GDT
 * loaded again: the loads that passed must fault now. bt=1 lets a
 * translation load into GS, without an exit, a selector the hypervisor has
 * already checked (hv/bt/bt_gs.h), until the next LGDT. */
static void load_gs_both_ways(uint16_t selector, char *out, unsigned size)
{
    char mov[24], pop[24];
    uint16_t saved;
    __asm__ volatile("movw %%gs, %w0" : "=r"(saved));
    load('g', selector, mov, sizeof(mov));
    recovered_vector = NO_FAULT;
    /* ESP kept and put back after: a POP that faults has not popped. */
    static uint32_t esp;
    __asm__ volatile("movl %%esp, %0\n\tmovl $1f, recover_eip\n\tpushl %1\n\tpopl %%gs\n\tmovw %w2, %%gs\n"
                     "1:\tmovl $0, recover_eip\n\tmovl %0, %%esp\n\tmovw %w2, %%gs"
                     : "+m"(esp) : "r"((uint32_t)selector), "r"(saved) : "memory");
    if (recovered_vector == NO_FAULT)
        snprintf(pop, sizeof(pop), "ok");
    else
        snprintf(pop, sizeof(pop), "%u/0x%x", recovered_vector, recovered_error);
    snprintf(out, size, "%s,%s", mov, pop);
}

ATTACK(gs_after_lgdt, "depriv-fault-gs-after-lgdt", "all", "native",
       "GS loaded twice by MOV and POP, its descriptor made absent, LGDT, GS loaded again: #NP")
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, 0 };
    char before[3][56], after[56];
    set_bad_descriptors();
    gdt_set(ABSENT_DATA >> 3, seg_desc(0, 0xFFFFF, 0x93, 0xC));     /* present for now */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) now = { g.limit, (uint32_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(now) : "memory");
    for (unsigned i = 0; i < 3; i++)
        load_gs_both_ways(ABSENT_DATA, before[i], sizeof(before[i]));
    gdt_set(ABSENT_DATA >> 3, seg_desc(0, 0xFFFFF, 0x13, 0xC));     /* absent */
    __asm__ volatile("lgdt %0" : : "m"(now) : "memory");
    load_gs_both_ways(ABSENT_DATA, after, sizeof(after));
    result("gs: before=%s %s %s after=%s", before[0], before[1], before[2], after);
}

/* ---- GDTs of any size ------------------------------------------------------ */

/* The largest GDT (limit 0xFFFF: 8192 descriptors, SDM vol. 3, 3.5.1). */
static uint64_t big_gdt[8192] __attribute__((aligned(4096)));
static volatile uint32_t marker = 0x600DF00D;

/* Read marker through a data segment at index, based at marker. */
static uint32_t read_through(unsigned index)
{
    uint32_t value = 0;
    uint16_t selector = (uint16_t)(index * 8);
    recovered_vector = NO_FAULT;
    TRY("movw %w1, %%fs\n\tmovl %%fs:0, %0\n\tmovw %w2, %%fs", : "=&r"(value) : "r"(selector), "r"(0) : "memory");
    return recovered_vector == NO_FAULT ? value : 0xE0000000u | recovered_vector << 16 | recovered_error;
}

ATTACK(gdt_8192, "depriv-fault-gdt-8192", "all", "native",
       "a GDT of 8192 descriptors: data segments at indices 511 (the old copy's TSS) and 8191 used")
{
    for (unsigned i = 0; i < GDT_ENTRIES; i++)
        big_gdt[i] = gdt[i];
    uint64_t data = seg_desc((uint32_t)&marker, 3, 0x93, 0x4);
    big_gdt[511] = data;
    big_gdt[8191] = data;
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { 0xFFFF, (uint32_t)big_gdt };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
    uint32_t at511 = read_through(511), at8191 = read_through(8191), at8190 = read_through(8190);
    result("index 511 0x%08x, 8191 0x%08x, 8190 (empty) 0x%08x", at511, at8191, at8190);
}

/* 600 descriptors from 0x1000 below a page's end: the last 88 lie in the
 * next page, which the guest's tables leave unmapped at the LGDT. The CPU
 * reads the GDT on use: a load from the first page works, one from the
 * second is a #PF at the descriptor's address; mapped (and the GDT loaded
 * again, which a deprivileged guest needs to see descriptors written
 * since), it works. */
static uint8_t gdt_pages[3 * 4096] __attribute__((aligned(4096)));

ATTACK(gdt_600_straddling, "depriv-fault-gdt-600-straddling", "all", "native",
       "a GDT of 600 descriptors across a page boundary, its second page not present at LGDT")
{
    uint64_t *table = (uint64_t *)(gdt_pages + 4096 - 512 * 8);
    uint32_t second = (uint32_t)gdt_pages + 4096;
    for (unsigned i = 0; i < GDT_ENTRIES; i++)
        table[i] = gdt[i];
    uint64_t data = seg_desc((uint32_t)&marker, 3, 0x93, 0x4);
    table[500] = data;
    table[599] = data;
    paging_on(0);
    low_pt[second >> 12] = 0;
    invlpg(second);
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { 600 * 8 - 1, (uint32_t)table };
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
    uint32_t first_page = read_through(500), second_page = read_through(599), cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    low_pt[second >> 12] = second | PG_P | PG_W;
    invlpg(second);
    __asm__ volatile("lgdt %0" : : "m"(g) : "memory");
    uint32_t mapped = read_through(599);
    result("index 500 0x%08x, 599 0x%08x (cr2 at the descriptor: %s), 599 mapped 0x%08x", first_page,
           second_page, cr2 == (uint32_t)&table[599] ? "yes" : "no", mapped);
}

/* ---- A fault while an event is delivered (SDM 6.15, table 6-5) ------------- */

/* #GP (DS past the GDT's limit) with the #GP gate not present: its #NP is
 * contributory after a contributory: a #DF, error code 0, which the
 * kernel's handler reports. */
ATTACK(no_gp_gate, "depriv-fault-no-gp-gate", "all", "native",
       "an IDT whose #GP gate is not present, then a #GP: #NP while delivering it, so #DF")
{
    set_gate(13, 0, KCODE, 0x0E);
    __asm__ volatile("movl %0, %%eax\n\t" EXPECT_AT("movl %%eax, %%ds") : : "i"(PAST_LIMIT) : "eax", "memory");
}

/* And the #DF gate too: a fault while delivering the #DF, the CPU shuts
 * down; the hypervisor reports the triple fault in every mode. */
ATTACK(no_df_gate, "depriv-fault-no-df-gate", "all", "stop triple fault",
       "the #GP and #DF gates not present, then a #GP: #NP, #DF, #NP: a triple fault")
{
    set_gate(13, 0, KCODE, 0x0E);
    set_gate(8, 0, KCODE, 0x0E);
    __asm__ volatile("movl %0, %%eax\n\tmovl %%eax, %%ds" : : "i"(PAST_LIMIT) : "eax", "memory");
}

/* A #PF whose gate names a code segment not present: #NP(selector, EXT)
 * after a #PF is a #DF. */
ATTACK(pf_gate_absent_code, "depriv-fault-pf-gate-absent-code", "all", "native",
       "a #PF whose gate's code segment is not present: #NP after #PF, so #DF")
{
    set_bad_descriptors();
    set_gate(14, 0, ABSENT_CODE, 0x8E);
    paging_on(0);
    __asm__ volatile(EXPECT_AT("movl 0x10000000, %%eax") : : : "eax", "memory");
}

/* The kernel's stack in a page that is not mapped, then #UD: its frame is
 * a #PF, whose frame is a #PF again (a #DF), whose frame faults: the CPU
 * shuts down. */
ATTACK(stack_unmapped, "depriv-fault-stack-unmapped", "all", "stop triple fault",
       "ESP in a page not mapped, then UD2: #PF, #DF, a triple fault")
{
    paging_on(0);
    __asm__ volatile("movl $0x10000000, %%esp\n\tud2" : : : "memory");
}

/* INT n past the IDT's limit: #GP(n * 8 + 2), EXT clear (INT n is the
 * program's own), delivered through the #GP gate. An IDT of its own, of
 * 0x90 gates (SIDT would not tell the guest's own at ring 1, unpatched:
 * lab 3's sensitive instructions). */
extern const uint32_t exception_stubs[32];   /* ../common/entry.S */
static uint64_t short_idt[0x90];

ATTACK(int_past_idt_limit, "depriv-fault-int-past-idt-limit", "all", "native",
       "INT 0x90 with the IDT's limit at 0x47f: #GP with the gate's index, IDT bit, no EXT")
{
    for (unsigned v = 0; v < 32; v++)
        short_idt[v] = (exception_stubs[v] & 0xFFFF) | (uint64_t)KCODE << 16 | 0x8Eull << 40 |
                       (uint64_t)(exception_stubs[v] >> 16) << 48;
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) i = { sizeof(short_idt) - 1,
                                                                           (uint32_t)short_idt };
    __asm__ volatile("lidt %0" : : "m"(i) : "memory");
    __asm__ volatile(EXPECT_AT("int $0x90") : : : "memory");
}

/* A user program's INT n through a kernel-only gate that is also not
 * present: the DPL check comes first, #GP(n * 8 + 2), not #NP. */
static void user_int_absent(void)
{
    __asm__ volatile(EXPECT_AT("int $100") : : : "memory");
}
ATTACK(user_int_absent_gate, "depriv-fault-user-int-absent-gate", "all", "native",
       "INT 100 at ring 3 through a DPL-0 gate not present: #GP before #NP")
{
    set_gate(100, 0, KCODE, 0x0E);
    run_user(user_int_absent);
}
