/*
 * seg.c: the GDT and the TSS. Segmentation is flat (base 0, limit 4 GiB);
 * the GDT exists for the privilege levels (ring 0 kernel, ring 3 user), and
 * the TSS only for the kernel stack pointer the CPU loads on a trap from
 * ring 3 (SDM vol. 3, 8.2.1).
 */
#include "defs.h"
#include "mmu.h"

/* A segment descriptor (SDM vol. 3, 3.4.5): base, limit and access byte. */
static uint64_t make_segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xF) << 48 |
           (uint64_t)(flags & 0xF) << 52 | (uint64_t)(base >> 24) << 56;
}

/* The 32-bit TSS (SDM vol. 3, 8.2.1); only ss0:esp0 and the I/O map base matter. */
static struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} tss;

static uint64_t gdt[6];

void init_segments(void)
{
    gdt[0] = 0;
    gdt[SEG_KCODE >> 3] = make_segment(0, 0xFFFFF, 0x9A, 0xC);   /* ring 0 code, 4 KiB granular */
    gdt[SEG_KDATA >> 3] = make_segment(0, 0xFFFFF, 0x92, 0xC);   /* ring 0 data */
    gdt[SEG_UCODE >> 3] = make_segment(0, 0xFFFFF, 0xFA, 0xC);   /* ring 3 code */
    gdt[SEG_UDATA >> 3] = make_segment(0, 0xFFFFF, 0xF2, 0xC);   /* ring 3 data */
    gdt[SEG_TSS >> 3] = make_segment((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0);  /* available TSS */
    tss.ss0 = SEG_KDATA;
    tss.iomap_base = sizeof tss;    /* no I/O bitmap: IN/OUT at ring 3 fault */

    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)gdt};
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    /* Reload every segment register so none keeps the loader's descriptors. */
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs; mov %0, %%ss"
                     : : "r"(SEG_KDATA));
    __asm__ volatile("ljmp %0, $1f; 1:" : : "i"(SEG_KCODE));
    __asm__ volatile("ltr %w0" : : "r"(SEG_TSS));
}

/* The stack the CPU switches to on a trap from ring 3: the process's own. */
void set_kernel_stack(uint32_t esp0) { tss.esp0 = esp0; }

uint32_t gdt_address(void) { return (uint32_t)gdt; }
