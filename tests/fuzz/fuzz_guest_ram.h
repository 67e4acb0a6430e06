/*
 * fuzz_guest_ram.h: the pretend guest RAM of the page-walk targets
 * (fuzz_guest_paging.c, fuzz_guest_paging_pae.c): FUZZ_GUEST_PAGES pages,
 * each a heap block of its own, so that a walk that indexes past a table
 * is caught; filled from the input as the (little-endian) guest sees it,
 * repeated to fill them (a short input then puts its entries at every
 * index a walk may pick); and the check that a walk changed it only by
 * setting flags a CPU sets (SDM vol. 3, 4.8), in entries of its width.
 */
#pragma once
#include "fuzz.h"

#define FUZZ_GUEST_PAGES 4

static uint8_t *guest_ram[FUZZ_GUEST_PAGES];
static uint8_t guest_ram_before[FUZZ_GUEST_PAGES][4096];

static void guest_ram_fill(const uint8_t *data, size_t n)
{
    uint8_t *bytes = (uint8_t *)guest_ram_before;
    size_t all = sizeof(guest_ram_before);
    memset(bytes, 0, all);
    for (size_t off = 0; n && off < all; off += n)
        memcpy(bytes + off, data, n < all - off ? n : all - off);
    for (unsigned p = 0; p < FUZZ_GUEST_PAGES; p++) {
        guest_ram[p] = malloc(4096);
        memcpy(guest_ram[p], guest_ram_before[p], 4096);
    }
}

static void guest_ram_free(void)
{
    for (unsigned p = 0; p < FUZZ_GUEST_PAGES; p++)
        free(guest_ram[p]);
}

/* gpt_mem's callback: the page-aligned table at gpa, or NULL outside RAM. */
static uint32_t *guest_ram_table(void *ctx, uint64_t gpa)
{
    (void)ctx;
    FUZZ_CHECK((gpa & 0xFFF) == 0, "a table at 0x%llx, not page-aligned", (unsigned long long)gpa);
    return gpa < FUZZ_GUEST_PAGES * 4096ull ? (uint32_t *)(void *)guest_ram[gpa / 4096] : NULL;
}

/* Guest memory is as it was, but for bits of `allowed` (0: none) set in
 * the low byte of entries of entry_size bytes, in at most max_entries. */
static void guest_ram_check(unsigned entry_size, uint8_t allowed, unsigned max_entries)
{
    unsigned changed = 0;
    for (unsigned p = 0; p < FUZZ_GUEST_PAGES; p++) {
        if (memcmp(guest_ram[p], guest_ram_before[p], 4096) == 0)
            continue;
        for (unsigned i = 0; i < 4096; i += entry_size) {
            if (memcmp(guest_ram[p] + i, guest_ram_before[p] + i, entry_size) == 0)
                continue;
            uint8_t diff = guest_ram[p][i] ^ guest_ram_before[p][i];
            FUZZ_CHECK(memcmp(guest_ram[p] + i + 1, guest_ram_before[p] + i + 1, entry_size - 1) == 0 &&
                       (diff & ~allowed) == 0 && (guest_ram[p][i] & diff) == diff,
                       "the entry at byte %u of page %u changed beyond flags 0x%x", i, p, allowed);
            changed++;
        }
    }
    FUZZ_CHECK(changed <= max_entries, "%u entries changed by one walk", changed);
}
