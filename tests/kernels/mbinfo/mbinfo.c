/*
 * mbinfo.c: a test kernel that prints the Multiboot information it was
 * given, one fact per line, then powers off. CPU mode: 32-bit protected
 * mode, paging off (entered from entry.S).
 *
 * The integration tests boot it through every loader (the fast loader,
 * GRUB, QEMU -kernel) and compare the lines: the command line and the
 * module lines must be identical everywhere. Lines:
 *   mbinfo: magic ok
 *   mbinfo: entered at 0x%08x, image 0x%08x-0x%08x
 *   mbinfo: boot information clear of the image: yes   (or what lies in it)
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
#include "string.h"

#define PAGE_SIZE 4096

void mbinfo_main(uint32_t magic, const struct multiboot_info *mbi, uint32_t entered);

/* The image's bounds, linked (mbinfo.ld), and how far above where it loads
 * it is linked: their physical addresses are the difference. */
extern char __load_start[], __bss_end[], __mbinfo_offset[];

static const void *phys(uint32_t addr)
{
    return (const void *)(uintptr_t)addr;
}

struct extent {
    uint32_t start, end;
};

static struct extent image(void)
{
    uint32_t offset = (uint32_t)(uintptr_t)__mbinfo_offset;
    return (struct extent){ (uint32_t)(uintptr_t)__load_start - offset,
                            (uint32_t)(uintptr_t)__bss_end - offset };
}

/* Whether [at, at + len) meets the image; if so it is named, and false. */
static int clear_of_image(const char *what, uint32_t at, uint32_t len)
{
    struct extent k = image();
    if (at < k.end && k.start < at + len) {
        printf("mbinfo: boot information clear of the image: no, %s at 0x%08x-0x%08x\n",
               what, at, at + len);
        return 0;
    }
    return 1;
}

static uint32_t string_size(uint32_t at)
{
    return (uint32_t)strlen(phys(at)) + 1;
}

/* Everything the loader wrote for the kernel lies outside the kernel
 * (Multiboot 3.3 leaves its place to the loader, not over the kernel). */
static void check_boot_information(const struct multiboot_info *mbi)
{
    int ok = 1;
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        ok &= clear_of_image("cmdline", mbi->cmdline, string_size(mbi->cmdline));
    if (mbi->flags & MULTIBOOT_INFO_BOOT_LOADER_NAME)
        ok &= clear_of_image("loader name", mbi->boot_loader_name, string_size(mbi->boot_loader_name));
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
        ok &= clear_of_image("memory map", mbi->mmap_addr, mbi->mmap_length);
    if (mbi->flags & MULTIBOOT_INFO_MODS) {
        const struct multiboot_mod_list *mods = phys(mbi->mods_addr);
        ok &= clear_of_image("module list", mbi->mods_addr, mbi->mods_count * sizeof(*mods));
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            ok &= clear_of_image("a module", mods[i].mod_start, mods[i].mod_end - mods[i].mod_start);
            ok &= clear_of_image("a module's string", mods[i].cmdline, string_size(mods[i].cmdline));
        }
    }
    if (ok)
        printf("mbinfo: boot information clear of the image: yes\n");
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

void mbinfo_main(uint32_t magic, const struct multiboot_info *mbi, uint32_t entered)
{
    serial_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("PANIC mbinfo: bad magic 0x%08x in EAX, expected 0x%08x: "
               "not entered by a Multiboot v1 loader\n", magic, MULTIBOOT_BOOTLOADER_MAGIC);
        poweroff(POWEROFF_PANIC);
    }
    /* Before reading a field: an mbi inside the image is the kernel's own
     * bytes (a loader that wrote it first and the kernel over it). */
    struct extent k = image();
    uint32_t mbi_at = (uint32_t)(uintptr_t)mbi;
    if (mbi_at < k.end && k.start < mbi_at + sizeof(*mbi)) {
        printf("PANIC mbinfo: the boot information at 0x%08x lies inside the image 0x%08x-0x%08x\n",
               mbi_at, k.start, k.end);
        poweroff(POWEROFF_PANIC);
    }
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        challenge_start(phys(mbi->cmdline));   /* the grader's nonce: lib/challenge.h */
    printf("mbinfo: magic ok\n");
    printf("mbinfo: entered at 0x%08x, image 0x%08x-0x%08x\n", entered, k.start, k.end);
    check_boot_information(mbi);
    printf("mbinfo: flags=0x%08x\n", mbi->flags);
    print_memory(mbi);
    print_mmap(mbi);
    print_string("cmdline", MULTIBOOT_INFO_CMDLINE, mbi->flags, mbi->cmdline);
    print_string("loader", MULTIBOOT_INFO_BOOT_LOADER_NAME, mbi->flags, mbi->boot_loader_name);
    print_modules(mbi);
    poweroff(POWEROFF_OK);
}
