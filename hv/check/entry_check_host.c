/*
 * entry_check_host.c: the VM-entry checker, SDM 27.2.2-27.2.4: the host-state area.
 * Pure; see entry_check.c for how a rule is written and reported.
 */
#include "check/entry_check_rules.h"

/* ---- 27.2.2 - 27.2.4 Checks on Host-State Area ---- */

/* 27.2.2 */
void check_host_registers_and_msrs(struct checker *c)
{
    c->section = &SEC_HOST_REGISTERS;
    expect_fixed_bits(c, VMCS_HOST_CR0, c->caps->cr0_fixed0, c->caps->cr0_fixed1, 0);
    expect_fixed_bits(c, VMCS_HOST_CR4, c->caps->cr4_fixed0, c->caps->cr4_fixed1, 0);
    expectf(c, fits_physical(c, rd(c, VMCS_HOST_CR3)), VMCS_HOST_CR3,
            "Host CR3 bits beyond the physical-address width must be 0",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
    expect_canonical(c, VMCS_HOST_IA32_SYSENTER_ESP);
    expect_canonical(c, VMCS_HOST_IA32_SYSENTER_EIP);
    if (c->exit & EXIT_LOAD_IA32_PAT)
        expect_valid_pat(c, VMCS_HOST_IA32_PAT);
    if (c->exit & EXIT_LOAD_IA32_EFER) {
        uint64_t efer = rd(c, VMCS_HOST_IA32_EFER);
        bool wide = c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE;
        expect_efer_reserved_clear(c, VMCS_HOST_IA32_EFER);
        expectf(c, !!(efer & EFER_LMA) == wide && !!(efer & EFER_LME) == wide, VMCS_HOST_IA32_EFER,
                "With 'load IA32_EFER', host EFER.LMA and EFER.LME must each equal 'host address-space size'",
                "host address-space size=%u", wide);
    }
}

/* 27.2.3 */
void check_host_segment_registers(struct checker *c)
{
    static const unsigned selectors[] = {
        VMCS_HOST_ES_SELECTOR, VMCS_HOST_CS_SELECTOR, VMCS_HOST_SS_SELECTOR, VMCS_HOST_DS_SELECTOR,
        VMCS_HOST_FS_SELECTOR, VMCS_HOST_GS_SELECTOR, VMCS_HOST_TR_SELECTOR,
    };
    c->section = &SEC_HOST_SEGMENTS;
    for (unsigned i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
        uint64_t sel = rd(c, selectors[i]);
        expectf(c, (sel & 7) == 0, selectors[i], "A host selector must have RPL=0 and TI=0 (bits 2:0 clear)",
                "RPL=%u TI=%u", (unsigned)(sel & 3), (unsigned)(sel >> 2) & 1);
    }
    expect(c, rd(c, VMCS_HOST_CS_SELECTOR) != 0, VMCS_HOST_CS_SELECTOR, "The host CS selector must not be 0");
    expect(c, rd(c, VMCS_HOST_TR_SELECTOR) != 0, VMCS_HOST_TR_SELECTOR,
           "The host TR selector must not be 0: the host needs a TSS");
    if (!(c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE))
        expect(c, rd(c, VMCS_HOST_SS_SELECTOR) != 0, VMCS_HOST_SS_SELECTOR,
               "With 'host address-space size' 0, the host SS selector must not be 0");
    expect_canonical(c, VMCS_HOST_FS_BASE);
    expect_canonical(c, VMCS_HOST_GS_BASE);
    expect_canonical(c, VMCS_HOST_GDTR_BASE);
    expect_canonical(c, VMCS_HOST_IDTR_BASE);
    expect_canonical(c, VMCS_HOST_TR_BASE);
}

/* 27.2.4 */
void check_host_address_space_size(struct checker *c)
{
    bool wide = c->exit & EXIT_HOST_ADDRESS_SPACE_SIZE;
    c->section = &SEC_HOST_ADDRESS_SIZE;
    if (HOST_IN_IA32E_MODE) {
        expect(c, wide, VMCS_VM_EXIT_CONTROLS,
               "VM entry from 64-bit mode needs the 'host address-space size' exit control (bit 9) set");
    } else {
        expect(c, !c->ia32e_guest, VMCS_VM_ENTRY_CONTROLS,
               "Outside IA-32e mode, the 'IA-32e mode guest' entry control (bit 9) must be 0");
        expect(c, !wide, VMCS_VM_EXIT_CONTROLS,
               "Outside IA-32e mode, the 'host address-space size' exit control (bit 9) must be 0");
    }
    if (wide) {
        expect(c, rd(c, VMCS_HOST_CR4) & CR4_PAE, VMCS_HOST_CR4,
               "With 'host address-space size' 1, host CR4.PAE (bit 5) must be 1");
        expect_canonical(c, VMCS_HOST_RIP);
    } else {
        expect(c, !(rd(c, VMCS_HOST_CR4) & CR4_PCIDE), VMCS_HOST_CR4,
               "With 'host address-space size' 0, host CR4.PCIDE (bit 17) must be 0");
        expect(c, (rd(c, VMCS_HOST_RIP) >> 32) == 0, VMCS_HOST_RIP,
               "With 'host address-space size' 0, host RIP bits 63:32 must be 0");
    }
}
