/*
 * ept.c: building the extended page tables (64-bit, VMX root operation).
 *
 * EPT has the shape of 4-level paging (SDM vol. 3, 29.3.2 "EPT Translation
 * Mechanism"): bits 47:39 of a guest-physical address index the PML4, 38:30
 * the PDPT, 29:21 the PD, 20:12 the PT. We map 4 KiB pages only, so that
 * later labs (ballooning) can take single pages back from a guest.
 */
#include "guest/ept.h"
#include "mem/memory.h"
#include "cpu/panic.h"

#define EPTP_MEMTYPE_WB   6ull          /* EPTP bits 2:0 (SDM 25.6.11) */
#define EPTP_WALK_LENGTH4 (3ull << 3)   /* bits 5:3: page-walk length minus one */

void ept_init(struct ept *e)
{
    e->pml4_pa = alloc_page();
    e->pages = 1;
    e->accessed_flags = false;
}

/* The table the entry at `table[index]` points to, made if missing. A
 * non-leaf entry grants every access: the leaf decides (SDM 29.3.3). */
static uint64_t *next_table(struct ept *e, uint64_t *table, unsigned index)
{
    if (!(table[index] & EPT_RWX)) {
        table[index] = alloc_page() | EPT_RWX;
        e->pages++;
    }
    return (uint64_t *)(table[index] & EPT_ADDR_MASK);
}

/* LAB 1 BEGIN: map one guest-physical page in the EPT */
void ept_map_page(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t perms)
{
    if ((gpa | hpa) & 0xFFF)
        panic("ept_map_page: unaligned gpa 0x%lx or hpa 0x%lx", gpa,
              hpa);
    uint64_t *pml4 = (uint64_t *)e->pml4_pa;
    uint64_t *pdpt = next_table(e, pml4, (gpa >> 39) & 511);
    uint64_t *pd = next_table(e, pdpt, (gpa >> 30) & 511);
    uint64_t *pt = next_table(e, pd, (gpa >> 21) & 511);
    pt[(gpa >> 12) & 511] = hpa | EPT_MEMTYPE_WB | perms;
}
/* LAB 1 END */

uint64_t ept_pointer(const struct ept *e)
{
    return e->pml4_pa | EPTP_WALK_LENGTH4 | EPTP_MEMTYPE_WB | (e->accessed_flags ? EPTP_ACCESSED_DIRTY : 0);
}

uint64_t *ept_leaf_entry(const struct ept *e, uint64_t gpa)
{
    uint64_t *table = (uint64_t *)e->pml4_pa;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t entry = table[(gpa >> shift) & 511];
        if (!(entry & EPT_RWX))
            return NULL;
        table = (uint64_t *)(entry & EPT_ADDR_MASK);
    }
    return &table[(gpa >> 12) & 511];
}
