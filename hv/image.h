/*
 * image.h: recognise a kernel image in memory: is it an ELF file, does it
 * carry a Multiboot v1 header? A pure module (any mode, also the host unit
 * tests). The hypervisor uses it to check the guest kernel module before
 * trying to boot it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct image_info {
    bool is_elf;
    unsigned elf_bits;          /* 32 or 64 (0 if not ELF or unknown class) */
    bool has_multiboot;
    uint32_t multiboot_offset;  /* of the header in the file */
    uint32_t multiboot_flags;
};

/* The Multiboot v1 header must be 4-byte aligned within the first 8 KiB
 * (Multiboot spec 3.1.1 "The layout of Multiboot header"). */
#define MULTIBOOT_SEARCH_LIMIT 8192

void image_inspect(const void *data, size_t size, struct image_info *out);
