/*
 * vmcs_fields.h: the VMCS field encodings (SDM vol. 3, Appendix B "Field
 * Encoding in VMCS"), as one X-macro list so that each field has its
 * encoding and its printable name in one place (the VMCS dump, the VM-entry
 * checker and the gdb helpers all use the names).
 *
 * An encoding's bits say what a field is (SDM 25.11.2 "VMREAD, VMWRITE, and
 * Encodings of VMCS Fields"): bits 14:13 its width (0: 16-bit, 1: 64-bit,
 * 2: 32-bit, 3: natural width), bits 11:10 its type (0: control, 1: VM-exit
 * information (read-only), 2: guest state, 3: host state).
 */
#pragma once

#define VMCS_FIELD_LIST(X) \
    /* 16-bit control fields */ \
    X(VPID,                          0x0000) \
    /* 16-bit guest-state fields */ \
    X(GUEST_ES_SELECTOR,             0x0800) \
    X(GUEST_CS_SELECTOR,             0x0802) \
    X(GUEST_SS_SELECTOR,             0x0804) \
    X(GUEST_DS_SELECTOR,             0x0806) \
    X(GUEST_FS_SELECTOR,             0x0808) \
    X(GUEST_GS_SELECTOR,             0x080A) \
    X(GUEST_LDTR_SELECTOR,           0x080C) \
    X(GUEST_TR_SELECTOR,             0x080E) \
    /* 16-bit host-state fields */ \
    X(HOST_ES_SELECTOR,              0x0C00) \
    X(HOST_CS_SELECTOR,              0x0C02) \
    X(HOST_SS_SELECTOR,              0x0C04) \
    X(HOST_DS_SELECTOR,              0x0C06) \
    X(HOST_FS_SELECTOR,              0x0C08) \
    X(HOST_GS_SELECTOR,              0x0C0A) \
    X(HOST_TR_SELECTOR,              0x0C0C) \
    /* 64-bit control fields */ \
    X(IO_BITMAP_A,                   0x2000) \
    X(IO_BITMAP_B,                   0x2002) \
    X(MSR_BITMAP,                    0x2004) \
    X(VM_EXIT_MSR_STORE_ADDR,        0x2006) \
    X(VM_EXIT_MSR_LOAD_ADDR,         0x2008) \
    X(VM_ENTRY_MSR_LOAD_ADDR,        0x200A) \
    X(TSC_OFFSET,                    0x2010) \
    X(VIRTUAL_APIC_ADDR,             0x2012) \
    X(APIC_ACCESS_ADDR,              0x2014) \
    X(EPT_POINTER,                   0x201A) \
    /* 64-bit read-only data fields */ \
    X(GUEST_PHYSICAL_ADDRESS,        0x2400) \
    /* 64-bit guest-state fields */ \
    X(VMCS_LINK_POINTER,             0x2800) \
    X(GUEST_IA32_DEBUGCTL,           0x2802) \
    X(GUEST_IA32_PAT,                0x2804) \
    X(GUEST_IA32_EFER,               0x2806) \
    X(GUEST_PDPTE0,                  0x280A) \
    X(GUEST_PDPTE1,                  0x280C) \
    X(GUEST_PDPTE2,                  0x280E) \
    X(GUEST_PDPTE3,                  0x2810) \
    /* 64-bit host-state fields */ \
    X(HOST_IA32_PAT,                 0x2C00) \
    X(HOST_IA32_EFER,                0x2C02) \
    /* 32-bit control fields */ \
    X(PIN_BASED_CONTROLS,            0x4000) \
    X(PROC_BASED_CONTROLS,           0x4002) \
    X(EXCEPTION_BITMAP,              0x4004) \
    X(PAGE_FAULT_ERROR_CODE_MASK,    0x4006) \
    X(PAGE_FAULT_ERROR_CODE_MATCH,   0x4008) \
    X(CR3_TARGET_COUNT,              0x400A) \
    X(VM_EXIT_CONTROLS,              0x400C) \
    X(VM_EXIT_MSR_STORE_COUNT,       0x400E) \
    X(VM_EXIT_MSR_LOAD_COUNT,        0x4010) \
    X(VM_ENTRY_CONTROLS,             0x4012) \
    X(VM_ENTRY_MSR_LOAD_COUNT,       0x4014) \
    X(VM_ENTRY_INTERRUPTION_INFO,    0x4016) \
    X(VM_ENTRY_EXCEPTION_ERROR_CODE, 0x4018) \
    X(VM_ENTRY_INSTRUCTION_LENGTH,   0x401A) \
    X(TPR_THRESHOLD,                 0x401C) \
    X(PROC_BASED_CONTROLS2,          0x401E) \
    /* 32-bit read-only data fields */ \
    X(VM_INSTRUCTION_ERROR,          0x4400) \
    X(EXIT_REASON,                   0x4402) \
    X(EXIT_INTERRUPTION_INFO,        0x4404) \
    X(EXIT_INTERRUPTION_ERROR_CODE,  0x4406) \
    X(IDT_VECTORING_INFO,            0x4408) \
    X(IDT_VECTORING_ERROR_CODE,      0x440A) \
    X(EXIT_INSTRUCTION_LENGTH,       0x440C) \
    X(EXIT_INSTRUCTION_INFO,         0x440E) \
    /* 32-bit guest-state fields */ \
    X(GUEST_ES_LIMIT,                0x4800) \
    X(GUEST_CS_LIMIT,                0x4802) \
    X(GUEST_SS_LIMIT,                0x4804) \
    X(GUEST_DS_LIMIT,                0x4806) \
    X(GUEST_FS_LIMIT,                0x4808) \
    X(GUEST_GS_LIMIT,                0x480A) \
    X(GUEST_LDTR_LIMIT,              0x480C) \
    X(GUEST_TR_LIMIT,                0x480E) \
    X(GUEST_GDTR_LIMIT,              0x4810) \
    X(GUEST_IDTR_LIMIT,              0x4812) \
    X(GUEST_ES_ACCESS_RIGHTS,        0x4814) \
    X(GUEST_CS_ACCESS_RIGHTS,        0x4816) \
    X(GUEST_SS_ACCESS_RIGHTS,        0x4818) \
    X(GUEST_DS_ACCESS_RIGHTS,        0x481A) \
    X(GUEST_FS_ACCESS_RIGHTS,        0x481C) \
    X(GUEST_GS_ACCESS_RIGHTS,        0x481E) \
    X(GUEST_LDTR_ACCESS_RIGHTS,      0x4820) \
    X(GUEST_TR_ACCESS_RIGHTS,        0x4822) \
    X(GUEST_INTERRUPTIBILITY,        0x4824) \
    X(GUEST_ACTIVITY_STATE,          0x4826) \
    X(GUEST_SMBASE,                  0x4828) \
    X(GUEST_IA32_SYSENTER_CS,        0x482A) \
    X(VMX_PREEMPTION_TIMER_VALUE,    0x482E) \
    /* 32-bit host-state field */ \
    X(HOST_IA32_SYSENTER_CS,         0x4C00) \
    /* natural-width control fields */ \
    X(CR0_GUEST_HOST_MASK,           0x6000) \
    X(CR4_GUEST_HOST_MASK,           0x6002) \
    X(CR0_READ_SHADOW,               0x6004) \
    X(CR4_READ_SHADOW,               0x6006) \
    X(CR3_TARGET_VALUE0,             0x6008) \
    X(CR3_TARGET_VALUE1,             0x600A) \
    X(CR3_TARGET_VALUE2,             0x600C) \
    X(CR3_TARGET_VALUE3,             0x600E) \
    /* natural-width read-only data fields */ \
    X(EXIT_QUALIFICATION,            0x6400) \
    X(GUEST_LINEAR_ADDRESS,          0x640A) \
    /* natural-width guest-state fields */ \
    X(GUEST_CR0,                     0x6800) \
    X(GUEST_CR3,                     0x6802) \
    X(GUEST_CR4,                     0x6804) \
    X(GUEST_ES_BASE,                 0x6806) \
    X(GUEST_CS_BASE,                 0x6808) \
    X(GUEST_SS_BASE,                 0x680A) \
    X(GUEST_DS_BASE,                 0x680C) \
    X(GUEST_FS_BASE,                 0x680E) \
    X(GUEST_GS_BASE,                 0x6810) \
    X(GUEST_LDTR_BASE,               0x6812) \
    X(GUEST_TR_BASE,                 0x6814) \
    X(GUEST_GDTR_BASE,               0x6816) \
    X(GUEST_IDTR_BASE,               0x6818) \
    X(GUEST_DR7,                     0x681A) \
    X(GUEST_RSP,                     0x681C) \
    X(GUEST_RIP,                     0x681E) \
    X(GUEST_RFLAGS,                  0x6820) \
    X(GUEST_PENDING_DEBUG_EXCEPTIONS, 0x6822) \
    X(GUEST_IA32_SYSENTER_ESP,       0x6824) \
    X(GUEST_IA32_SYSENTER_EIP,       0x6826) \
    /* natural-width host-state fields */ \
    X(HOST_CR0,                      0x6C00) \
    X(HOST_CR3,                      0x6C02) \
    X(HOST_CR4,                      0x6C04) \
    X(HOST_FS_BASE,                  0x6C06) \
    X(HOST_GS_BASE,                  0x6C08) \
    X(HOST_TR_BASE,                  0x6C0A) \
    X(HOST_GDTR_BASE,                0x6C0C) \
    X(HOST_IDTR_BASE,                0x6C0E) \
    X(HOST_IA32_SYSENTER_ESP,        0x6C10) \
    X(HOST_IA32_SYSENTER_EIP,        0x6C12) \
    X(HOST_RSP,                      0x6C14) \
    X(HOST_RIP,                      0x6C16)

enum vmcs_field {
#define VMCS_FIELD_ENUM(name, encoding) VMCS_##name = encoding,
    VMCS_FIELD_LIST(VMCS_FIELD_ENUM)
#undef VMCS_FIELD_ENUM
};

/* The field's name ("GUEST_CR0"), or NULL for an encoding not in the list. */
const char *vmcs_field_name(unsigned encoding);
