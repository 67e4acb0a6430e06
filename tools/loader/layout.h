/*
 * layout.h: where the fast loader puts things in memory and on the disk.
 *
 * Shared by boot.S (16-bit real mode), stage2's entry.S (16-bit, then
 * 32-bit), stage2's C code (32-bit protected mode) and the linker script;
 * tools/mkimage.py repeats the boot-sector field offsets (keep them equal).
 * README.md draws the same maps as pictures.
 *
 * Only #defines outside the __ASSEMBLER__ block: the assembler and the
 * linker-script preprocessor include this file too.
 */
#pragma once

/*
 * Physical memory while the loader runs. Everything the loader owns lies
 * in the first MiB, so the kernel and the staged payload, which must lie
 * at or above 1 MiB, can never overlap it.
 *
 *   0x00000-0x004FF  real-mode interrupt vectors and the BIOS data area
 *   0x00500-0x07BFF  real-mode stack (grows down from 0x7C00)
 *   0x07C00-0x07DFF  boot.bin, the boot sector; stage2 reads its fields
 *   0x08000-0x1FFFF  stage2: code, data, bss, 32-bit stack
 *   0x20000-0x2FFFF  handoff area: the Multiboot information, its strings,
 *                    module list and memory map (what the kernel receives)
 *   0x30000-0x9xxxx  unused; the EBDA and ROMs follow up to 1 MiB
 */
#define REALMODE_STACK_TOP   0x7C00
#define MBR_ADDR             0x7C00
#define STAGE2_ADDR          0x8000
#define STAGE2_SEGMENT       0x0800   /* STAGE2_ADDR as a real-mode segment */
#define STAGE2_MAX_SECTORS   127      /* one INT 13h AH=42h call (see boot.S) */
#define STAGE2_LIMIT         0x20000
#define HANDOFF_ADDR         0x20000
#define HANDOFF_LIMIT        0x30000
#define LOADER_RESERVED_END  0x100000 /* the first MiB: BIOS, loader, handoff */

#define SECTOR_SIZE          512

/*
 * Fields of the boot sector (offsets from its first byte). boot.S holds
 * the magic; tools/mkimage.py checks it, then fills in the other two.
 * They sit just before the MBR disk signature (0x1B8) and partition table
 * (0x1BE), which this loader leaves zero.
 */
#define MBR_FIELD_MAGIC          0x1AC  /* u32 "HVLB": an hvlab boot sector */
#define MBR_FIELD_STAGE2_SECTORS 0x1B0  /* u16: stage2 occupies LBA 1..this */
#define MBR_FIELD_RESERVED       0x1B2  /* u16: zero */
#define MBR_FIELD_PAYLOAD_LBA    0x1B4  /* u32: LBA of the payload's manifest */
#define MBR_BOOT_MAGIC           0x424C5648  /* "HVLB" little-endian */

/* Flat 32-bit segments of stage2's GDT, which the kernel also receives. */
#define GDT_CODE32_SELECTOR  0x08
#define GDT_DATA32_SELECTOR  0x10

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The boot-sector fields, read by stage2 from the copy the BIOS left at MBR_ADDR. */
struct boot_fields {
    uint32_t magic;
    uint16_t stage2_sectors;
    uint16_t reserved;
    uint32_t payload_lba;
} __attribute__((packed));

#define BOOT_FIELDS ((const struct boot_fields *)(MBR_ADDR + MBR_FIELD_MAGIC))

/* Paging is off while the loader runs: a physical address is a pointer. */
static inline void *phys_to_ptr(uint64_t addr)
{
    return (void *)(uintptr_t)addr;
}

_Static_assert(MBR_FIELD_PAYLOAD_LBA - MBR_FIELD_MAGIC == 8, "boot_fields layout");
#endif
