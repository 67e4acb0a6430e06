/*
 * main.c: the guest kernel's first C code (32-bit protected mode, paging off).
 *
 * This is the guest OS base: it proves the boot path on every loader and
 * emulator, natively and (from lab 1 on) under the hypervisor. The guest OS
 * proper (paging, processes, system calls, the scheduler) is built on it.
 */
#include <stdint.h>
#include "multiboot.h"
#include "../../lib/printf.h"
#include "../../lib/serial.h"
#include "../../lib/poweroff.h"

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static const char *mb_string(const struct multiboot_info *mbi, uint32_t flag, uint32_t addr)
{
    return (mbi->flags & flag) && addr ? (const char *)(uintptr_t)addr : "";
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    printf("guestos: hvlab guest OS (i386), tsc=%llu\n", rdtsc());
    if (magic != MULTIBOOT_LOADER_MAGIC) {
        printf("PANIC guestos: not started by a Multiboot loader (eax=0x%08x)\n", magic);
        poweroff(POWEROFF_PANIC);
    }
    printf("guestos: cmdline '%s'\n", mb_string(mbi, MB_INFO_CMDLINE, mbi->cmdline));
    printf("guestos: loader '%s'\n", mb_string(mbi, MB_INFO_LOADER_NAME, mbi->boot_loader_name));
    if (mbi->flags & MB_INFO_MEMORY)
        printf("guestos: memory lower=%u KiB upper=%u KiB\n", mbi->mem_lower, mbi->mem_upper);
    uint32_t mods = (mbi->flags & MB_INFO_MODS) ? mbi->mods_count : 0;
    printf("guestos: %u modules\n", mods);
    poweroff(POWEROFF_OK);
}
