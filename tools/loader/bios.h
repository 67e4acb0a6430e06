/*
 * bios.h: what stage2's real-mode part (entry.S) learns from the BIOS
 * before it leaves real mode for good, and hands to the C part.
 *
 * entry.S fills the bios_info record through the BIOS_INFO_* offsets;
 * C reads it through the struct. The _Static_asserts keep the two equal.
 */
#pragma once

#define E820_MAX_ENTRIES      128
#define E820_ENTRY_SIZE       24      /* ACPI 3.0 entry: 20 bytes + attributes */
#define E820_SMAP             0x534D4150  /* "SMAP", INT 15h EAX=E820h signature */

#define BIOS_INFO_DRIVE       0   /* u8: DL from the BIOS: the boot drive */
#define BIOS_INFO_A20_ON      1   /* u8: 1 if entry.S saw the A20 gate open */
#define BIOS_INFO_CONV_KB     2   /* u16: INT 12h: KiB of conventional memory */
#define BIOS_INFO_E820_COUNT  4   /* u32: entries stored below */
#define BIOS_INFO_E820        8   /* struct e820_entry[E820_MAX_ENTRIES] */
#define BIOS_INFO_SIZE        (BIOS_INFO_E820 + E820_MAX_ENTRIES * E820_ENTRY_SIZE)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* One entry of the BIOS memory map, as INT 15h EAX=E820h returns it. */
struct e820_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;       /* 1 usable RAM, 2 reserved, 3 ACPI data, 4 ACPI NVS, 5 bad */
    uint32_t acpi_attr;  /* ACPI 3.0 extended attributes; bit 0 clear: ignore entry */
} __attribute__((packed));

struct bios_info {
    uint8_t drive;
    uint8_t a20_on;
    uint16_t conventional_kb;
    uint32_t e820_count;
    struct e820_entry e820[E820_MAX_ENTRIES];
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == E820_ENTRY_SIZE, "e820 entry");
_Static_assert(offsetof(struct bios_info, a20_on) == BIOS_INFO_A20_ON, "bios_info");
_Static_assert(offsetof(struct bios_info, conventional_kb) == BIOS_INFO_CONV_KB, "bios_info");
_Static_assert(offsetof(struct bios_info, e820_count) == BIOS_INFO_E820_COUNT, "bios_info");
_Static_assert(offsetof(struct bios_info, e820) == BIOS_INFO_E820, "bios_info");
_Static_assert(sizeof(struct bios_info) == BIOS_INFO_SIZE, "bios_info");

/* Defined in entry.S, in real-mode-addressable memory. */
extern struct bios_info bios_info;
#endif
