/*
 * main.c: the kernel's first C code. boot.S has turned paging on with the
 * first 16 MiB mapped at KERNBASE; kmain brings up the rest in the order
 * each part needs the one before, then becomes the scheduler.
 */
#include <stdint.h>
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/challenge.h"
#include "../../lib/printf.h"
#include "../../lib/serial.h"

void kmain(uint32_t magic, uint32_t mbi_pa)
{
    serial_init();
    printf("guestos: hvlab guest OS (i386), tsc=%llu\n", rdtsc());
    bootinfo_copy(magic, mbi_pa);           /* before the allocator reuses it */
    reserve_platform_memory();              /* the PV builder's frames (plat.h) */
    challenge_start(boot_cmdline());        /* the grader's nonce: lib/challenge.h */
    printf("guestos: cmdline '%s'\n", boot_cmdline());
    init_segments();
    init_traps();
    free_usable_memory(0, BOOT_MAPPED);     /* the allocator's first pages... */
    map_kernel(boot_ram_top());             /* ...hold the page tables for the rest */
    free_usable_memory(BOOT_MAPPED, PHYS_LIMIT);
    printf("guestos: %u KiB free memory, %d modules\n", free_page_count() * 4, boot_module_count());
    spawn_kernel_process("init", run_chosen_programs);     /* the first process: it adopts orphans */
    init_devices();                         /* the PIC, the PIT or timer=lapic, the UART (plat.h) */
    apf_init();                             /* apf=1: pseudo page faults (apf.c) */
    swap_init();                            /* swap=N: the kernel's own swap (swap.c) */
    run_scheduler();
}
