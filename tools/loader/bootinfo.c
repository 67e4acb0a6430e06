/*
 * bootinfo.c: the Multiboot information the kernel finds at EBX
 * (Multiboot Specification 0.6.96, section 3.3 "Boot information
 * format"), filled as GRUB 2 fills it (grub-core/loader/i386/
 * multiboot_mbi.c, grub_multiboot_make_mbi).
 * CPU mode: 32-bit protected mode.
 *
 * Flags set: 0 (mem_lower/mem_upper), 2 (cmdline), 3 (modules; like GRUB,
 * only when there are some), 6 (memory map), 9 (boot loader name).
 *
 * Where it lives: everything (the mbi, the module list, the memory map and
 * copies of every string) goes in the handoff area, physical 0x20000 to
 * 0x2FFFF (layout.h). That is below 1 MiB, where no kernel or module may
 * be (main.c checks), so nothing can overlap, and it sits in the same
 * 0x10000-0xA0000 window where GRUB places its own mbi. Strings are
 * copied out of the manifest so the kernel may treat the staging area
 * around its modules as free memory.
 */
#include "bootinfo.h"
#include "layout.h"
#include "memmap.h"
#include "multiboot.h"
#include "panic.h"
#include "string.h"

static uint32_t handoff_next;

/* Zeroed, 4-byte aligned room in the handoff area. */
static void *handoff_alloc(uint32_t size)
{
    uint32_t at = (handoff_next + 3) & ~3u;
    if (at + size > HANDOFF_LIMIT)
        panic("the Multiboot information outgrew the handoff area 0x%x-0x%x: "
              "use fewer modules or shorter strings", HANDOFF_ADDR, HANDOFF_LIMIT);
    handoff_next = at + size;
    return memset(phys_to_ptr(at), 0, size);
}

/* A copy of `s` in the handoff area; returns its physical address. */
static uint32_t copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    return (uint32_t)(uintptr_t)memcpy(handoff_alloc(n), s, n);
}

static void add_memory_sizes(struct multiboot_info *mbi)
{
    mbi->mem_lower = memmap_lower_kb();
    mbi->mem_upper = memmap_upper_kb();
    mbi->flags |= MULTIBOOT_INFO_MEMORY;
}

static void add_cmdline(struct multiboot_info *mbi, const struct manifest *m)
{
    mbi->cmdline = copy_string(manifest_string(m, m->cmdline));
    mbi->flags |= MULTIBOOT_INFO_CMDLINE;
}

/* Modules stay where the payload put them: staging_addr + their offset,
 * 4 KiB aligned. mod_end is exclusive, as GRUB makes it. */
static void add_modules(struct multiboot_info *mbi, const struct manifest *m)
{
    if (m->module_count == 0)
        return;
    struct multiboot_mod_list *mods = handoff_alloc(m->module_count * sizeof(*mods));
    for (uint32_t i = 0; i < m->module_count; i++) {
        const struct manifest_module *src = &m->modules[i];
        mods[i].mod_start = m->staging_addr + src->offset;
        mods[i].mod_end = mods[i].mod_start + src->size;
        mods[i].cmdline = copy_string(manifest_string(m, src->string));
    }
    mbi->mods_count = m->module_count;
    mbi->mods_addr = (uint32_t)(uintptr_t)mods;
    mbi->flags |= MULTIBOOT_INFO_MODS;
}

/* E820 types 1-5 mean the same in Multiboot; anything newer is reported
 * as reserved, the safe reading for a kernel that does not know it. */
static uint32_t multiboot_memory_type(uint32_t e820_type)
{
    if (e820_type >= MULTIBOOT_MEMORY_AVAILABLE && e820_type <= MULTIBOOT_MEMORY_BADRAM)
        return e820_type;
    return MULTIBOOT_MEMORY_RESERVED;
}

/* The BIOS map as it came, minus the entries it says to ignore. */
static void add_memory_map(struct multiboot_info *mbi)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < bios_info.e820_count; i++)
        n += memmap_entry_valid(&bios_info.e820[i]);
    struct multiboot_mmap_entry *map = handoff_alloc(n * sizeof(*map));
    struct multiboot_mmap_entry *out = map;
    for (uint32_t i = 0; i < bios_info.e820_count; i++) {
        const struct e820_entry *e = &bios_info.e820[i];
        if (!memmap_entry_valid(e))
            continue;
        out->size = sizeof(*out) - sizeof(out->size);   /* 20 */
        out->addr = e->base;
        out->len = e->length;
        out->type = multiboot_memory_type(e->type);
        out++;
    }
    mbi->mmap_addr = (uint32_t)(uintptr_t)map;
    mbi->mmap_length = n * sizeof(*map);
    mbi->flags |= MULTIBOOT_INFO_MEM_MAP;
}

static void add_loader_name(struct multiboot_info *mbi)
{
    mbi->boot_loader_name = copy_string(LOADER_NAME);
    mbi->flags |= MULTIBOOT_INFO_BOOT_LOADER_NAME;
}

uint32_t bootinfo_build(const struct manifest *m)
{
    handoff_next = HANDOFF_ADDR;
    struct multiboot_info *mbi = handoff_alloc(sizeof(*mbi));
    add_memory_sizes(mbi);
    add_cmdline(mbi, m);
    add_modules(mbi, m);
    add_memory_map(mbi);
    add_loader_name(mbi);
    return (uint32_t)(uintptr_t)mbi;
}
