/*
 * boot_info.h: what a Multiboot v1 loader tells the kernel it boots, and the
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
#include <stddef.h>
#include <stdint.h>

#include "multiboot.h"   /* lib/: the structures of the Multiboot spec */

/* Memory map entry types, short names. */
enum {
    MMAP_USABLE = MULTIBOOT_MEMORY_AVAILABLE, MMAP_RESERVED = MULTIBOOT_MEMORY_RESERVED,
    MMAP_ACPI = MULTIBOOT_MEMORY_ACPI_RECLAIMABLE, MMAP_NVS = MULTIBOOT_MEMORY_NVS,
    MMAP_BAD = MULTIBOOT_MEMORY_BADRAM,
};

#define BOOT_STRING_MAX  256
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MMAP_MAX    64
#define BOOT_MODULES_MAX 32   /* as many as the fast loader carries */
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

/* One VM's modules (vms=N): modules[first] is its guest kernel, and the
 * count - 1 modules after it are the kernel's own modules. */
struct boot_group {
    unsigned first, count;
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

/* The modules split into `vms` groups, one per VM, in command-line order.
 * With vms = 1 the one group is every module: module 0 is the kernel,
 * whatever it holds, and the rest are its modules. With vms >= 2 a group is
 * a Multiboot kernel and the modules after it, up to the next kernel
 * (is_kernel[i]: module i holds a Multiboot header, mbimage_has_header), so
 * module 0 must be a kernel and the modules must hold exactly vms kernels.
 * False if they do not, with the reason in err (for "PANIC hv: <err>"). */
bool boot_module_groups(const struct boot_info *bi, const bool *is_kernel, unsigned vms,
                        struct boot_group *groups, char *err, size_t errlen);
