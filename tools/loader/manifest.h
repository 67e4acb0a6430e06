/*
 * manifest.h: the payload manifest, written by tools/mkimage.py and read by
 * stage2. It is the first 4 KiB of the payload (at the boot sector's
 * payload LBA), and says where everything else in the payload is.
 *
 * Offsets of files are counted from the manifest's first byte, which the
 * loader reads to staging_addr along with the rest of the payload; so a
 * module at a 4 KiB-aligned offset lands on a page boundary in memory.
 * Strings are NUL-terminated, in the string area at the end of the
 * manifest, and referred to by their offset from the manifest's start.
 * All fields are little-endian. README.md has the same table.
 */
#pragma once
#include <stdint.h>

#define MANIFEST_MAGIC           0x4D4C5648  /* "HVLM" little-endian */
#define MANIFEST_VERSION         1
#define MANIFEST_SIZE            4096
#define MANIFEST_MAX_MODULES     32
#define MANIFEST_STRINGS_OFFSET  0x220
#define MANIFEST_FILE_ALIGN      4096        /* module offsets (and the kernel's) */

struct manifest_module {
    uint32_t offset;         /* from the manifest's start; 4 KiB aligned */
    uint32_t size;           /* bytes */
    uint32_t string;         /* offset of its string, e.g. "/boot/guest.elf test=all" */
    uint32_t reserved;
} __attribute__((packed));

struct manifest {
    uint32_t magic;          /* 0x000 MANIFEST_MAGIC */
    uint16_t version;        /* 0x004 MANIFEST_VERSION */
    uint16_t module_count;   /* 0x006 */
    uint32_t staging_addr;   /* 0x008 physical address the payload is read to */
    uint32_t payload_size;   /* 0x00C bytes, manifest included */
    uint32_t kernel_offset;  /* 0x010 */
    uint32_t kernel_size;    /* 0x014 */
    uint32_t cmdline;        /* 0x018 offset of the kernel command line */
    uint32_t reserved;       /* 0x01C zero */
    struct manifest_module modules[MANIFEST_MAX_MODULES];   /* 0x020 */
    char strings[MANIFEST_SIZE - MANIFEST_STRINGS_OFFSET];  /* 0x220 */
} __attribute__((packed));

_Static_assert(sizeof(struct manifest) == MANIFEST_SIZE, "manifest size");
_Static_assert(__builtin_offsetof(struct manifest, strings) == MANIFEST_STRINGS_OFFSET,
               "manifest layout");

/* Check every field against the others; panics naming the first bad one. */
void manifest_check(const struct manifest *m, uint32_t lba);

/* The string at `offset` (manifest_check has proven it is terminated). */
const char *manifest_string(const struct manifest *m, uint32_t offset);
