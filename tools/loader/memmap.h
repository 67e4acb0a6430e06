/*
 * memmap.h: questions about the BIOS memory map (E820) that entry.S
 * collected: is this range RAM, how much memory does Multiboot report.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bios.h"

/* Should this entry be used at all? (Zero-length entries and ACPI 3.0
 * entries whose "ignore" attribute is set are skipped.) */
bool memmap_entry_valid(const struct e820_entry *e);

/* The end of the run of usable RAM that starts at `addr` (touching or
 * overlapping usable entries joined, reserved entries cut it short);
 * `addr` itself if `addr` is not usable RAM. */
uint64_t memmap_usable_end(uint64_t addr);

/* True if all of [start, end) is usable RAM. */
bool memmap_is_usable(uint64_t start, uint64_t end);

/* Multiboot's mem_lower and mem_upper in KiB, computed as GRUB does. */
uint32_t memmap_lower_kb(void);
uint32_t memmap_upper_kb(void);
