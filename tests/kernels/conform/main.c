/*
 * main.c: the conformance guest kernel (issue 21, point 3): what a ring-0
 * kernel must see of the CPU, exactly, whoever runs it: the bare CPU, VT-x
 * (mem=ept, mem=shadow), ring 1 (cpu=deprivileged), ring 1 patched
 * (patch=1), and the binary translator (bt=1). CPU mode: 32-bit protected
 * mode, its own GDT (with a TSS), IDT, and for the actions that need it
 * 1:1 paging of its first 4 MiB (paging_on).
 *
 * The Multiboot command line says what to do: do=NAME, one of the table at
 * the end. Lines (tests/integration/conform_cases.py reads them):
 *   conform: do=NAME
 *   conform: TEST ok                         every check of TEST held
 *   conform: TEST FAIL WHAT=0x... want 0x... one check that did not
 *   conform: NAME: N tests, F failed         then POWEROFF 0 (F = 0) or 1
 *   conform: exception V error=0x.. eip=0x.. (unexpected)   then POWEROFF 1
 */
#include "conform.h"
#include "multiboot.h"
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "string.h"
#include "verdict.h"
#include "x86io.h"

void kernel_main(uint32_t magic, const struct multiboot_info *mbi);
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs);
extern const uint32_t exception_stubs[32];   /* ../common/entry.S */

uint64_t gdt[GDT_ENTRIES];
uint64_t idt[IDT_ENTRIES];
static uint32_t tss[26];
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));

/* An exception no test expects ends the run: the checks after it would
 * prove nothing. */
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs)
{
    printf("conform: exception %u error=0x%x eip=0x%08x cs=0x%x cr2=0x%08x (unexpected)\n", vector, error,
           eip, cs, read_cr2());
    poweroff(POWEROFF_FAIL);
}

/* ---- The machine ---------------------------------------------------------- */

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xF) << 48 | (uint64_t)(flags & 0xF) << 52 |
           (uint64_t)(base >> 24) << 56;
}

void load_idt(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) i = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(i) : "memory");
}

void set_gate(unsigned vector, uint32_t handler)
{
    idt[vector] = (handler & 0xFFFF) | (uint64_t)KCODE << 16 | (uint64_t)0x8E << 40 |
                  (uint64_t)(handler >> 16) << 48;
}

/* GDT: null, flat code and data (DPL 0), a 32-bit TSS, as a kernel has
 * (SDM vol. 3, 3.4.5, 8.2.2); TR loaded, so STR has a value to give. */
static void machine_init(void)
{
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9B, 0xC);
    gdt[2] = seg_desc(0, 0xFFFFF, 0x93, 0xC);
    gdt[3] = seg_desc((uint32_t)tss, sizeof(tss) - 1, 0x89, 0);
    tss[1] = (uint32_t)ring0_stack + sizeof(ring0_stack);
    tss[2] = KDATA;
    tss[25] = sizeof(tss) << 16;
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n"
                     "1: movl $0x10, %%eax\n\t"
                     "movl %%eax, %%ds\n\tmovl %%eax, %%es\n\tmovl %%eax, %%fs\n\t"
                     "movl %%eax, %%gs\n\tmovl %%eax, %%ss\n\t"
                     "movw $0x18, %%ax\n\tltr %%ax" : : "m"(g) : "eax", "memory");
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, exception_stubs[v]);
    load_idt();
    outb(0x21, 0xFF);           /* every PIC line masked: sensitive.c opens IRQ 0 itself */
    outb(0xA1, 0xFF);
}

/* ---- Paging ----------------------------------------------------------------- */

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
uint32_t low_pt[1024] __attribute__((aligned(4096)));
uint32_t probe_pt[1024] __attribute__((aligned(4096)));

void paging_on(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        low_pt[i] = i << 12 | PG_P | PG_W;
    page_dir[0] = (uint32_t)low_pt | PG_P | PG_W;
    page_dir[PROBE_VA >> 22] = (uint32_t)probe_pt | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

void page_present(uint32_t va, bool present)
{
    uint32_t *pte = (va >> 22 == PROBE_VA >> 22 ? probe_pt : low_pt) + ((va >> 12) & 0x3FF);
    *pte = present ? *pte | PG_P : *pte & ~PG_P;
    invlpg(va);
}

/* ---- Checks ----------------------------------------------------------------- */

static const char *test_name;
static unsigned tests, failed_tests, test_failures;

void begin_test(const char *name)
{
    test_name = name;
    test_failures = 0;
}

void check(const char *what, uint32_t got, uint32_t want)
{
    if (got != want) {
        printf("conform: %s FAIL %s=0x%08x want 0x%08x\n", test_name, what, got, want);
        test_failures++;
    }
}

void end_test(void)
{
    tests++;
    if (test_failures)
        failed_tests++;
    else
        printf("conform: %s ok\n", test_name);
}

/* ---- Entry ------------------------------------------------------------------ */

static const struct action {
    const char *name;
    void (*run)(void);
} actions[] = {
    { "smc", do_smc },
    { "faults", do_faults },
    { "sensitive", do_sensitive },
    { "interrupts", do_interrupts },
    { "indirect", do_indirect },
};

/* verdict.c's, which this kernel links for cmdline_word alone. */
const char verdict_kernel[] = "conform";

_Noreturn void verdict_poweroff(int status)
{
    poweroff(status);
}

void kernel_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    machine_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("PANIC conform: bad magic 0x%08x in EAX: not entered by a Multiboot v1 loader\n", magic);
        poweroff(POWEROFF_PANIC);
    }
    const char *cmdline = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ? (const char *)mbi->cmdline : "";
    char what[32];
    if (cmdline_word(cmdline, "do=", what, sizeof(what))) {
        for (unsigned i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
            if (strcmp(what, actions[i].name) == 0) {
                printf("conform: do=%s\n", what);
                actions[i].run();
                printf("conform: %s: %u tests, %u failed\n", what, tests, failed_tests);
                poweroff(failed_tests ? POWEROFF_FAIL : POWEROFF_OK);
            }
        }
    }
    printf("conform: FAIL no known do=NAME in '%s' (smc faults sensitive interrupts indirect)\n", cmdline);
    poweroff(POWEROFF_FAIL);
}
