/*
 * heap.h: a small first-fit heap over memory regions the caller hands it.
 *
 * A pure module (any mode, also the host unit tests): it never asks for
 * memory itself. memory.c builds kmalloc/kfree on it, growing the heap with
 * pages from the physical page allocator.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN 16   /* every block and every pointer returned */

struct heap_block;

struct heap {
    struct heap_block *free_list;   /* free blocks, sorted by address */
    size_t free_bytes;              /* sum of free block sizes (with headers) */
    size_t total_bytes;             /* sum of region sizes */
    unsigned regions;
};

void heap_init(struct heap *h);

/* Add [start, start + size) to the heap (trimmed to HEAP_ALIGN). False if
 * nothing usable is left after trimming. */
bool heap_add_region(struct heap *h, void *start, size_t size);

/* A HEAP_ALIGN-aligned block of at least size bytes, or NULL if no free
 * block is large enough: the caller may then add a region and retry. */
void *heap_alloc(struct heap *h, size_t size);

/* Free a block heap_alloc returned. False (and nothing changes) if ptr is
 * not a live block: never allocated, or already freed. */
bool heap_free(struct heap *h, void *ptr);

/* The region size heap_alloc needs to satisfy a request of size bytes from
 * an empty region: what a caller that grows the heap must add at least. */
size_t heap_region_needed(size_t size);

/* The number of free blocks: after freeing everything it is back to what it
 * was, unless coalescing failed. */
unsigned heap_free_block_count(const struct heap *h);
