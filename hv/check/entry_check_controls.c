/*
 * entry_check_controls.c: the VM-entry checker, SDM 27.2.1 "Checks on VMX Controls".
 * Pure; see entry_check.c for how a rule is written and reported.
 */
#include "check/entry_check_rules.h"

/* ---- 27.2.1 Checks on VMX Controls ---- */

/* The virtual-APIC controls: a TPR shadow page, an APIC-access page, and the
 * controls that make sense only with them. */
static void check_apic_controls(struct checker *c)
{
    if (c->proc & PROC_USE_TPR_SHADOW) {
        expect_page_address(c, VMCS_VIRTUAL_APIC_ADDR);
        uint64_t threshold = rd(c, VMCS_TPR_THRESHOLD);
        expect(c, (c->proc2 & PROC2_VIRTUAL_INTR_DELIVERY) || (threshold >> 4) == 0, VMCS_TPR_THRESHOLD,
               "Without virtual-interrupt delivery, TPR-threshold bits 31:4 must be 0");
    } else {
        expectf(c, !(c->proc2 & (PROC2_VIRTUALIZE_X2APIC | PROC2_APIC_REGISTER_VIRT |
                                 PROC2_VIRTUAL_INTR_DELIVERY)), VMCS_PROC_BASED_CONTROLS2,
                "Without 'use TPR shadow', 'virtualize x2APIC mode', 'APIC-register virtualization' and 'virtual-interrupt delivery' must be 0",
                "primary controls 0x%08x", c->proc);
    }
    if (c->proc2 & PROC2_VIRTUALIZE_APIC)
        expect_page_address(c, VMCS_APIC_ACCESS_ADDR);
    expect(c, !((c->proc2 & PROC2_VIRTUALIZE_X2APIC) && (c->proc2 & PROC2_VIRTUALIZE_APIC)),
           VMCS_PROC_BASED_CONTROLS2,
           "'Virtualize x2APIC mode' and 'virtualize APIC accesses' cannot both be 1");
    expectf(c, !(c->proc2 & PROC2_VIRTUAL_INTR_DELIVERY) || (c->pin & PIN_EXTERNAL_INTERRUPT_EXITING),
            VMCS_PROC_BASED_CONTROLS2,
            "'Virtual-interrupt delivery' requires the 'external-interrupt exiting' pin-based control",
            "pin-based controls 0x%08x", c->pin);
}

