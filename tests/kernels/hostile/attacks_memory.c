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
