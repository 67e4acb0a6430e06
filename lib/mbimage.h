/*
 * kernel.h: load a Multiboot v1 kernel from its file image in memory
 * (Multiboot Specification 0.6.96, section 3.1), as GRUB does.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "multiboot.h"

/* Where the program headers of an ELF32 or ELF64 kernel are. */
struct elf_info {
    bool is64;
    uint64_t entry;
    uint64_t phoff;
    uint32_t phnum;
    uint32_t phentsize;
};

struct kernel_image {
    const uint8_t *file;                  /* the staged copy of the kernel file */
    uint32_t file_size;
    const struct multiboot_header *header;
    uint32_t header_offset;
    bool kludge;                          /* loaded by the a.out kludge fields */
    uint32_t load_offset, load_size;      /* kludge: file bytes copied to start */
    struct elf_info elf;                  /* otherwise: the ELF program headers */
    uint64_t start, end;                  /* physical extent [start, end), bss included */
    uint32_t entry;                       /* physical entry point */
};

/* Find and check the Multiboot header, then work out where the kernel
 * goes and where it starts, without writing anything. Panics with the
 * reason if the kernel cannot be loaded. */
void kernel_inspect(struct kernel_image *k, const void *file, uint32_t size);

/* Copy the kernel to its extent and zero its bss. The caller has checked
 * that the extent is free RAM. */
void kernel_place(const struct kernel_image *k);
