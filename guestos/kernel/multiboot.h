/* multiboot.h: the Multiboot v1 information structure (Multiboot spec 3.3). */
#pragma once
#include <stdint.h>

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002

enum {
    MB_INFO_MEMORY = 1 << 0,
    MB_INFO_CMDLINE = 1 << 2,
    MB_INFO_MODS = 1 << 3,
    MB_INFO_MMAP = 1 << 6,
    MB_INFO_LOADER_NAME = 1 << 9,
};

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
} __attribute__((packed));

struct multiboot_module {
    uint32_t mod_start, mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));
