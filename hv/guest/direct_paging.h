/*
 * direct_paging.h: Xen's direct paging, the PV MMU of cpu=pv (lab 5): the
 * guest's own page tables are the ones the CPU walks (no EPT, no shadow),
 * so the hypervisor validates every entry before it takes effect. The rules
 * are lib/pv_abi.h's section 5; this module enforces them.
 *
 * Pure: it works on the frame table and the frames the caller hands it (a
 * frame's bytes through m->frame_ptr), touches no hardware and never panics,
 * so that the host unit tests and the fuzzer run it as it is. The caller
 * (hv/pv/) reads the guest's requests, calls these, flushes the vCPU's TLB
 * when vm->flush says so, and loads CR3.
 *
 * Every call returns 0 or a negative PV_E* code (lib/pv_abi.h), and a call
 * that fails has changed nothing (no count, no byte of a frame, not even
 * vm->flush). The codes: -PV_EINVAL for a request that breaks a rule (a
 * frame out of range or not the VM's, an entry the rules refuse, a frame of
 * the wrong type); -PV_EBUSY for a frame that cannot change hands (claimed
 * already, or still referenced when it would leave); -PV_EEXIST for a pin
 * or keep made twice.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dp_type { DP_NONE, DP_WRITABLE, DP_L1, DP_L2 };

#define DP_OWNER_NONE 0       /* the hypervisor's, or free: never a guest's to map */

/* One machine frame (Xen's struct page_info). No count can overflow: at
 * most 1024 entries in each of at most 2^20 frames refer to one frame. */
struct dp_frame {
    uint8_t owner;            /* DP_OWNER_NONE, or a VM's owner id */
    uint8_t type;             /* enum dp_type: what type_count counts */
    uint16_t flags;           /* DP_PINNED, DP_KEEP */
    uint32_t type_count;      /* writable mappings (and the keep), or references as a table;
                                 0 exactly when type is DP_NONE */
    uint32_t refs;            /* every reference: mappings of any kind, table uses, pins, keeps,
                                 bases (each type reference is a reference too) */
};
#define DP_PINNED 1u          /* pinned as its table type (one of its type references) */
#define DP_KEEP   2u          /* the builder's pages (start info, shared info, console, P2M,
                                 hypercall page): held by the hypervisor, never leave the VM;
                                 the keep is a writable type reference (Xen's
                                 share_xen_page_with_guest), so that a page the hypervisor
                                 writes never becomes a page table */

/* The machine: a frame table over machine frames 0 .. nframes-1. */
struct dp_machine {
    struct dp_frame *frames;
    uint32_t nframes;
    void *(*frame_ptr)(void *ctx, uint32_t mfn);   /* the frame's 4096 bytes */
    void *ctx;
};

/* One VM's side of it. */
#define DP_HV_SLOTS 16        /* page-directory slots 1008..1023: PV_HYPERVISOR_VIRT and up */
#define DP_FIRST_HV_SLOT (1024 - DP_HV_SLOTS)

/* A 4 MiB page's entry (PDE.PS, SDM vol. 3, 4.3, table 4-4): bits 31:22 are
 * the page's address, bit 12 PAT; bits 20:13 would be address bits 39:32
 * (PSE-36) and bit 21 is reserved. Refused, so that no entry reaches memory
 * above 4 GiB, which no frame table covers. */
#define DP_PDE_4M_RESERVED 0x003FE000u
struct dp_vm {
    struct dp_machine *m;
    uint8_t owner;            /* its owner id (not DP_OWNER_NONE) */
    uint32_t hv_pde[DP_HV_SLOTS];   /* what every L2 it validates holds in slots 1008..1023;
                                       present ones with A set, or the CPU sets it in each L2
                                       it walks (SDM 4.8) */
    uint32_t hv_run, hv_run_frames; /* the hypervisor's frames the L1s of hv_pde map (the M2P:
                                       one run), which the VM's CPU reads (machine_frames_hv_ptr) */
    bool flush;               /* set when a call removed or weakened a mapping: flush the TLB */
};

