/*
 * multiboot.h: what a Multiboot v1 loader tells the kernel it boots, and the
 * parser that copies it into the hypervisor's own struct boot_info.
 *
 * A pure module (any mode, also the host unit tests): the parser reaches
 * physical memory only through a phys_map_fn the caller provides. In the
 * hypervisor that is the identity map of the first 4 GiB; in the tests it is
 * a buffer of synthetic data.
 *
 * Reference: the Multiboot Specification version 0.6.96, 3.3 "Boot
 * information format".
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002   /* in EAX at entry */

/* Bits of multiboot_info.flags: which fields are valid. */
#define MB_INFO_MEMORY      (1 << 0)   /* mem_lower, mem_upper */
#define MB_INFO_CMDLINE     (1 << 2)
#define MB_INFO_MODS        (1 << 3)
#define MB_INFO_ELF_SHDR    (1 << 5)
#define MB_INFO_MEM_MAP     (1 << 6)
#define MB_INFO_DRIVES      (1 << 7)
#define MB_INFO_LOADER_NAME (1 << 9)

/* The information structure, as the loader lays it out (all addresses are
 * 32-bit physical addresses). */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;        /* KiB below 1 MiB, KiB from 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];                     /* ELF: num, size, addr, shndx */
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe[4];
    uint32_t framebuffer[7];
} __attribute__((packed));

/* One module (spec 3.3, "mods_addr"); mod_end is the first byte after it. */
struct multiboot_module {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));

/* One memory map entry. `size` counts the bytes after itself, so the next
 * entry is at (this + size + 4), whatever the entries' real length. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t base_addr, length;
    uint32_t type;
} __attribute__((packed));

enum {
    MMAP_USABLE = 1, MMAP_RESERVED = 2, MMAP_ACPI = 3, MMAP_NVS = 4, MMAP_BAD = 5,
};

#define BOOT_STRING_MAX  256
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MMAP_MAX    64
#define BOOT_MODULES_MAX 16
#define BOOT_RANGES_MAX  (8 + 2 * BOOT_MODULES_MAX)

struct boot_mmap_entry {
    uint64_t start, end;   /* end exclusive */
    uint32_t type;
};

struct boot_module {
    uint64_t start, end;   /* end exclusive */
    char string[BOOT_STRING_MAX];
};

/* Memory the loader's data occupies: the page allocator must not hand it out. */
struct boot_range {
    uint64_t start, end;
    const char *what;
};

/* Everything the hypervisor keeps from the Multiboot information: copied
 * into its own memory, so it stays valid when the loader's pages are reused. */
struct boot_info {
    char loader[BOOT_STRING_MAX];          /* boot_loader_name, or "unknown" */
    char cmdline[BOOT_CMDLINE_MAX];        /* "" if none */
    struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
    unsigned mmap_count;
    bool mmap_from_mem_fields;             /* no map: built from mem_lower/upper */
    struct boot_module modules[BOOT_MODULES_MAX];
    unsigned module_count;
    struct boot_range used[BOOT_RANGES_MAX];
    unsigned used_count;
    char error[160];                       /* why multiboot_parse failed */
};

/* A pointer to len bytes at physical address pa, or NULL if they are not
 * all accessible. */
typedef const void *(*phys_map_fn)(uint64_t pa, uint64_t len);

/* Check the magic and copy the information at mbi_pa into bi. False if the
 * magic is wrong or the information is unusable; bi->error says why. */
bool multiboot_parse(struct boot_info *bi, uint32_t magic, uint32_t mbi_pa, phys_map_fn map);

/* "usable", "reserved", "acpi", "nvs", "bad". */
const char *mmap_type_name(uint32_t type);

/* Bytes and regions the memory map calls usable. */
uint64_t boot_usable_bytes(const struct boot_info *bi);
unsigned boot_usable_regions(const struct boot_info *bi);
