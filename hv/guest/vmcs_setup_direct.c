/*
 * vmcs_setup_direct.c: the VMCS of a PV guest under direct paging (64-bit,
 * VMX root). See vmcs_setup_direct.h and pv-design.md.
 *
 * The guest's own page tables are the ones the CPU walks: there is no EPT
 * under them, and so no unrestricted guest either (SDM 27.2.1.1: it needs
 * EPT): PE and PG stay 1 in the real CR0 (27.3.1.1), paging is always on.
 * What contains the guest is then that its tables are validated (direct
 * paging, guest/direct_paging.h) and that it can load no CR3 the
 * hypervisor did not check: CR3-load exiting on, with a CR3-target count
 * of 0, so that every MOV to CR3 exits (SDM 25.6.7 "CR3-Target Controls",
 * 26.1.3), and is done as MMUEXT_NEW_BASEPTR (pv/pv_cr.c). A MOV from CR3
 * need not exit: the real CR3 is the guest's own table, a machine address
 * it knows.
 *
 * The CR0 and CR4 bits paging depends on are the hypervisor's, through the
 * guest/host masks (SDM 25.6.6 "Guest/Host Masks and Read Shadows for CR0
 * and CR4"): a MOV that would change one from its read-shadow value exits
 * (26.1.3) and is #GP(0). CR0.WP stays 1, so that the guest's kernel at
 * ring 0 cannot write through the read-only mappings of its page tables
 * (SDM 4.6.1); PE, PG, CD and NW stay as they are. CR4.PSE stays 1 (4 MiB
 * pages, the ABI's), PAE, PCIDE, SMEP, SMAP, PKE, LA57 and the VMX and
 * SMX bits 0: the tables stay 32-bit ones, the format direct_paging.c
 * validates. The guest toggles PGE, TSD, DE, OSFXSR, OSXMMEXCPT and MCE
 * itself, without an exit.
 *
 * TLBs: with VPID the guest's translations are tagged with its VPID and
 * survive VM entries and exits (SDM 28.3.3.3, 29.4.3); the hypervisor
 * flushes them with INVVPID when it changes CR3 or weakens a mapping
 * (pv/pv_tlb.c). It turns VPID on only where INVVPID's single-context
 * type exists to do so (SDM A.10); without VPID every VM entry and exit
 * flushes (29.4.3.1).
 */
#include "guest/vmcs_setup_direct.h"
#include "guest/guest.h"
#include "pv_abi.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

/* The CR4 bits the guest may change without the hypervisor (pv-design.md). */
#define CR4_GUEST_TOGGLES (CR4_PGE | CR4_TSD | CR4_DE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_MCE)

static bool vpid_on;

bool direct_paging_vpid(void)
{
    return vpid_on;
}

uint64_t direct_paging_cr0_owned(const struct vmx_caps *caps)
{
    return (caps->cr0_fixed0 | ~caps->cr0_fixed1 | CR0_PE | CR0_PG | CR0_WP | CR0_CD | CR0_NW) &
           0xFFFFFFFF;
}

/* Every bit but the guest's toggles, and those too where this CPU fixes
 * them (a bit IA32_VMX_CR4_FIXED1 says 0 is one the CPU lacks). */
uint64_t direct_paging_cr4_owned(const struct vmx_caps *caps)
{
    return (~(uint64_t)CR4_GUEST_TOGGLES | caps->cr4_fixed0 | ~caps->cr4_fixed1) & 0xFFFFFFFF;
}

static void setup_controls(const struct vmx_caps *caps)
{
    bool can_flush = (caps->ept_vpid & VPID_CAP_INVVPID) && (caps->ept_vpid & VPID_CAP_SINGLE_CONTEXT);
    uint32_t want2 = can_flush && vmx_ctl_supported(caps->procbased2, PROC2_ENABLE_VPID)
                     ? PROC2_ENABLE_VPID : 0;
    if (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_ACTIVATE_SECONDARY) {
        uint32_t proc2 = vmx_ctl_adjust(caps->procbased2, want2);
        vmcs_write(VMCS_PROC_BASED_CONTROLS2, proc2);
        vpid_on = proc2 & PROC2_ENABLE_VPID;
    }
    vmcs_write(VMCS_PROC_BASED_CONTROLS, vmcs_read(VMCS_PROC_BASED_CONTROLS) |
               vmx_ctl_adjust(caps->procbased, PROC_CR3_LOAD_EXITING));
    vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
}

void vmcs_setup_direct_paging(struct vcpu *v, const struct vmx_caps *caps, uint32_t cr3,
                              uint32_t entry, uint32_t esi)
{
    setup_controls(caps);
    /* The start of day (lib/pv_abi.h section 3): CR0 = PE | ET | NE | WP |
     * PG, CR4 = PSE; the read shadows say the same, and the real registers
     * add what VMX operation fixes (CR4.VMXE). */
    uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    vmcs_write(VMCS_CR0_GUEST_HOST_MASK, direct_paging_cr0_owned(caps));
    vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_write(VMCS_GUEST_CR0, (cr0 | caps->cr0_fixed0) & caps->cr0_fixed1);
    vmcs_write(VMCS_CR4_GUEST_HOST_MASK, direct_paging_cr4_owned(caps));
    vmcs_write(VMCS_CR4_READ_SHADOW, CR4_PSE);
    vmcs_write(VMCS_GUEST_CR4, (CR4_PSE | caps->cr4_fixed0) & caps->cr4_fixed1);
    vmcs_write(VMCS_GUEST_CR3, cr3);

    /* The segments, GDTR and IDTR stay vmcs_setup's Multiboot ones: flat
     * 32-bit ring 0 in the hidden parts of the VMCS, GDTR and IDTR empty
     * until the kernel loads its own (section 3). */
    vmcs_write(VMCS_GUEST_RIP, entry);
    vmcs_write(VMCS_GUEST_RSP, 0);
    vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
    v->regs = (struct guest_regs){ .rax = PV_START_MAGIC, .rsi = esi };
}