/* A frame joins the VM (the builder, populate_physmap) or leaves it
 * (decrease_reservation). Joining needs a free frame (DP_OWNER_NONE, no
 * reference: else -PV_EBUSY); leaving needs no reference left (-PV_EBUSY),
 * and only the VM's own frames leave it (-PV_EINVAL). */
int dp_claim(struct dp_vm *vm, uint32_t mfn);
int dp_release(struct dp_vm *vm, uint32_t mfn);

/* DP_KEEP on and off (a reference of the hypervisor's, and a writable type
 * reference: a page table cannot be kept, -PV_EINVAL; twice, -PV_EEXIST). */
int dp_keep(struct dp_vm *vm, uint32_t mfn);
int dp_unkeep(struct dp_vm *vm, uint32_t mfn);

/* One mmu_update request (PV_MMU_NORMAL_PT_UPDATE): the entry at machine
 * address ptr (4-byte aligned, in a frame of the VM's that is an L1 or L2
 * in use) becomes val, validated. PV_MMU_MACHPHYS_UPDATE is the caller's
 * (the M2P is not this module's). */
int dp_mmu_update(struct dp_vm *vm, uint32_t ptr, uint32_t val);

/* MMUEXT_PIN_L1_TABLE / PIN_L2_TABLE (level DP_L1 or DP_L2: validated if it
 * was no table) and UNPIN (the table is released with its last reference).
 * A pin twice is -PV_EEXIST; another level, or unpinning what is not
 * pinned, -PV_EINVAL. */
int dp_pin(struct dp_vm *vm, uint32_t mfn, enum dp_type level);
int dp_unpin(struct dp_vm *vm, uint32_t mfn);

/* MMUEXT_NEW_BASEPTR: *base (the current CR3's frame, or PV_INVALID_MFN
 * before the first) becomes new_mfn, which takes an L2 reference (validated
 * if it was no L2); the old base's reference is dropped. */
int dp_set_base(struct dp_vm *vm, uint32_t *base, uint32_t new_mfn);

/* update_va_mapping: the L1 entry mapping va under the directory base (an
 * L2 of the VM's in use, whose entry for va names an L1), as dp_mmu_update. */
int dp_update_va(struct dp_vm *vm, uint32_t base, uint32_t va, uint32_t pte);

/* Grant mappings (lib/pv_abi.h section 10): an L1 entry of vm's that maps
 * a frame of another VM's (owner), marked PV_GNTTAB_PTE. The guest's own
 * calls never make, change or clear one (get_l1e refuses the mark,
 * update_entry an entry that has it): only these do.
 * dp_grant_map: the not-present L1 entry mapping va under the directory
 * base becomes pte | PV_GNTTAB_PTE, its references taken as owner would
 * take them for pte (owner's frame; writable, no table); *entry_ma its
 * machine address. -PV_EINVAL (no L1 maps va, or owner refuses pte), or
 * -PV_EEXIST (the entry is present).
 * dp_grant_unmap: the entry at entry_ma is cleared if it is still the
 * grant's pte (an L1 of vm's in use; A and D aside), its references
 * dropped, vm->flush set; -PV_ENOENT if it is not (the table was released,
 * and the references with it). */
int dp_grant_map(struct dp_vm *vm, uint32_t base, uint32_t va, struct dp_vm *owner, uint32_t pte,
                 uint32_t *entry_ma);
int dp_grant_unmap(struct dp_vm *vm, uint32_t entry_ma, uint32_t pte);

/* The invariants, recomputed from the tables themselves: every count is
 * what the entries, pins, keeps and bases (bases[0..nbases-1], every VM's;
 * PV_INVALID_MFN ones skipped) add up to, no frame is a table and mapped
 * writable, every present entry of a table in use maps a frame of the
 * table's owner (the hypervisor's slots, a frame of nobody's). false with
 * the first broken one in why. tally is the caller's scratch, m->nframes of
 * them. For the unit tests, the fuzzer and the hypervisor's self-check. */
struct dp_tally {
    uint32_t refs, writable, as_l1, as_l2;
};
bool dp_check(const struct dp_machine *m, const uint32_t *bases, size_t nbases,
              struct dp_tally *tally, char *why, size_t whylen);
