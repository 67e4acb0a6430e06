/*
 * ept.h: extended page tables, the guest-physical to host-physical map
 * (64-bit, VMX root operation; SDM vol. 3, 29.3 "The Extended Page Table
 * Mechanism (EPT)").
 */
#pragma once
#include <stdbool.h>
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
    bool accessed_flags;  /* EPTP bit 6: the CPU keeps accessed flags (guest/overcommit.c) */
};

void ept_init(struct ept *e);

/* Map the 4 KiB guest-physical page gpa to host-physical hpa, write-back
 * cacheable, with the given EPT_* permissions. */
void ept_map_page(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t perms);

/* The EPT pointer for the VMCS (SDM 25.6.11 "Extended-Page-Table Pointer"). */
uint64_t ept_pointer(const struct ept *e);

/* EPT accessed and dirty flags (SDM 29.3.5): with EPTP bit 6 set, the CPU
 * sets bit 8 of every entry a walk uses, and bit 9 of a leaf written
 * through; IA32_VMX_EPT_VPID_CAP bit 21 says whether it can (SDM A.10). */
#define EPT_ACCESSED         (1ull << 8)
#define EPTP_ACCESSED_DIRTY  (1ull << 6)
#define EPT_VPID_CAP_AD      (1ull << 21)

/* The leaf entry that maps guest-physical gpa, or NULL when no table
 * holds it (nothing is made). */
uint64_t *ept_leaf_entry(const struct ept *e, uint64_t gpa);
