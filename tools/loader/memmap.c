/*
 * memmap.c: reading the BIOS memory map (INT 15h EAX=E820h, gathered by
 * entry.S). CPU mode: 32-bit protected mode.
 *
 * The BIOS lists address ranges with a type, in no promised order, and
 * may split one RAM bank into several touching entries or (rarely) let a
 * reserved range overlap a usable one. Every question here is therefore
 * asked of "the run of usable RAM from an address": usable entries that
 * touch are joined, and any overlapping non-usable entry cuts the run.
 */
#include "memmap.h"

#define E820_USABLE      1
#define ACPI_ATTR_VALID  1       /* ACPI 3.0: clear means "ignore this entry" */
#define ONE_MIB          0x100000ull

bool memmap_entry_valid(const struct e820_entry *e)
{
    return e->length != 0 && (e->acpi_attr & ACPI_ATTR_VALID);
}

static uint64_t entry_end(const struct e820_entry *e)
{
    return e->base + e->length;
}

/* Grow `end` over every usable entry that covers it, until none does
 * (an entry covers `end` if base <= end < base + length). */
static uint64_t extend_over_usable(uint64_t end)
{
    bool grew = true;
    while (grew) {
        grew = false;
        for (uint32_t i = 0; i < bios_info.e820_count; i++) {
            const struct e820_entry *e = &bios_info.e820[i];
            if (memmap_entry_valid(e) && e->type == E820_USABLE &&
                e->base <= end && entry_end(e) > end) {
                end = entry_end(e);
                grew = true;
            }
        }
    }
    return end;
}

/* Cut [start, end) at the first non-usable entry overlapping it. */
static uint64_t clip_at_reserved(uint64_t start, uint64_t end)
{
    for (uint32_t i = 0; i < bios_info.e820_count; i++) {
        const struct e820_entry *e = &bios_info.e820[i];
        if (!memmap_entry_valid(e) || e->type == E820_USABLE)
            continue;
        if (e->base < end && entry_end(e) > start)
            end = e->base > start ? e->base : start;
    }
    return end;
}

uint64_t memmap_usable_end(uint64_t addr)
{
    return clip_at_reserved(addr, extend_over_usable(addr));
}

bool memmap_is_usable(uint64_t start, uint64_t end)
{
    return start >= end || memmap_usable_end(start) >= end;
}

/* GRUB (grub-core/mmap/i386/mmap.c, grub_mmap_get_lower/upper, over its merged
 * map): mem_lower is the usable RAM starting at address 0, at most 1 MiB;
 * mem_upper is the usable RAM starting at 1 MiB, up to the first hole. */
uint32_t memmap_lower_kb(void)
{
    uint64_t end = memmap_usable_end(0);
    return (uint32_t)((end < ONE_MIB ? end : ONE_MIB) >> 10);
}

uint32_t memmap_upper_kb(void)
{
    uint64_t kib = (memmap_usable_end(ONE_MIB) - ONE_MIB) >> 10;
    return kib > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)kib;
}
