/*
 * main.c: the PV test kernel (lib/pv_abi.h): entered by the PV builder at
 * pv_entry (entry.S) with paging on, it loads its own GDT and IDT first
 * (it has none: section 3), prints through console_io (its printf
 * redirected, a line a call), finds case=NAME on its Multiboot command line
 * (start_info->mbi: a pseudo-physical address, read in its direct map),
 * prints "pvtest: case NAME" and runs it (pvtest.h). case=list lists them:
 *   pvtest: case NAME | WHAT
 * CPU mode: 32-bit protected mode, paging on, ring 0 in VMX non-root
 * operation (cpu=pv).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "multiboot.h"
#include "printf.h"
#include "pvtest.h"
#include "string.h"

void pv_main(uint32_t magic, const struct pv_start_info *si);
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs);

extern const struct pv_case pvcases_start[], pvcases_end[];   /* pvtest.ld */
extern const uint32_t exception_stubs[32];      /* common/exceptions.inc */

const struct pv_start_info *start_info;
const char *pv_cmdline;
uint32_t expect_eip;

/* ---- console: printf's characters, a line a console_io ---- */
static char line[256];
static unsigned line_len;

static void flush_line(void)
{
    if (line_len)
        vmcall3(PV_console_io, PV_CONSOLEIO_write, line_len, (uint32_t)line);
    line_len = 0;
}

static void console_putc(void *ctx, char c)
{
    (void)ctx;
    line[line_len++] = c;
    if (c == '\n' || line_len == sizeof(line))
        flush_line();
}

const char verdict_kernel[] = "pvtest";

/* The end of every run: sched_op shutdown poweroff, its status the run's. */
_Noreturn void verdict_poweroff(int status)
{
    flush_line();
    struct pv_sched_shutdown s = { PV_SHUTDOWN_poweroff, (uint32_t)status };
    vmcall3(PV_sched_op, PV_SCHEDOP_shutdown, (uint32_t)&s, 0);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void (*ring3_exception)(uint32_t vector, uint32_t eip);

void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs)
{
    if ((cs & 3) == 3 && ring3_exception)
        ring3_exception(vector, eip);
    if (expect_eip && eip == expect_eip)
        result("exception %u error=0x%x cpl=%u at=expected", vector, error, cs & 3);
    result("exception %u error=0x%x cpl=%u at=0x%08x", vector, error, cs & 3, eip);
}

/* ---- its own GDT, TSS and IDT (SDM vol. 3, 3.4.5, 7.2, 6.11) ---- */
static uint64_t gdt[] __attribute__((aligned(8))) = {
    0,
    0x00CF9B000000FFFFull,      /* 0x08: ring-0 code, flat, 32-bit */
    0x00CF93000000FFFFull,      /* 0x10: ring-0 data, flat */
    0x00CFFB000000FFFFull,      /* 0x1B: ring-3 code */
    0x00CFF3000000FFFFull,      /* 0x23: ring-3 data */
    0,                          /* 0x28: the TSS (load_tables) */
};
static uint64_t idt[32] __attribute__((aligned(8)));

/* The TSS: only SS0 and ESP0, the stack an exception from ring 3 switches
 * to (SDM 7.7), are used. */
static uint32_t tss[26];
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));

static void set_tss(void)
{
    uint32_t base = (uint32_t)tss, limit = sizeof(tss) - 1;
    tss[1] = (uint32_t)ring0_stack + sizeof(ring0_stack);   /* ESP0 */
    tss[2] = 0x10;                                          /* SS0 */
    /* An available 32-bit TSS (type 9), present, DPL 0. */
    gdt[5] = (limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 | (uint64_t)0x89 << 40 |
             (uint64_t)(base >> 24) << 56;
}

struct __attribute__((packed)) table_pointer {
    uint16_t limit;
    uint32_t base;
};

static void load_tables(void)
{
    for (unsigned v = 0; v < 32; v++) {
        uint32_t off = exception_stubs[v];
        /* A 32-bit interrupt gate, DPL 0, present, selector 0x08. */
        idt[v] = (off & 0xFFFF) | 0x08u << 16 | (uint64_t)0x8E00 << 32 | (uint64_t)(off >> 16) << 48;
    }
    set_tss();
    struct table_pointer g = { sizeof(gdt) - 1, (uint32_t)gdt }, i = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lgdt %0; lidt %1; ljmp $0x08, $1f; 1: movl $0x10, %%eax; movl %%eax, %%ds;"
                     "movl %%eax, %%es; movl %%eax, %%fs; movl %%eax, %%gs; movl %%eax, %%ss;"
                     "movw $0x28, %%ax; ltr %%ax"
                     : : "m"(g), "m"(i) : "eax", "memory");
}

uint32_t virt_to_mfn(const void *p)
{
    const uint32_t *p2m = (const uint32_t *)start_info->mfn_list;
    return p2m[((uint32_t)p - PV_VIRT_BASE) >> 12];
}

void hypercall_page_setup(void)
{
    uint64_t ma = (uint64_t)virt_to_mfn(hypercall_page) << 12;
    __asm__ volatile("wrmsr" : : "c"(PV_MSR_HYPERCALL_PAGE), "a"((uint32_t)ma), "d"((uint32_t)(ma >> 32))
                     : "memory");
}

void pv_main(uint32_t magic, const struct pv_start_info *si)
{
    load_tables();
    start_info = si;
    printf_redirect(console_putc, NULL);
    if (magic != PV_START_MAGIC || memcmp(si->magic, PV_START_INFO_MAGIC, sizeof(PV_START_INFO_MAGIC))) {
        printf("pvtest: FAIL bad start of day: EAX 0x%08x, start info at 0x%08x\n", magic, (uint32_t)si);
        verdict_poweroff(1);
    }
    const struct multiboot_info *mbi = (const void *)(PV_VIRT_BASE + si->mbi);
    const char *cmdline = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ? (const char *)(PV_VIRT_BASE + mbi->cmdline) : "";
    pv_cmdline = cmdline;
    char name[48];
    if (!cmdline_word(cmdline, "case=", name, sizeof(name))) {
        printf("pvtest: FAIL no case=NAME on the command line '%s' (case=list lists them)\n", cmdline);
        verdict_poweroff(1);
    }
    for (const struct pv_case *c = pvcases_start; c < pvcases_end; c++) {
        if (strcmp(name, "list") == 0) {
            printf("pvtest: case %s | %s\n", c->name, c->what);
        } else if (strcmp(name, c->name) == 0) {
            printf("pvtest: case %s\n", c->name);
            c->run();
            result("completed");
        }
    }
    if (strcmp(name, "list") == 0)
        verdict_poweroff(0);
    printf("pvtest: FAIL unknown case '%s' (case=list lists them)\n", name);
    verdict_poweroff(1);
}
