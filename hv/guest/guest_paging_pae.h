/*
 * guest_paging_pae.h: the guest's PAE and 4-level page tables, walked in
 * software (a pure module: any mode, and the host unit tests in
 * tests/unit/test_guest_paging_pae.c). guest_paging.h walks 32-bit paging;
 * these are the two modes with 8-byte entries (SDM vol. 3, 4.4 "PAE Paging",
 * 4.5 "4-Level Paging and 5-Level Paging"):
 * - PAE (CR0.PG, CR4.PAE, IA32_EFER.LMA=0): bits 31:30 of a 32-bit linear
 *   address pick one of four PDPTEs, which the CPU loaded when CR3 was
 *   loaded (4.4.1), not at each walk; bits 29:21 a PDE (PS: a 2 MiB page),
 *   bits 20:12 a PTE (a 4 KiB page);
 * - 4-level (LMA=1): bits 47:39 pick a PML4E, 38:30 a PDPTE (PS: a 1 GiB
 *   page), then a PDE and a PTE as above; bits 63:47 must be equal
 *   (canonical: x86/canonical.h).
 * The walk checks what the CPU checks (reserved bits, 4.7 and tables 4-8
 * to 4-20; access rights with XD, SMEP and SMAP, 4.6), builds the error
 * code of the #PF it would raise (4.7), and sets the accessed and dirty
 * flags it would set (4.8), unless asked to observe only.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/guest_paging.h"

#define GPTE_XD (1ull << 63)    /* execute-disable, with IA32_EFER.NXE (4.6) */

/* The error code's bits beyond guest_paging.h's P, W/R and U/S (4.7). */
#define PFEC_RSVD 0x8u          /* a reserved bit set in a paging-structure entry */
#define PFEC_I    0x10u         /* an instruction fetch (with NXE or SMEP: see 4.7) */

/* The paging controls that change a walk, beyond GPT_WP and GPT_PGE (with
 * 8-byte entries PS always maps a large page: CR4.PSE plays no part). */
#define GPT_NXE     0x10u       /* IA32_EFER.NXE: XD means no fetch; else bit 63 is reserved */
#define GPT_SMEP    0x20u       /* CR4.SMEP: no supervisor fetch from a user page */
#define GPT_SMAP    0x40u       /* CR4.SMAP: no supervisor data access to a user page ... */
#define GPT_AC      0x80u       /* ... unless RFLAGS.AC (an explicit access, 4.6.1) */
#define GPT_1G      0x100u      /* the CPU has 1 GiB pages (CPUID.80000001H:EDX[26]) */
#define GPT_OBSERVE 0x200u      /* an observer's walk: set no accessed or dirty flag */

enum gpt_levels { GPT_PAE = 3, GPT_4LEVEL = 4 };

/* The paging state a walk reads. */
struct gpt_pae_regs {
    enum gpt_levels levels;
    uint64_t cr3;
    const uint64_t *pdptes;     /* PAE: the four PDPTEs the CPU holds (under EPT the
                                 * VMCS's guest PDPTE fields), or NULL: read at CR3 */
    uint32_t ctl;               /* GPT_WP, GPT_PGE and the GPT_* above */
    unsigned maxphyaddr;        /* CPUID.80000008H:EAX[7:0] */
};

struct gpt_pae_walk {
    enum gpt_result result;     /* GPT_OK, GPT_FAULT, GPT_BAD_TABLE, GPT_NONCANONICAL */
    uint64_t gpa;               /* GPT_OK: the byte's guest-physical address */
    uint64_t page_size;         /* GPT_OK: 4 KiB, 2 MiB or 1 GiB */
    bool writable, user, executable, dirty, global;   /* GPT_OK: the translation's rights */
    uint32_t error_code;        /* GPT_FAULT: PFEC_* */
    uint64_t bad_gpa;           /* GPT_BAD_TABLE: the table outside guest RAM */
    unsigned used;              /* entries read, top level first, in entry[] */
    uint64_t entry[4];          /* as they now are (with the flags this walk set) */
};

/* Translate linear address va for an access (PFEC_W, PFEC_U, PFEC_I, as in
 * a #PF's error code) with the paging state r. A translation that succeeds
 * sets the accessed flag in every entry it used (PAE's PDPTEs have none)
 * and a write the leaf's dirty flag (4.8), unless r->ctl has GPT_OBSERVE;
 * one that fails changes nothing. The tables are read through m, whose
 * callback gives 4 KiB pages of 512 8-byte entries. */
void gpt_walk_pae(struct gpt_pae_walk *w, const struct gpt_mem *m, const struct gpt_pae_regs *r,
                  uint64_t va, uint32_t access);
