/*
 * guest_paging.h: the guest's own page tables, walked in software (a pure
 * module: any mode, and the host unit tests in tests/unit/test_guest_paging.c).
 *
 * The guest uses 32-bit paging (SDM vol. 3, 4.3 "32-Bit Paging"): CR3 holds
 * the guest-physical address of a page directory of 1024 4-byte entries;
 * bits 31:22 of a linear address pick a directory entry (PDE), which points
 * at a page table (or, with CR4.PSE and PDE.PS, maps a 4 MiB page); bits
 * 21:12 pick the page-table entry (PTE), which maps a 4 KiB page; bits 11:0
 * are the offset in the page. Under shadow paging the CPU never walks these
 * tables: the hypervisor does, here, exactly as the CPU would, including the
 * accessed and dirty flags the CPU would have set (SDM 4.8 "Accessed and
 * Dirty Flags") and the error code of the page fault it would have raised
 * (SDM 4.7 "Page-Fault Exceptions").
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Paging-structure entry bits (SDM 4.3, tables 4-5 and 4-6). */
#define GPTE_P   0x001u     /* present */
#define GPTE_W   0x002u     /* writable (R/W) */
#define GPTE_U   0x004u     /* user-accessible (U/S) */
#define GPTE_PWT 0x008u
#define GPTE_PCD 0x010u
#define GPTE_A   0x020u     /* accessed: set by the CPU on use */
#define GPTE_D   0x040u     /* dirty: set by the CPU on a write (PTE, 4 MiB PDE) */
#define GPTE_PS  0x080u     /* PDE: maps a 4 MiB page (with CR4.PSE) */
#define GPTE_G   0x100u     /* global: survives CR3 loads (with CR4.PGE) */
#define GPTE_ADDR(e) ((e) & 0xFFFFF000u)

/* Page-fault error code bits (SDM 4.7, figure 4-12). */
#define PFEC_P 0x1u         /* 0: not present; 1: protection violation */
#define PFEC_W 0x2u         /* the access was a write */
#define PFEC_U 0x4u         /* the access was in user mode (CPL 3) */

/* The guest's paging controls that change a walk. */
#define GPT_WP  0x1u        /* CR0.WP: supervisor writes honour R/W */
#define GPT_PSE 0x2u        /* CR4.PSE: PDE.PS maps 4 MiB pages */
#define GPT_PGE 0x4u        /* CR4.PGE: the G bit means global */

/* How the walker reads guest memory: a pointer to the 4 KiB table at
 * guest-physical gpa, or NULL if it is not guest RAM. */
struct gpt_mem {
    uint32_t *(*table)(void *ctx, uint64_t gpa);
    void *ctx;
};

enum gpt_result {
    GPT_OK,             /* translated: gpa and the permissions are valid */
    GPT_FAULT,          /* the guest's own tables say #PF: error_code */
    GPT_BAD_TABLE,      /* CR3 or a PDE points outside guest RAM: bad_gpa */
    GPT_NONCANONICAL,   /* 4-level paging only (guest_paging_pae.h): #GP, or #SS through SS */
};

struct gpt_walk {
    enum gpt_result result;
    uint64_t gpa;           /* GPT_OK: guest-physical address of the byte */
    bool writable;          /* GPT_OK: R/W set at both levels */
    bool user;              /* GPT_OK: U/S set at both levels */
    bool dirty;             /* GPT_OK: the leaf's D flag (after this walk) */
    bool global;            /* GPT_OK: G in the leaf, with CR4.PGE */
    uint32_t pte;           /* the leaf entry as it now is (PTE or 4 MiB PDE) */
    uint32_t error_code;    /* GPT_FAULT: PFEC_* */
    uint64_t bad_gpa;       /* GPT_BAD_TABLE: the table's guest-physical address */
};

/* Translate linear address va for an access (PFEC_W and/or PFEC_U, as in a
 * page fault's error code) through the tables at guest CR3 `cr3`, with the
 * GPT_* controls `ctl`. A translation that succeeds sets the accessed flag
 * in the entries it used, and the dirty flag of the leaf for a write (SDM
 * 4.8); one that faults changes nothing. */
void gpt_walk(struct gpt_walk *w, const struct gpt_mem *m, uint32_t cr3, uint32_t va,
              uint32_t access, uint32_t ctl);
