/*
 * memory.c: the hypervisor's memory (64-bit, ring 0, one CPU, so no locks).
 *
 * pmm.c and heap.c are pure algorithms on state they are given; this file
 * is where they meet the machine: the bitmaps live here, the memory map
 * comes from the Multiboot information, and running out or freeing twice is
 * a panic rather than an error code.
 */
#include "mem/memory.h"
#include "mem/heap.h"
#include "cpu/panic.h"
#include "printf.h"
#include "string.h"
#include "x86/x86.h"

#define MEMORY_MAX_PAGES (IDENTITY_MAP_END / PAGE_SIZE)   /* all of 0..4 GiB */
#define LOW_MEMORY_END   0x100000ULL      /* real-mode memory, BIOS, VGA */
#define HEAP_GROW_MIN    (64 * 1024)

/* The image's bounds, from hv/linker.ld. */
extern char __image_start[], __image_end[];

struct pmm hv_pmm;
static uint64_t ram_bitmap[PMM_BITMAP_WORDS(MEMORY_MAX_PAGES)];
static uint64_t free_bitmap[PMM_BITMAP_WORDS(MEMORY_MAX_PAGES)];
static struct heap hv_heap;

const void *phys_ptr(uint64_t pa, uint64_t len)
{
    if (pa < PAGE_SIZE || pa >= IDENTITY_MAP_END || len > IDENTITY_MAP_END - pa)
        return NULL;
    return (const void *)(uintptr_t)pa;
}

static void init_page_allocator(const struct boot_info *bi)
{
    pmm_init(&hv_pmm, ram_bitmap, free_bitmap, MEMORY_MAX_PAGES);
    for (unsigned i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == MMAP_USABLE)
            pmm_add_usable(&hv_pmm, bi->mmap[i].start, bi->mmap[i].end);
    /* Usable first, then reservations: pmm_reserve always wins. */
    pmm_reserve(&hv_pmm, 0, LOW_MEMORY_END);
    pmm_reserve(&hv_pmm, (uintptr_t)__image_start, (uintptr_t)__image_end);
    for (unsigned i = 0; i < bi->used_count; i++)
        pmm_reserve(&hv_pmm, bi->used[i].start, bi->used[i].end);
}

/* Add at least `bytes` to the heap, in whole contiguous pages. */
static void grow_heap(size_t bytes)
{
    if (bytes < HEAP_GROW_MIN)
        bytes = HEAP_GROW_MIN;
    uint64_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t pa = pmm_alloc_contiguous(&hv_pmm, pages, PAGE_SIZE);
    if (!pa)
        panic("out of memory: no %lu contiguous free pages to grow the heap",
              pages);
    heap_add_region(&hv_heap, (void *)(uintptr_t)pa, pages * PAGE_SIZE);
}

void memory_init(const struct boot_info *bi)
{
    init_page_allocator(bi);
    heap_init(&hv_heap);
    grow_heap(HEAP_GROW_MIN);
}

uint64_t alloc_page(void)
{
    uint64_t pa = pmm_alloc_page(&hv_pmm);
    if (!pa)
        panic("out of memory: no free physical page left");
    memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
    return pa;
}

void *kmalloc(size_t size)
{
    void *p = heap_alloc(&hv_heap, size);
    if (!p) {
        grow_heap(heap_region_needed(size));
        p = heap_alloc(&hv_heap, size);
    }
    if (!p)
        panic("kmalloc(%zu): the heap cannot satisfy the request", size);
    return p;
}

void kfree(void *ptr)
{
    if (ptr && !heap_free(&hv_heap, ptr))
        panic("kfree(%p): not a live kmalloc block (freed twice, or never allocated)", ptr);
}

/* Fill a block with a pattern derived from its index, then check it: blocks
 * that overlapped would have overwritten each other's pattern. */
static void fill_block(uint8_t *p, size_t size, unsigned i) { memset(p, (int)(i * 7 + 1), size); }

static void check_block(const uint8_t *p, size_t size, unsigned i)
{
    for (size_t k = 0; k < size; k++)
        if (p[k] != (uint8_t)(i * 7 + 1))
            panic("heap self-check: block %u at %p was overwritten at byte %zu", i, p, k);
}

enum { SELF_CHECK_BLOCKS = 48 };

void heap_self_check(void)
{
    /* A large block first, so the heap grows; the state after freeing it is
     * the baseline everything must return to. */
    kfree(kmalloc(3 * HEAP_GROW_MIN / 2));
    size_t baseline_bytes = hv_heap.free_bytes;
    unsigned baseline_blocks = heap_free_block_count(&hv_heap);

    uint8_t *blocks[SELF_CHECK_BLOCKS];
    size_t sizes[SELF_CHECK_BLOCKS];
    for (unsigned i = 0; i < SELF_CHECK_BLOCKS; i++) {
        sizes[i] = 1 + (i * 397) % 3000;
        blocks[i] = kmalloc(sizes[i]);
        if ((uintptr_t)blocks[i] % HEAP_ALIGN)
            panic("heap self-check: kmalloc(%zu) returned %p, not %d-byte aligned",
                  sizes[i], blocks[i], HEAP_ALIGN);
        fill_block(blocks[i], sizes[i], i);
    }
    /* Free in an order that leaves holes, so coalescing has work to do. */
    for (unsigned pass = 0; pass < 2; pass++)
        for (unsigned i = pass; i < SELF_CHECK_BLOCKS; i += 2) {
            check_block(blocks[i], sizes[i], i);
            kfree(blocks[i]);
        }
    if (hv_heap.free_bytes != baseline_bytes || heap_free_block_count(&hv_heap) != baseline_blocks)
        panic("heap self-check: after freeing everything, %zu bytes in %u free blocks, "
              "expected %zu bytes in %u", hv_heap.free_bytes, heap_free_block_count(&hv_heap),
              baseline_bytes, baseline_blocks);
    printf("hv: heap self-check ok: %d blocks allocated, %d-byte aligned, freed and coalesced; "
           "%zu KiB in %u regions\n", SELF_CHECK_BLOCKS, HEAP_ALIGN, hv_heap.total_bytes / 1024,
           hv_heap.regions);
}
