/*
 * multiboot.h: the Multiboot v1 structures and constants, from the
 * Multiboot Specification version 0.6.96, section 3 ("The exact
 * definitions of Multiboot Specification").
 *
 * Shared by every Multiboot loader and kernel of the kit: the fast loader
 * and the hypervisor (which load kernels and write the boot information),
 * and the hypervisor, the guest OS and tests/kernels/mbinfo (which read it).
 * Only #defines outside the __ASSEMBLER__ block, so assembly can use it.
 */
#pragma once

/* 3.1.1, 3.1.2: the OS image header. */
#define MULTIBOOT_HEADER_MAGIC      0x1BADB002
#define MULTIBOOT_SEARCH            8192   /* the header lies in the first 8 KiB */
#define MULTIBOOT_HEADER_ALIGN      4      /* ... on a 32-bit boundary */

/* Header flags. Bits 0-15 are requirements: a loader that does not
 * understand one of them must refuse the kernel; bits 16-31 are optional. */
#define MULTIBOOT_PAGE_ALIGN        0x00000001  /* modules on 4 KiB boundaries */
#define MULTIBOOT_MEMORY_INFO       0x00000002  /* mem_* (and mmap_*) wanted */
#define MULTIBOOT_VIDEO_MODE        0x00000004  /* a video mode table wanted */
#define MULTIBOOT_REQUIRED_FLAGS    0x0000FFFF
#define MULTIBOOT_AOUT_KLUDGE       0x00010000  /* 3.1.3: use the address fields */

/* 3.2: EAX holds this when the loader enters the kernel. */
#define MULTIBOOT_BOOTLOADER_MAGIC  0x2BADB002

/* 3.3: which fields of the boot information are valid. */
#define MULTIBOOT_INFO_MEMORY           0x00000001  /* mem_lower, mem_upper */
#define MULTIBOOT_INFO_BOOTDEV          0x00000002
#define MULTIBOOT_INFO_CMDLINE          0x00000004
#define MULTIBOOT_INFO_MODS             0x00000008
#define MULTIBOOT_INFO_AOUT_SYMS        0x00000010
#define MULTIBOOT_INFO_ELF_SHDR         0x00000020
#define MULTIBOOT_INFO_MEM_MAP          0x00000040
#define MULTIBOOT_INFO_DRIVES           0x00000080
#define MULTIBOOT_INFO_BOOT_LOADER_NAME 0x00000200

/* 3.3: memory map entry types. */
#define MULTIBOOT_MEMORY_AVAILABLE        1
#define MULTIBOOT_MEMORY_RESERVED         2
#define MULTIBOOT_MEMORY_ACPI_RECLAIMABLE 3
#define MULTIBOOT_MEMORY_NVS              4
#define MULTIBOOT_MEMORY_BADRAM           5

#ifndef __ASSEMBLER__
#include <stdint.h>

/* 3.1.1: the header. The address fields (3.1.3) count only with
 * MULTIBOOT_AOUT_KLUDGE, the graphics fields (3.1.4) only with
 * MULTIBOOT_VIDEO_MODE. */
struct multiboot_header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;       /* magic + flags + checksum == 0 (mod 2^32) */
    uint32_t header_addr;    /* physical address of this header's magic */
    uint32_t load_addr;      /* physical address of the first byte loaded */
    uint32_t load_end_addr;  /* end of the loaded bytes; 0: to the end of the file */
    uint32_t bss_end_addr;   /* end of the zeroed bss; 0: no bss */
    uint32_t entry_addr;
    uint32_t mode_type, width, height, depth;
} __attribute__((packed));

/* 3.3: the boot information ("mbi"), at the physical address in EBX. */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;          /* KiB of RAM from 0 (at most 640) */
    uint32_t mem_upper;          /* KiB of RAM from 1 MiB up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;            /* physical address of a NUL-terminated string */
    uint32_t mods_count;
    uint32_t mods_addr;          /* struct multiboot_mod_list[mods_count] */
    uint32_t syms[4];            /* a.out symbols or ELF section headers */
    uint32_t mmap_length;        /* bytes of memory map, not entries */
    uint32_t mmap_addr;          /* struct multiboot_mmap_entry, each size + 4 bytes */
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;
    uint8_t color_info[6];
} __attribute__((packed));

/* 3.3: one module. mod_end is exclusive (GRUB: mod_start + size). */
struct multiboot_mod_list {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t cmdline;            /* the module's string */
    uint32_t pad;
} __attribute__((packed));

/* 3.3: one memory map entry. `size` counts the bytes after itself (20),
 * so the next entry starts size + 4 bytes further on. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot_info layout");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry layout");
#endif
