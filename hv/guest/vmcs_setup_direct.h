/*
 * vmcs_setup_direct.h: the VMCS of a guest under direct paging (cpu=pv,
 * mem=direct, lab 5; 64-bit, VMX root, the vCPU's VMCS current): what
 * changes from vmcs_setup's Multiboot entry, and the PV start of day
 * (lib/pv_abi.h section 3).
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* The guest bits of CR0 and CR4 the hypervisor owns under direct paging
 * (the guest/host masks): a MOV that would change one is #GP(0). */
uint64_t direct_paging_cr0_owned(const struct vmx_caps *caps);
uint64_t direct_paging_cr4_owned(const struct vmx_caps *caps);

/* The controls (no EPT, no unrestricted guest, VPID where INVVPID can
 * flush it, CR3 loads exiting), the CR masks, and the guest entering
 * `entry` with paging on at machine address cr3, EAX = PV_START_MAGIC and
 * ESI = esi. */
void vmcs_setup_direct_paging(struct vcpu *v, const struct vmx_caps *caps, uint32_t cr3,
                              uint32_t entry, uint32_t esi);

/* Whether this vCPU's TLB entries are tagged with its VPID (then VM entries
 * and exits keep them, and the hypervisor must flush them: SDM 28.3.3.3). */
bool direct_paging_vpid(void);
