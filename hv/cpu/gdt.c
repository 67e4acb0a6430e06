/*
 * gdt.c: the Global Descriptor Table and the 64-bit Task-State Segment
 * (64-bit mode, ring 0, interrupts off).
 *
 * In 64-bit mode segmentation is mostly off: bases and limits are ignored for
 * CS/DS/ES/SS. What still matters is CS.L (64-bit code), the privilege levels,
 * and the TSS, which no longer switches tasks but still holds the stack
 * pointers the CPU loads on an interrupt: RSP0-2 for privilege changes and
 * IST1-7 for the Interrupt Stack Table (SDM vol. 3, 8.7 "Task Management in
 * 64-bit Mode", Figure 8-11 "64-Bit TSS Format").
 *
 * VMX needs this too: VM entry checks that the host TR is not null
 * (SDM vol. 3, 27.2.3 "Checks on Host Segment and Descriptor-Table
 * Registers"), and on every VM exit the CPU reloads TR from the VMCS.
 */
#include "cpu/gdt.h"
#include "cpu/stack.h"
#include "x86/x86.h"

/* 64-bit TSS; the CPU reads it at fixed offsets, hence packed. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];        /* stack for a switch to ring 0, 1, 2 */
    uint64_t reserved1;
    uint64_t ist[7];        /* IST1..IST7: ist[0] is IST1 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;    /* offset of the I/O permission bitmap */
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "the 64-bit TSS is 104 bytes");

/* Access byte and flags of a segment descriptor (SDM vol. 3, 3.4.5
 * "Segment Descriptors"). The accessed bit is set in advance: the CPU would
 * otherwise write it on the first load, and VM entry checks that the host's
 * segments look loaded. */
enum {
    SEG_ACCESSED = 1 << 0,
    SEG_RW       = 1 << 1,  /* code: readable; data: writable */
    SEG_CODE     = 1 << 3,
    SEG_S        = 1 << 4,  /* code/data (not a system descriptor) */
    SEG_PRESENT  = 1 << 7,
    SEG_TSS64_AVAILABLE = 0x9, /* system type: 64-bit TSS, not busy */

    SEG_FLAG_L   = 1 << 1,  /* 64-bit code segment (SDM vol. 3, 5.2.1) */
    SEG_FLAG_DB  = 1 << 2,
    SEG_FLAG_G   = 1 << 3,  /* limit in 4 KiB units */
};

/* null, kernel code, kernel data, and a TSS descriptor that takes two slots
 * (SDM vol. 3, 8.2.3 "TSS Descriptor in 64-bit mode"). */
static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

static uint64_t make_descriptor(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (uint64_t)(limit & 0xFFFF) |
           (uint64_t)(base & 0xFFFFFF) << 16 |
           (uint64_t)(access & 0xFF) << 40 |
           (uint64_t)((limit >> 16) & 0xF) << 48 |
           (uint64_t)(flags & 0xF) << 52 |
           (uint64_t)(base >> 24) << 56;
}

/* A 64-bit TSS descriptor is 16 bytes: the usual 8, then base[63:32]. */
static void set_tss_descriptor(unsigned index, const struct tss64 *t)
{
    uint64_t base = (uint64_t)(uintptr_t)t;
    gdt[index] = make_descriptor((uint32_t)base, sizeof(*t) - 1,
                                 SEG_PRESENT | SEG_TSS64_AVAILABLE, 0);
    gdt[index + 1] = base >> 32;
}

static void fill_tss(void)
{
    tss.ist[IST_FAULT - 1] = (uint64_t)(uintptr_t)(fault_stack + FAULT_STACK_SIZE);
    /* An offset beyond the limit means "no I/O bitmap": ring 0 is never
     * checked anyway (SDM vol. 1, "I/O Permission Bit Map", in the chapter
     * "Input/Output"). */
    tss.iomap_base = sizeof(tss);
}

/* CS cannot be written with MOV: a far return pops RIP and CS together. */
static void reload_segments(void)
{
    __asm__ volatile(
        "pushq %[cs]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %[ds], %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movl %%eax, %%fs\n\t"
        "movl %%eax, %%gs\n\t"
        :
        : [cs] "i"(GDT_KERNEL_CS), [ds] "i"(GDT_KERNEL_DS)
        : "rax", "memory");
}

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[GDT_KERNEL_CS / 8] = make_descriptor(0, 0xFFFFF,
        SEG_PRESENT | SEG_S | SEG_CODE | SEG_RW | SEG_ACCESSED, SEG_FLAG_G | SEG_FLAG_L);
    gdt[GDT_KERNEL_DS / 8] = make_descriptor(0, 0xFFFFF,
        SEG_PRESENT | SEG_S | SEG_RW | SEG_ACCESSED, SEG_FLAG_G | SEG_FLAG_DB);
    fill_tss();
    set_tss_descriptor(GDT_TSS / 8, &tss);

    struct descriptor_table_pointer p = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
    lgdt(&p);
    reload_segments();
    ltr(GDT_TSS);   /* marks the TSS descriptor busy */
}
