/*
 * guest_linear.h: the guest's memory at its linear addresses, the one module
 * through which the hypervisor reaches it (64-bit, VMX root), in two ways:
 * - as an observer (guest_linear_walk, _read, _write, and the shadow's
 *   view): the debugger, the report of a stopped guest, the monitor's
 *   operand. The walk reads the guest's own page tables, 32-bit, PAE or
 *   4-level (SDM vol. 3, 4.3-4.5), as the CPU would, but changes nothing:
 *   no accessed or dirty flag;
 * - as the CPU itself (guest_linear_touch, last): the accesses
 *   cpu=deprivileged makes in software for the guest, which set those flags
 *   as the CPU would (SDM vol. 3, 4.8).
 * Guest-physical addresses are guest.h's guest_ptr, which refuses anything
 * outside guest RAM.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "guest/guest.h"
#include "guest/guest_paging.h"

struct linear_walk {
    uint64_t gpa;          /* the guest-physical address, if the walk succeeds */
    uint64_t page_size;    /* 4 KiB, 2 or 4 MiB, 1 GiB, if it succeeds */
    unsigned levels;       /* the mode's levels: 2 (32-bit), 3 (PAE), 4 (4-level); 0 paging off */
    unsigned used;         /* the entries it read, top level first: */
    uint64_t entry[4];     /* PDE, PTE; PDPTE, PDE, PTE; PML4E, PDPTE, PDE, PTE */
    const char *why;       /* why it failed */
};

/* Linear to guest-physical with the guest's CR0, CR3, CR4 and IA32_EFER
 * (and under EPT the PDPTEs the CPU holds for PAE paging): paging off
 * means the same address. False (and w->why) if the tables do not map it,
 * or lie outside guest RAM, or it is not canonical under 4-level paging. */
bool guest_linear_walk(const struct guest *g, uint64_t linear, struct linear_walk *w);

/* Copy len bytes from (to) the guest's linear address, with its current
 * control registers; returns how many bytes it could, up to the first
 * page that is not mapped. */
size_t guest_linear_read(const struct guest *g, uint64_t linear, void *buf, size_t len);
size_t guest_linear_write(const struct guest *g, uint64_t linear, const void *buf, size_t len);

/* Under mem=shadow the CPU does not walk the guest's tables but the shadow
 * (shadow.h), which may still hold a translation the guest has changed in
 * its own tables without INVLPG: a stale TLB entry, which the CPU may use
 * (SDM vol. 3, 4.10.4.4). An instruction that faulted was fetched through
 * it, so an emulator decodes the bytes the shadow maps, not what the
 * guest's tables map now. guest_shadow_gpa: the guest-physical address the
 * shadow maps linear to (false if it holds no entry, or maps one of the
 * hypervisor's pages); guest_shadow_read copies, up to the first page it
 * does not map. */
bool guest_shadow_gpa(const struct guest *g, uint32_t linear, uint64_t *gpa);
size_t guest_shadow_read(const struct guest *g, uint64_t linear, void *buf, size_t len);

/* Not an observer's access but the CPU's own, which cpu=deprivileged makes
 * in software when it delivers an event or emulates an instruction
 * (depriv_read, depriv_write): len bytes from (write: to) linear, through
 * the guest's tables as the shadow follows them (guest_paging.c's walk,
 * which sets the accessed and dirty flags as the CPU would); with the
 * guest's paging off, linear is guest-physical. False if its tables do not
 * map a byte of it, or it lies outside guest RAM. */
bool guest_linear_touch(struct guest *g, uint32_t linear, void *buf, unsigned len, bool write);
/* The same through another source of translations (walk, given ctx), for
 * each page touched; a walk that does not give GPT_OK refuses the access. */
typedef void guest_walker(void *ctx, uint32_t linear, uint32_t access, struct gpt_walk *w);
bool guest_linear_touch_by(struct guest *g, uint32_t linear, void *buf, unsigned len, bool write,
                           guest_walker *walk, void *ctx);

/* The walk behind it, for one address with paging on: the guest's tables
 * as the shadow follows them (its CR3 and controls), at the privilege and
 * for the access `access` says (PFEC_W, PFEC_U), setting the accessed and
 * dirty flags as the CPU's own walk would. */
void guest_cpu_walk(struct guest *g, uint32_t linear, uint32_t access, struct gpt_walk *w);

/* The CPU's walk in any paging mode, EPT's too, for the accesses the
 * hypervisor makes for a guest at any privilege (access: PFEC_W, PFEC_U),
 * string I/O's (exit/exit_io_string.c): the guest's tables at the CR3 it
 * sees, in the mode its CR0.PG, CR4.PAE and IA32_EFER.LMA select (SDM vol.
 * 3, 4.1.1), 32-bit (guest_paging.c), PAE or 4-level (guest_paging_pae.c,
 * with the PDPTEs the CPU loaded, the VMCS's under EPT). Paging on only:
 * the caller checks CR0.PG. With 8-byte entries w->pte is the leaf's low
 * half; a non-canonical linear address is GPT_NONCANONICAL. */
void guest_cpu_walk_now(struct guest *g, uint64_t linear, uint32_t access, struct gpt_walk *w);
