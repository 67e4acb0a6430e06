/*
 * kalloc.c: the physical page allocator, and a reference count per page.
 *
 * Free pages form a linked list threaded through their first word (xv6);
 * pages are reached through the kernel's direct map (P2V). The reference
 * count says how many page-table entries map a user page, so copy-on-write
 * fork can share a page and free it when the last mapping goes away.
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"

struct freepage { struct freepage *next; };

static struct freepage *free_list;
static uint32_t nfree;
static uint8_t refcount[PHYS_LIMIT / PGSIZE];

/* Give the pages of [lo, hi) (physical, page-aligned) to the allocator. */
void kfree_range(uint32_t lo, uint32_t hi)
{
    for (uint32_t pa = PGROUNDUP(lo); pa + PGSIZE <= hi; pa += PGSIZE) {
        refcount[pa / PGSIZE] = 1;
        kfree(P2V(pa));
    }
}

static struct freepage *take_free_page(void)
{
    uint32_t flags = irq_save();
    struct freepage *p = free_list;
    if (p) {
        free_list = p->next;
        nfree--;
    }
    irq_restore(flags);
    return p;
}

/* A zeroed page (kernel virtual address) with reference count 1, or NULL.
 * The tables the PV kernel keeps for reuse (plat.h) are free pages too:
 * given back when no other is left. */
void *kalloc(void)
{
    struct freepage *p = take_free_page();
    if (!p && give_back_page_tables())
        p = take_free_page();
    if (!p)
        return NULL;
    refcount[V2P(p) / PGSIZE] = 1;
    zero_page(p);
    return p;
}

/* Drop one reference to the page at va; free it when none is left. */
void kfree(void *va)
{
    uint32_t pa = V2P(va);
    if (pa % PGSIZE || pa >= PHYS_LIMIT || refcount[pa / PGSIZE] == 0)
        panic("kfree: bad page 0x%08x", pa);
    uint32_t flags = irq_save();
    if (--refcount[pa / PGSIZE] == 0) {
        struct freepage *p = va;
        p->next = free_list;
        free_list = p;
        nfree++;
    }
    irq_restore(flags);
}

void page_ref(uint32_t pa)
{
    uint32_t flags = irq_save();
    if (refcount[pa / PGSIZE] == 255)
        panic("page_ref: too many references to 0x%08x", pa);
    refcount[pa / PGSIZE]++;
    irq_restore(flags);
}

void page_unref(uint32_t pa) { kfree(P2V(pa)); }
int page_refcount(uint32_t pa) { return refcount[pa / PGSIZE]; }
uint32_t free_page_count(void) { return nfree + page_tables_kept(); }
