/*
 * pmm.c: the physical page allocator (a pure module: any mode, and the host
 * unit tests in tests/unit/test_pmm.c). See pmm.h.
 *
 * A bitmap rather than a free list: it needs no memory of its own inside the
 * pages it manages, answers "is this page free?" at once (so a double free
 * is caught), and finds runs of contiguous pages, which the later labs need
 * for EPT and VMCS regions.
 */
#include "mem/pmm.h"

static bool test_bit(const uint64_t *map, uint64_t i) { return map[i / 64] >> (i % 64) & 1; }
static void set_bit(uint64_t *map, uint64_t i) { map[i / 64] |= 1ULL << (i % 64); }
static void clear_bit(uint64_t *map, uint64_t i) { map[i / 64] &= ~(1ULL << (i % 64)); }

void pmm_init(struct pmm *p, uint64_t *ram, uint64_t *free, uint64_t npages)
{
    *p = (struct pmm){ .ram = ram, .free = free, .npages = npages };
    for (uint64_t w = 0; w < PMM_BITMAP_WORDS(npages); w++)
        ram[w] = free[w] = 0;
}

/* Page numbers are clipped to the bitmap: memory beyond it is ignored. */
static uint64_t clip(const struct pmm *p, uint64_t page)
{
    return page < p->npages ? page : p->npages;
}

void pmm_add_usable(struct pmm *p, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    /* Round inwards: a partial page is not usable. */
    uint64_t first = clip(p, (start + PMM_PAGE_SIZE - 1) / PMM_PAGE_SIZE);
    uint64_t last = clip(p, end / PMM_PAGE_SIZE);
    for (uint64_t i = first; i < last; i++) {
        if (test_bit(p->ram, i))
            continue;   /* overlapping map entries: count each page once */
        set_bit(p->ram, i);
        set_bit(p->free, i);
        p->usable_pages++;
        p->free_pages++;
    }
}

void pmm_reserve(struct pmm *p, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    /* Round outwards: a page partly in use is in use. */
    uint64_t first = clip(p, start / PMM_PAGE_SIZE);
    uint64_t last = clip(p, (end + PMM_PAGE_SIZE - 1) / PMM_PAGE_SIZE);
    for (uint64_t i = first; i < last; i++) {
        if (test_bit(p->free, i))
            p->free_pages--;
        clear_bit(p->ram, i);
        clear_bit(p->free, i);
    }
}

/* Index of the first free page at or after `from`, or npages. Bits past
 * npages are never set, so the first set bit found is a real page. */
static uint64_t find_free(const struct pmm *p, uint64_t from)
{
    uint64_t i = from;
    while (i < p->npages) {
        uint64_t word = p->free[i / 64] >> (i % 64);
        if (word)
            return i + (uint64_t)__builtin_ctzll(word);
        i = (i / 64 + 1) * 64;   /* nothing more in this word */
    }
    return p->npages;
}

static uint64_t take(struct pmm *p, uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++)
        clear_bit(p->free, i);
    p->free_pages -= n;
    p->next = first + n;
    return first * PMM_PAGE_SIZE;
}

uint64_t pmm_alloc_page(struct pmm *p)
{
    uint64_t i = find_free(p, p->next);
    if (i == p->npages)
        i = find_free(p, 0);   /* wrap around once */
    if (i == p->npages)
        return 0;
    return take(p, i, 1);
}

static bool run_is_free(const struct pmm *p, uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++)
        if (!test_bit(p->free, i))
            return false;
    return true;
}

uint64_t pmm_alloc_contiguous(struct pmm *p, uint64_t n, uint64_t align)
{
    if (n == 0 || align < PMM_PAGE_SIZE || (align & (align - 1)))
        return 0;
    uint64_t step = align / PMM_PAGE_SIZE;
    for (uint64_t first = 0; first + n <= p->npages; first += step)
        if (run_is_free(p, first, n))
            return take(p, first, n);
    return 0;
}

bool pmm_is_free(const struct pmm *p, uint64_t addr)
{
    uint64_t i = addr / PMM_PAGE_SIZE;
    return i < p->npages && test_bit(p->free, i);
}

bool pmm_free_page(struct pmm *p, uint64_t addr)
{
    uint64_t i = addr / PMM_PAGE_SIZE;
    if (addr % PMM_PAGE_SIZE || i >= p->npages || !test_bit(p->ram, i) || test_bit(p->free, i))
        return false;
    set_bit(p->free, i);
    p->free_pages++;
    return true;
}
