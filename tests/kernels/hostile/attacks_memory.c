/*
 * attacks_memory.c: memory outside the guest's RAM. EPT (or the shadow
 * tables) maps only guest RAM; a guest that reaches past it is stopped.
 */
#include "attack.h"

#define FAR_AWAY 0xF0000000u   /* far above any guest RAM the kit gives */

ATTACK(read_beyond_ram, "memory-read-beyond-ram", "ept shadow icelake",
       "stop (EPT violation|outside its \\d+ MiB of RAM)", "a read of 0xf0000000, paging off")
{
    result("read 0x%08x", *(volatile uint32_t *)FAR_AWAY);
}

ATTACK(write_beyond_ram, "memory-write-beyond-ram", "ept shadow icelake",
       "stop (EPT violation|outside its \\d+ MiB of RAM)", "a write to 0xf0000000, paging off")
{
    *(volatile uint32_t *)FAR_AWAY = 0x12345678;
}

ATTACK(pte_beyond_ram, "memory-pte-beyond-ram", "all", "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "a PTE that maps 0xf0000000 into the guest's address space")
{
    paging_on(0);
    low_pt[1023] = FAR_AWAY | PG_P | PG_W;
    invlpg(0x3FF000);
    result("read 0x%08x", *(volatile uint32_t *)0x3FF000);
}

/* Paging structures themselves outside guest RAM. */
ATTACK(cr3_beyond_ram, "memory-cr3-beyond-ram", "all", "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "CR3 pointing at a page directory above guest RAM, then paging on")
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(FAR_AWAY) : "memory");
    write_cr0(read_cr0() | CR0_PG);
    result("paging on with CR3 at 0x%08x", FAR_AWAY);
}

ATTACK(pde_large_beyond_ram, "memory-4m-page-beyond-ram", "all",
       "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "a 4 MiB page (PDE.PS) whose frame is far above guest RAM")
{
    write_cr4(read_cr4() | CR4_PSE);
    paging_on(0);
    page_dir[1] = FAR_AWAY | PG_P | PG_W | PG_PS;
    invlpg(0x400000);
    result("read 0x%08x", *(volatile uint32_t *)0x400000);
}

/* The last guest-physical page below 4 GiB, through a 4 KiB PTE. */
ATTACK(pte_top_of_4g, "memory-pte-top-of-4g", "all", "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "a PTE that maps guest-physical 0xfffff000 (the reset vector's page)")
{
    paging_on(0);
    low_pt[1023] = 0xFFFFF000u | PG_P | PG_W;
    invlpg(0x3FF000);
    *(volatile uint32_t *)0x3FF000 = 0;
}

/* Descriptor tables outside guest RAM: the CPU reads them on the next
 * segment load or event. */
ATTACK(gdt_beyond_ram, "memory-gdt-beyond-ram", "all",
       "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "LGDT of a table above guest RAM, then a segment load")
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) p = { 0xFFFF, FAR_AWAY };
    __asm__ volatile("lgdt %0\n\tmovl $0x10, %%eax\n\tmovl %%eax, %%ds" : : "m"(p) : "eax", "memory");
    result("loaded DS from a GDT at 0x%08x", FAR_AWAY);
}

ATTACK(idt_beyond_ram, "memory-idt-beyond-ram", "all",
       "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "LIDT of a table above guest RAM, then INT3")
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) p = { 0x7FF, FAR_AWAY };
    __asm__ volatile("lidt %0\n\tint3" : : "m"(p) : "memory");
    result("INT3 through an IDT at 0x%08x came back", FAR_AWAY);
}

/* The TSS's ESP0 above guest RAM: the stack switch of an event from
 * ring 3 writes there. */
ATTACK(esp0_beyond_ram, "memory-esp0-beyond-ram", "all",
       "stop (EPT violation|outside its \\d+ MiB of RAM)",
       "ESP0 above guest RAM, then an exception at ring 3")
{
    tss[1] = FAR_AWAY + 0x1000;
    run_user(0);     /* calling address 0 at ring 3: #PF or #GP, delivered on ESP0's stack */
}

ATTACK(cr3_low_bits, "memory-cr3-low-bits", "all", "native",
       "CR3 with its ignored low bits and PWT/PCD set: the directory is still the same")
{
    paging_on(0);
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint32_t)page_dir | 0xFFF) : "memory");
    result("read 0x%08x through it", *(volatile uint32_t *)0x100000);
}
