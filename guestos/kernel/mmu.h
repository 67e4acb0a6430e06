/*
 * mmu.h: the x86 protected-mode structures the kernel programs (paging
 * entries, segment selectors) and the guest's memory layout.
 *
 * Virtual memory of every address space (see README.md for the diagram):
 *   0x00000000 - 0x003FFFFF  unmapped (catches NULL pointers)
 *   0x00400000 - ...         user program image, then its heap (sbrk)
 *   0xBFF00000 - 0xBFFFFFFF  user stack (grows down, at most USTACK_MAX)
 *   0xC0000000 - 0xFBBFFFFF  kernel: all physical memory, mapped 1:1 + KERNBASE
 *   0xFBC00000 - 0xFBFFFFFF  kernel: device registers (the local APIC's page)
 *   0xFC000000 - 0xFFFFFFFF  never used: the hypervisor's shadow GDT/IDT/TSS
 */
#pragma once
#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define PGSIZE      4096u
#define KERNBASE    0xC0000000u     /* virtual address of physical 0 */
#define KERNTOP     0xFC000000u     /* the top 64 MiB belong to the hypervisor */
#define KDEVBASE    0xFBC00000u     /* the kernel's last 4 MiB: device registers, not RAM */
#define PHYS_LIMIT  (KDEVBASE - KERNBASE)  /* physical memory we can map: 956 MiB */
#define LAPIC_VA    KDEVBASE        /* the local APIC's registers (timer=lapic, lapic.c) */
#define BOOT_MAPPED 0x01000000u     /* boot.S maps the first 16 MiB */
#define USER_BASE   0x00400000u     /* user programs are linked here */
#define USERTOP     KERNBASE
#define USTACK_MAX  0x00100000u     /* 1 MiB of stack, allocated on demand */
#define USTACK_LOW  (USERTOP - USTACK_MAX)
#define KSTACK_SIZE PGSIZE          /* one page of kernel stack per process */

#define P2V(pa)     ((void *)((uintptr_t)(pa) + KERNBASE))
#define V2P(va)     ((uint32_t)(uintptr_t)(va) - KERNBASE)
#define PGROUNDUP(a)   (((uint32_t)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((uint32_t)(a) & ~(PGSIZE - 1))

/* Page directory and page table entries (SDM vol. 3, 4.3). */
#define PTE_P    0x001u     /* present */
#define PTE_W    0x002u     /* writable */
#define PTE_U    0x004u     /* user-accessible */
#define PTE_PWT  0x008u     /* write-through */
#define PTE_PCD  0x010u     /* cache disabled: with PWT, uncached, for device registers (SDM vol. 3, 4.9) */
#define PTE_A    0x020u     /* accessed: set by the CPU (SDM vol. 3, 4.8) */
#define PTE_D    0x040u     /* dirty: set by the CPU on a write */
#define PTE_G    0x100u     /* global: survives CR3 loads in the TLB (SDM vol. 3, 4.10.2.4) */
#define CR4_PGE  0x080u     /* global pages enabled */
#define CPUID_EDX_PGE (1u << 13)
#define PTE_SWAPPED 0x400u  /* another: not present, in the swap area (swap.c); the slot in bits 31:12 */
#define PTE_COW  0x200u     /* one of the bits the CPU leaves to software: copy-on-write */
#define PDX(va)  (((uint32_t)(va) >> 22) & 0x3FF)
#define PTX(va)  (((uint32_t)(va) >> 12) & 0x3FF)
#define PTE_ADDR(e) ((e) & ~0xFFFu)
#define PDX_KERN  PDX(KERNBASE)     /* first kernel page-directory slot (768) */
#define PDX_TOP   PDX(KERNTOP)      /* first slot left to the hypervisor (1008) */

/* CR0 bits. */
#define CR0_PE 0x00000001u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u

/* Segment selectors (index << 3 | RPL), fixed by the GDT in seg.c. */
#define SEG_KCODE 0x08
#define SEG_KDATA 0x10
#define SEG_UCODE 0x1B
#define SEG_UDATA 0x23
#define SEG_TSS   0x28

#define EFLAGS_IF 0x00000200u
