/*
 * mbinfo.c: a test kernel that prints the Multiboot information it was
 * given, one fact per line, then powers off. CPU mode: 32-bit protected
 * mode, paging off (entered from entry.S).
 *
 * The integration tests boot it through every loader (the fast loader,
 * GRUB, QEMU -kernel) and compare the lines: the command line and the
 * module lines must be identical everywhere. Lines:
 *   mbinfo: magic ok
 *   mbinfo: flags=0x%08x
 *   mbinfo: mem_lower=%u mem_upper=%u
 *   mbinfo: mmap base=0x%016llx len=0x%016llx type=%u      (one per entry)
 *   mbinfo: cmdline='%s'
 *   mbinfo: loader='%s'
 *   mbinfo: mods=%u
 *   mbinfo: module %u start=0x%08x size=%u aligned=%s crc32=%08x string='%s'
 * A field whose flag is clear prints as (none), which no loader can fake.
 */
#include "crc32.h"
#include "multiboot.h"
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "challenge.h"

#define PAGE_SIZE 4096

void mbinfo_main(uint32_t magic, const struct multiboot_info *mbi);

static const void *phys(uint32_t addr)
{
    return (const void *)(uintptr_t)addr;
}

static void print_memory(const struct multiboot_info *mbi)
{
    if (mbi->flags & MULTIBOOT_INFO_MEMORY)
        printf("mbinfo: mem_lower=%u mem_upper=%u\n", mbi->mem_lower, mbi->mem_upper);
    else
        printf("mbinfo: mem_lower=(none) mem_upper=(none)\n");
}

/* 3.3: entries are `size` + 4 bytes apart, whatever their struct says. */
static void print_mmap(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP))
        return;
    uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (at < end) {
        const struct multiboot_mmap_entry *e = phys(at);
        printf("mbinfo: mmap base=0x%016llx len=0x%016llx type=%u\n",
               (unsigned long long)e->addr, (unsigned long long)e->len, e->type);
        at += e->size + sizeof(e->size);
    }
}

static void print_string(const char *name, uint32_t flag, uint32_t flags, uint32_t addr)
{
    if (flags & flag)
        printf("mbinfo: %s='%s'\n", name, (const char *)phys(addr));
    else
        printf("mbinfo: %s=(none)\n", name);
}

static void print_modules(const struct multiboot_info *mbi)
{
    uint32_t count = (mbi->flags & MULTIBOOT_INFO_MODS) ? mbi->mods_count : 0;
    printf("mbinfo: mods=%u\n", count);
    const struct multiboot_mod_list *mods = phys(mbi->mods_addr);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t size = mods[i].mod_end - mods[i].mod_start;
        printf("mbinfo: module %u start=0x%08x size=%u aligned=%s crc32=%08x string='%s'\n",
               i, mods[i].mod_start, size, mods[i].mod_start % PAGE_SIZE ? "no" : "yes",
               crc32(phys(mods[i].mod_start), size), (const char *)phys(mods[i].cmdline));
    }
}

void mbinfo_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("PANIC mbinfo: bad magic 0x%08x in EAX, expected 0x%08x: "
               "not entered by a Multiboot v1 loader\n", magic, MULTIBOOT_BOOTLOADER_MAGIC);
        poweroff(POWEROFF_PANIC);
    }
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        challenge_start(phys(mbi->cmdline));   /* the grader's nonce: lib/challenge.h */
    printf("mbinfo: magic ok\n");
    printf("mbinfo: flags=0x%08x\n", mbi->flags);
    print_memory(mbi);
    print_mmap(mbi);
    print_string("cmdline", MULTIBOOT_INFO_CMDLINE, mbi->flags, mbi->cmdline);
    print_string("loader", MULTIBOOT_INFO_BOOT_LOADER_NAME, mbi->flags, mbi->boot_loader_name);
    print_modules(mbi);
    poweroff(POWEROFF_OK);
}
