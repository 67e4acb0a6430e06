/*
 * pv_tlb.h: the PV vCPU's TLB and base pointer (64-bit, VMX root; the
 * vCPU's VMCS current). With VPID its translations survive VM entries and
 * exits (SDM 28.3.3.3), so the hypervisor flushes what a call took away
 * (lib/pv_abi.h section 5, "TLBs"; guest/vmcs_setup_direct.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"

/* After a direct-paging call: if it removed or weakened a mapping
 * (guest.dp.flush), every translation of the VM's VPID, globals too
 * (INVVPID single-context), and the flag cleared. */
void pv_tlb_after_update(struct vcpu *v);

/* The whole TLB of the vCPU; keep_globals: as a MOV to CR3 does (SDM
 * 4.10.4.1), else globals too. */
void pv_tlb_flush(struct vcpu *v, bool keep_globals);

/* MMUEXT_NEW_BASEPTR, and the MOV to CR3 done as one: mfn becomes the base
 * pointer (validated as an L2, dp_set_base), the real CR3, with the TLB
 * flushed as the MOV would (globals kept; all of it if the old base's
 * release weakened a mapping). 0 or a -PV_E* code, nothing changed then. */
int pv_new_baseptr(struct vcpu *v, uint32_t mfn);

/* `hv: tlb:` the flushes the calls owed (a mapping removed or weakened, a
 * table released), at the VM's end. Bochs empties its whole TLB at every
 * VM exit (its TLB has no VPID tag), so no guest there can see a stale
 * translation that a missing flush left: this count is what shows it. */
void pv_tlb_print_stats(const struct vcpu *v, const char *tag);
