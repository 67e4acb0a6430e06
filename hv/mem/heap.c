/*
 * heap.c: the first-fit heap (a pure module: any mode, and the host unit
 * tests in tests/unit/test_heap.c). See heap.h.
 *
 * Every block, free or in use, starts with a 16-byte header that holds its
 * size and a magic number saying which it is; the payload follows, so it is
 * 16-byte aligned like the block. A free block also holds, in its payload,
 * the link to the next free block. The free list is kept sorted by address,
 * so a freed block is merged with a free neighbour on either side in one
 * pass: without that, the heap would end up as many small free blocks that
 * together could satisfy a request none of them can alone.
 */
#include "mem/heap.h"

#define MAGIC_USED 0x48564845415055ULL   /* "HVHEAPU" */
#define MAGIC_FREE 0x48564845415046ULL   /* "HVHEAPF" */

struct heap_block {
    uint64_t size;     /* whole block, header included; a multiple of 16 */
    uint64_t magic;
    struct heap_block *next;   /* free blocks only: next free block */
};

#define HEADER_SIZE 16
#define MIN_BLOCK   32   /* a header and room for the free-list link */

_Static_assert(offsetof(struct heap_block, next) == HEADER_SIZE, "payload follows the header");

static uintptr_t align_up(uintptr_t v) { return (v + HEAP_ALIGN - 1) & ~(uintptr_t)(HEAP_ALIGN - 1); }
static char *block_end(struct heap_block *b) { return (char *)b + b->size; }

void heap_init(struct heap *h)
{
    *h = (struct heap){ 0 };
}

/* Link b into the sorted free list and merge it with its neighbours. */
static void insert_free(struct heap *h, struct heap_block *b)
{
    struct heap_block *prev = NULL, *next = h->free_list;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->magic = MAGIC_FREE;
    b->next = next;
    if (prev)
        prev->next = b;
    else
        h->free_list = b;
    h->free_bytes += b->size;

    if (next && block_end(b) == (char *)next) {
        b->size += next->size;
        b->next = next->next;
        next->magic = 0;   /* no longer a block header */
    }
    if (prev && block_end(prev) == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
        b->magic = 0;
    }
}

bool heap_add_region(struct heap *h, void *start, size_t size)
{
    uintptr_t first = align_up((uintptr_t)start);
    uintptr_t end = ((uintptr_t)start + size) & ~(uintptr_t)(HEAP_ALIGN - 1);
    if (end < first || end - first < MIN_BLOCK)
        return false;
    struct heap_block *b = (struct heap_block *)first;
    b->size = end - first;
    h->total_bytes += b->size;
    h->regions++;
    insert_free(h, b);
    return true;
}

/* The block size that serves a request: payload rounded up, plus header. */
static size_t block_size_for(size_t size)
{
    if (size > SIZE_MAX / 2)
        return 0;   /* absurd request: make it fail instead of wrapping */
    size_t need = align_up(size) + HEADER_SIZE;
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

size_t heap_region_needed(size_t size)
{
    return block_size_for(size) + HEAP_ALIGN;   /* room to align the start */
}

void *heap_alloc(struct heap *h, size_t size)
{
    size_t need = block_size_for(size);
    if (need == 0)
        return NULL;
    struct heap_block **link = &h->free_list;
    for (struct heap_block *b = *link; b; link = &b->next, b = b->next) {
        if (b->size < need)
            continue;
        if (b->size - need >= MIN_BLOCK) {
            /* Split: the tail stays free, in b's place in the list. */
            struct heap_block *rest = (struct heap_block *)((char *)b + need);
            rest->size = b->size - need;
            rest->magic = MAGIC_FREE;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;   /* too small to split: hand out all of it */
        }
        h->free_bytes -= b->size;
        b->magic = MAGIC_USED;
        return (char *)b + HEADER_SIZE;
    }
    return NULL;
}

bool heap_free(struct heap *h, void *ptr)
{
    if (!ptr || ((uintptr_t)ptr % HEAP_ALIGN))
        return false;
    struct heap_block *b = (struct heap_block *)((char *)ptr - HEADER_SIZE);
    if (b->magic != MAGIC_USED)
        return false;
    insert_free(h, b);
    return true;
}

unsigned heap_free_block_count(const struct heap *h)
{
    unsigned n = 0;
    for (const struct heap_block *b = h->free_list; b; b = b->next)
        n++;
    return n;
}
