/*
 * memory.h: the hypervisor's memory (64-bit, ring 0): the view of physical
 * memory, the page allocator instance and the kernel heap, all set up from
 * the Multiboot memory map.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "boot/boot_info.h"
#include "mem/pmm.h"

/* boot.S identity-maps physical [0, 4 GiB): virtual address = physical. */
#define IDENTITY_MAP_END (4ULL << 30)

/* The hypervisor's physical page allocator (pages below 4 GiB). */
extern struct pmm hv_pmm;

/* A pointer to physical [pa, pa + len), or NULL if that is not mapped
 * (page 0 is deliberately unmapped, see boot.S). */
const void *phys_ptr(uint64_t pa, uint64_t len);

/* Build hv_pmm from the memory map, keeping the first MiB, the hypervisor
 * image and everything the loader handed over; then start the heap. */
void memory_init(const struct boot_info *bi);

/* One zeroed page; panics when none is left. No page goes back to the
 * allocator: the VMCS, the EPT and guest RAM last as long as the hypervisor,
 * and shadow.c keeps its own list of free tables. */
uint64_t alloc_page(void);

/* The heap (heap.c on pages from hv_pmm). Today heap_self_check is its one
 * user: it proves the allocator on the machine before anything relies on it. */

/* 16-byte aligned; panics when memory runs out. */
void *kmalloc(size_t size);
/* Panics if ptr is not a live kmalloc block. kfree(NULL) does nothing. */
void kfree(void *ptr);

/* Exercise kmalloc/kfree and print "hv: heap self-check ok: ..."; panics on
 * any inconsistency. */
void heap_self_check(void);