/* The extended-page-table pointer (SDM 25.6.11, table 25-9). */
static void check_eptp(struct checker *c)
{
    uint64_t eptp = rd(c, VMCS_EPT_POINTER), cap = c->caps->ept_vpid;
    unsigned type = eptp & 7, walk = ((eptp >> 3) & 7) + 1;
    expectf(c, (type == 0 && (cap & EPT_CAP_UC)) || (type == 6 && (cap & EPT_CAP_WB)), VMCS_EPT_POINTER,
            "The EPT memory type (EPTP bits 2:0) must be one the CPU supports: UC (0) or WB (6), as IA32_VMX_EPT_VPID_CAP bits 8 and 14 say",
            "type=%u EPT_VPID_CAP=0x%lx", type, cap);
    expectf(c, walk == 4 || (walk == 5 && (cap & EPT_CAP_WALK_5)), VMCS_EPT_POINTER,
            "The EPT page-walk length (EPTP bits 5:3, plus 1) must be 4",
            "page-walk length=%u", walk);
    expect(c, !(eptp & EPTP_ACCESSED_DIRTY) || (cap & EPT_CAP_ACCESSED_DIRTY), VMCS_EPT_POINTER,
           "EPTP bit 6 (accessed and dirty flags) may be 1 only if IA32_VMX_EPT_VPID_CAP bit 21 is 1");
    expectf(c, (eptp & 0xf00) == 0 && fits_physical(c, eptp), VMCS_EPT_POINTER,
            "EPTP bits 11:8 and the bits beyond the physical-address width are reserved and must be 0",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
}

/* 27.2.1.1 */
void check_vm_execution_controls(struct checker *c)
{
    c->section = &SEC_EXECUTION_CONTROLS;
    expect_allowed_controls(c, VMCS_PIN_BASED_CONTROLS, c->pin, c->caps->pinbased);
    expect_allowed_controls(c, VMCS_PROC_BASED_CONTROLS, c->proc, c->caps->procbased);
    if (c->proc & PROC_ACTIVATE_SECONDARY)
        expect_allowed_controls(c, VMCS_PROC_BASED_CONTROLS2, c->proc2, c->caps->procbased2);

    unsigned targets = MISC_CR3_TARGETS(c->caps->misc);
    expectf(c, rd(c, VMCS_CR3_TARGET_COUNT) <= targets, VMCS_CR3_TARGET_COUNT,
            "The CR3-target count must not exceed what the CPU supports (IA32_VMX_MISC bits 24:16)",
            "supported=%u", targets);
    if (c->proc & PROC_USE_IO_BITMAPS) {
        expect_page_address(c, VMCS_IO_BITMAP_A);
        expect_page_address(c, VMCS_IO_BITMAP_B);
    }
    if (c->proc & PROC_USE_MSR_BITMAPS)
        expect_page_address(c, VMCS_MSR_BITMAP);
    check_apic_controls(c);

    expect(c, !(c->pin & PIN_VIRTUAL_NMIS) || (c->pin & PIN_NMI_EXITING), VMCS_PIN_BASED_CONTROLS,
           "'Virtual NMIs' (bit 5) requires 'NMI exiting' (bit 3)");
    expectf(c, !(c->proc & PROC_NMI_WINDOW_EXITING) || (c->pin & PIN_VIRTUAL_NMIS), VMCS_PROC_BASED_CONTROLS,
            "'NMI-window exiting' (bit 22) requires the 'virtual NMIs' pin-based control",
            "pin-based controls 0x%08x", c->pin);
    if (c->proc2 & PROC2_ENABLE_VPID)
        expectf(c, rd(c, VMCS_VPID) != 0, VMCS_VPID,   /* VPID's encoding is 0: name it in the detail */
                "With 'enable VPID', the VPID must not be 0 (VPID 0 is the host's)", "VPID=0");
    if (c->proc2 & PROC2_ENABLE_EPT)
        check_eptp(c);
    expect(c, !(c->proc2 & PROC2_UNRESTRICTED_GUEST) || (c->proc2 & PROC2_ENABLE_EPT),
           VMCS_PROC_BASED_CONTROLS2, "'Unrestricted guest' (bit 7) requires 'enable EPT' (bit 1)");
}

/* 27.2.1.2 */
void check_vm_exit_controls(struct checker *c)
{
    c->section = &SEC_EXIT_CONTROLS;
    expect_allowed_controls(c, VMCS_VM_EXIT_CONTROLS, c->exit, c->caps->exit);
    expectf(c, !(c->exit & EXIT_SAVE_PREEMPTION_TIMER) || (c->pin & PIN_PREEMPTION_TIMER),
            VMCS_VM_EXIT_CONTROLS,
            "'Save VMX-preemption timer value' (bit 22) requires the 'activate VMX-preemption timer' pin-based control",
            "pin-based controls 0x%08x", c->pin);
    expect_msr_area(c, VMCS_VM_EXIT_MSR_STORE_COUNT, VMCS_VM_EXIT_MSR_STORE_ADDR);
    expect_msr_area(c, VMCS_VM_EXIT_MSR_LOAD_COUNT, VMCS_VM_EXIT_MSR_LOAD_ADDR);
}

/* Event injection: the VM-entry interruption-information field and the two
 * fields it uses (SDM 27.2.1.3, table 25-17). */
static void check_event_injection(struct checker *c)
{
    uint32_t info = c->injection;
    struct event_info e = event_info_decode(info);
    if (!e.valid)
        return;
    unsigned type = e.type, vector = e.vector;
    bool mtf_supported = vmx_ctl_supported(c->caps->procbased, PROC_MONITOR_TRAP_FLAG);

    expectf(c, type != EVENT_RESERVED && (type != EVENT_OTHER || mtf_supported),
            VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "The interruption type (bits 10:8) must not be 1 (reserved), nor 7 unless the CPU supports the monitor trap flag",
            "type=%u", type);
    expectf(c, type != EVENT_NMI || vector == 2, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected NMI (type 2) must have vector 2", "vector=%u", vector);
    expectf(c, type != EVENT_HARDWARE_EXCEPTION || vector <= 31, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected hardware exception (type 3) must have a vector of at most 31", "vector=%u", vector);
    expectf(c, type != EVENT_OTHER || vector == 0, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected 'other event' (type 7, a pending MTF VM exit) must have vector 0", "vector=%u", vector);

    /* The rule inject.c follows too (cpu_rules.c). */
    bool protected_mode = !c->unrestricted || (c->guest_cr0 & CR0_PE);
    enum error_code_rule rule = injection_error_code_rule(c->caps->basic, protected_mode, type, vector);
    bool delivers_code = e.has_error_code;
    expectf(c, rule == ERROR_CODE_EITHER || delivers_code == (rule == ERROR_CODE_MUST_BE_1),
            VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "Deliver-error-code (bit 11) must be 0 unless a hardware exception is injected in protected mode; there, unless IA32_VMX_BASIC bit 56 is 1, it must be 1 exactly for #DF, #TS, #NP, #SS, #GP, #PF and #AC",
            "type=%u vector=%u deliver-error-code=%u CR0.PE=%u IA32_VMX_BASIC[56]=%u", type, vector,
            delivers_code, (unsigned)(c->guest_cr0 & CR0_PE),
            (unsigned)((c->caps->basic & VMX_BASIC_ANY_ERROR_CODE) != 0));
    expectf(c, (info & INFO_RESERVED) == 0, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "Interruption-information bits 30:12 are reserved and must be 0",
            "reserved bits set: 0x%08x", info & INFO_RESERVED);
    if (delivers_code)
        expect(c, (rd(c, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE) >> 16) == 0, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE,
               "The error code to deliver must have bits 31:16 clear");
    if (type == EVENT_SOFTWARE_INTERRUPT || type == EVENT_PRIVILEGED_SOFTWARE_EXCEPTION ||
        type == EVENT_SOFTWARE_EXCEPTION) {
        uint64_t length = rd(c, VMCS_VM_ENTRY_INSTRUCTION_LENGTH);
        bool zero_ok = c->caps->misc & MISC_ZERO_LENGTH_INJECTION;
        expectf(c, length <= 15 && (length > 0 || zero_ok), VMCS_VM_ENTRY_INSTRUCTION_LENGTH,
                "A software interrupt or exception (types 4-6) needs an instruction length of 1 to 15 (0 only if IA32_VMX_MISC bit 30 is 1)",
                "type=%u", type);
    }
}

/* 27.2.1.3 */
void check_vm_entry_controls(struct checker *c)
{
    c->section = &SEC_ENTRY_CONTROLS;
    expect_allowed_controls(c, VMCS_VM_ENTRY_CONTROLS, c->entry, c->caps->entry);
    expect(c, !(c->entry & (ENTRY_SMM | ENTRY_DEACTIVATE_DUAL_MONITOR)), VMCS_VM_ENTRY_CONTROLS,
           "Outside SMM, 'entry to SMM' (bit 10) and 'deactivate dual-monitor treatment' (bit 11) must be 0");
    expect_msr_area(c, VMCS_VM_ENTRY_MSR_LOAD_COUNT, VMCS_VM_ENTRY_MSR_LOAD_ADDR);
    check_event_injection(c);
}
