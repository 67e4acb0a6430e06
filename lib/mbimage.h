/*
 * mbimage.h: load a Multiboot v1 kernel from its file image in memory
 * (Multiboot Specification 0.6.96, section 3.1), as GRUB does. Used by the
 * fast loader (tools/loader) and by the hypervisor for its guests.
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

struct mb_image {
    const uint8_t *file;                  /* the staged copy of the kernel file */
    uint32_t file_size;
    const struct multiboot_header *header;
    uint32_t header_offset;
    bool kludge;                          /* loaded by the a.out kludge fields */
    uint32_t load_offset, load_size;      /* kludge: file bytes copied to start */
    struct elf_info elf;                  /* otherwise: the ELF program headers */
    uint64_t start, end;                  /* physical extent [start, end), bss included */
    uint32_t entry;                       /* physical entry point */
    char error[400];                      /* why mbimage_inspect said no */
};

/* Find and check the Multiboot header, then work out where the kernel goes
 * and where it starts, without writing anything. False if the kernel cannot
 * be loaded; k->error then says why, in one line. */
bool mbimage_inspect(struct mb_image *k, const void *file, uint32_t size);

/* Whether the file holds a Multiboot header (its magic with a checksum that
 * adds up) in its first 8192 bytes: a Multiboot kernel as the spec tells
 * one (3.1.1), whether or not it can be loaded. */
bool mbimage_has_header(const void *file, uint32_t size);

/* Receives each piece of the kernel: filesz bytes from src go to physical
 * address paddr, and the rest of memsz bytes (the bss) must be zeroed. */
typedef void (*mbimage_place_fn)(void *ctx, uint64_t paddr, const uint8_t *src,
                                 uint64_t filesz, uint64_t memsz);

/* Hand every piece of an inspected kernel to `place`. The caller has
 * checked that the extent [k->start, k->end) is free RAM. */
void mbimage_place(const struct mb_image *k, mbimage_place_fn place, void *ctx);
