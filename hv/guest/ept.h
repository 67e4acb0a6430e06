/*
 * ept.h: extended page tables, the guest-physical to host-physical map
 * (64-bit, VMX root operation; SDM vol. 3, 29.3 "The Extended Page Table
 * Mechanism (EPT)").
 */
#pragma once
#include <stdint.h>

/* EPT entry permissions (SDM 29.3.2, tables 29-1..29-6). */
#define EPT_READ    (1ull << 0)
#define EPT_WRITE   (1ull << 1)
#define EPT_EXECUTE (1ull << 2)
#define EPT_RWX     (EPT_READ | EPT_WRITE | EPT_EXECUTE)
#define EPT_MEMTYPE_SHIFT 3            /* a leaf's memory type: bits 5:3 (SDM 29.3.7) */
#define EPT_MEMTYPE_WB  (6ull << EPT_MEMTYPE_SHIFT)   /* write-back */
#define EPT_ADDR_MASK   0x000FFFFFFFFFF000ull          /* the next table's or the page's address */

struct ept {
    uint64_t pml4_pa;     /* the top table; the EPTP points at it */
    uint64_t pages;       /* tables allocated, for the statistics */
};

void ept_init(struct ept *e);

/* Map the 4 KiB guest-physical page gpa to host-physical hpa, write-back
 * cacheable, with the given EPT_* permissions. */
void ept_map_page(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t perms);

/* The EPT pointer for the VMCS (SDM 25.6.11 "Extended-Page-Table Pointer"). */
uint64_t ept_pointer(const struct ept *e);
