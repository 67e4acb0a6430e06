/*
 * pmm.h: the physical page allocator: which 4 KiB pages of RAM are free.
 *
 * A pure module (any mode, also the host unit tests): the state is a struct
 * the caller owns, and two bitmaps the caller provides, one bit per page
 * from physical address 0:
 *   ram:  the page is RAM the allocator manages (usable, not reserved);
 *   free: the page is free right now (only ever set where ram is).
 * memory.c sets up the hypervisor's instance from the Multiboot memory map.
 *
 * Physical address 0 is never RAM here (the first MiB is always reserved),
 * so allocation functions return 0 for "no memory".
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PMM_PAGE_SIZE 4096ULL

struct pmm {
    uint64_t *ram;          /* bitmap: page is managed RAM */
    uint64_t *free;         /* bitmap: page is free */
    uint64_t npages;        /* pages the bitmaps cover */
    uint64_t usable_pages;  /* pages the memory map called usable */
    uint64_t free_pages;
    uint64_t next;          /* where the next search starts */
};

/* Number of uint64_t words one bitmap needs for npages pages. */
#define PMM_BITMAP_WORDS(npages) (((npages) + 63) / 64)

/* Start with no RAM at all. ram and free each hold PMM_BITMAP_WORDS(npages). */
void pmm_init(struct pmm *p, uint64_t *ram, uint64_t *free, uint64_t npages);

/* Hand the allocator the pages that lie wholly inside [start, end). Call it
 * for every usable region first, then pmm_reserve for what is in use. */
void pmm_add_usable(struct pmm *p, uint64_t start, uint64_t end);

/* Take every page that overlaps [start, end) away for good. */
void pmm_reserve(struct pmm *p, uint64_t start, uint64_t end);

/* One free page, or 0 if none is left. */
uint64_t pmm_alloc_page(struct pmm *p);

/* n contiguous free pages whose first address is a multiple of align (a
 * power of two, at least one page), or 0. */
uint64_t pmm_alloc_contiguous(struct pmm *p, uint64_t n, uint64_t align);

/* Give back a page. False (and nothing changes) if addr is not a page this
 * allocator handed out: unaligned, not managed RAM, or already free. */
bool pmm_free_page(struct pmm *p, uint64_t addr);

/* Is the page at addr managed RAM that is free now? */
bool pmm_is_free(const struct pmm *p, uint64_t addr);

static inline uint64_t pmm_free_count(const struct pmm *p) { return p->free_pages; }
static inline uint64_t pmm_usable_count(const struct pmm *p) { return p->usable_pages; }
