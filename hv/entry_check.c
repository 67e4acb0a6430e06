/*
 * entry_check.c: the VM-entry checker (entry_check.h). Pure: it reads the
 * VMCS through the caller's function and never touches the hardware, so the
 * host unit tests run it unchanged.
 *
 * Reading order: entry_check() at the end calls one function per subsection
 * of SDM vol. 3C, chapter 27 "VM Entries", in the SDM's order. Each function
 * is a list of rules; each rule is one condition and one sentence saying
 * what must hold. When the condition is false, expect() reports the rule
 * with the offending field and its value. Unlike the CPU, the checker does
 * not stop at the first broken rule: it reports them all.
 *
 * What it cannot check, because it reads no memory: the MSR-load area's
 * contents, the TPR shadow in the virtual-APIC page, the revision identifier
 * of a linked VMCS, and the PDPTEs that VM entry loads from guest memory
 * when EPT is off.
 */
#include <stdarg.h>
#include <stdbool.h>
#include "entry_check.h"
#include "fmt.h"
#include "vmcs_fields.h"
#include "vmx.h"

/* hvlab's hypervisor executes VMLAUNCH in 64-bit mode, outside SMM. */
#define HOST_IN_IA32E_MODE true

/* Architectural bits the rules refer to (SDM vol. 3A, 2.5 and 2.3). */
#define CR0_PE      (1ull << 0)
#define CR0_NE      (1ull << 5)
#define CR0_WP      (1ull << 16)
#define CR0_NW      (1ull << 29)
#define CR0_CD      (1ull << 30)
#define CR0_PG      (1ull << 31)
#define CR4_PAE     (1ull << 5)
#define CR4_VMXE    (1ull << 13)
#define CR4_PCIDE   (1ull << 17)
#define CR4_CET     (1ull << 23)
#define EFER_LME    (1ull << 8)
#define EFER_LMA    (1ull << 10)
#define EFER_DEFINED 0xD01ull          /* SCE (0), LME (8), LMA (10), NXE (11) */
#define RFLAGS_FIXED1 (1ull << 1)
#define RFLAGS_TF   (1ull << 8)
#define RFLAGS_IF   (1ull << 9)
#define RFLAGS_VM   (1ull << 17)
#define RFLAGS_RESERVED 0xFFFFFFFFFFC08028ull   /* bits 63:22, 15, 5, 3 */
#define DEBUGCTL_BTF (1ull << 1)

/* VMX control bits that vmx.h does not name (SDM 25.6.2, table 25-7). */
#define PROC2_VIRTUALIZE_X2APIC      (1u << 4)
#define PROC2_APIC_REGISTER_VIRT     (1u << 8)
#define PROC2_VIRTUAL_INTR_DELIVERY  (1u << 9)

/* IA32_VMX_MISC (SDM A.6) and IA32_VMX_EPT_VPID_CAP (SDM A.10). */
#define MISC_CR3_TARGETS(misc)       (((misc) >> 16) & 0x1ff)
#define MISC_ZERO_LENGTH_INJECTION   (1ull << 30)
#define EPT_CAP_WALK_5               (1ull << 7)
#define EPT_CAP_UC                   (1ull << 8)
#define EPT_CAP_WB                   (1ull << 14)
#define EPT_CAP_ACCESSED_DIRTY       (1ull << 21)
#define EPTP_ACCESSED_DIRTY          (1ull << 6)

/* The VM-entry interruption-information field (SDM 25.8.3, table 25-17). */
#define INTR_INFO_VALID              (1u << 31)
#define INTR_INFO_DELIVER_CODE       (1u << 11)
#define INTR_INFO_RESERVED           0x7FFFF000u    /* bits 30:12 */
enum { EVENT_EXTERNAL = 0, EVENT_RESERVED = 1, EVENT_NMI = 2, EVENT_HW_EXCEPTION = 3,
       EVENT_SW_INTERRUPT = 4, EVENT_PRIV_SW_EXCEPTION = 5, EVENT_SW_EXCEPTION = 6,
       EVENT_OTHER = 7 };

/* Guest non-register state (SDM 25.4.2). */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };
#define BLOCKING_STI       (1u << 0)
#define BLOCKING_MOV_SS    (1u << 1)
#define BLOCKING_SMI       (1u << 2)
#define BLOCKING_NMI       (1u << 3)
#define PENDING_BS         (1ull << 14)
#define PENDING_DBG_RESERVED 0xFFFFFFFFFFFEAFF0ull  /* bits 63:17, 15, 13, 11:4 */

struct section {
    const char *number, *title;
};

static const struct section
    SEC_EXECUTION_CONTROLS = { "27.2.1.1", "VM-Execution Control Fields" },
    SEC_EXIT_CONTROLS      = { "27.2.1.2", "VM-Exit Control Fields" },
    SEC_ENTRY_CONTROLS     = { "27.2.1.3", "VM-Entry Control Fields" },
    SEC_HOST_REGISTERS     = { "27.2.2", "Checks on Host Control Registers, Debug Registers, and MSRs" },
    SEC_HOST_SEGMENTS      = { "27.2.3", "Checks on Host Segment and Descriptor-Table Registers" },
    SEC_HOST_ADDRESS_SIZE  = { "27.2.4", "Checks Related to Address-Space Size" },
    SEC_GUEST_REGISTERS    = { "27.3.1.1", "Checks on Guest Control Registers, Debug Registers, and MSRs" },
    SEC_GUEST_SEGMENTS     = { "27.3.1.2", "Checks on Guest Segment Registers" },
    SEC_GUEST_TABLES       = { "27.3.1.3", "Checks on Guest Descriptor-Table Registers" },
    SEC_GUEST_RIP_RFLAGS   = { "27.3.1.4", "Checks on Guest RIP, RFLAGS, and SSP" },
    SEC_GUEST_NON_REGISTER = { "27.3.1.5", "Checks on Guest Non-Register State" },
    SEC_GUEST_PDPTES       = { "27.3.1.6", "Checks on Guest Page-Directory-Pointer-Table Entries" };

/* A guest segment register as the VMCS holds it, with its access rights
 * decoded (SDM 25.4.1, table 25-2 "Format of Access Rights"). */
enum { ES, CS, SS, DS, FS, GS, LDTR, TR, SEGMENT_COUNT };

struct segment {
    const char *name;
    unsigned selector_field, base_field, limit_field, rights_field;
    uint16_t selector;
    uint64_t base;
    uint32_t limit, rights;
    unsigned rpl, ti;                        /* selector bits 1:0 and 2 */
    unsigned type, s, dpl, p, l, db, g;      /* rights bits 3:0, 4, 6:5, 7, 13, 14, 15 */
    bool usable;                             /* rights bit 16 ("unusable") clear */
};

#define SEGMENT_FIELDS(reg) { .name = #reg, .selector_field = VMCS_GUEST_##reg##_SELECTOR, \
    .base_field = VMCS_GUEST_##reg##_BASE, .limit_field = VMCS_GUEST_##reg##_LIMIT, \
    .rights_field = VMCS_GUEST_##reg##_ACCESS_RIGHTS }
static const struct segment segment_fields[SEGMENT_COUNT] = {
    SEGMENT_FIELDS(ES), SEGMENT_FIELDS(CS), SEGMENT_FIELDS(SS), SEGMENT_FIELDS(DS),
    SEGMENT_FIELDS(FS), SEGMENT_FIELDS(GS), SEGMENT_FIELDS(LDTR), SEGMENT_FIELDS(TR),
};

struct checker {
    const struct vmx_caps *caps;
    vmcs_read_fn read;
    void *read_ctx;
    entry_report_fn report;
    void *report_ctx;
    const struct section *section;   /* the subsection being checked */
    unsigned broken;
    /* Read once: rules in several sections depend on them. */
    uint32_t pin, proc, proc2, exit, entry;   /* proc2 is 0 unless activated */
    uint32_t injection;                       /* VM-entry interruption information */
    uint64_t guest_cr0, guest_cr4, guest_rflags;
    bool unrestricted, ia32e_guest, v8086;
    struct segment seg[SEGMENT_COUNT];
};

static uint64_t rd(const struct checker *c, unsigned field)
{
    return c->read(c->read_ctx, field);
}

/* One rule: if it does not hold, report it against field (0: none), with a
 * printf-style detail line. */
static void __attribute__((format(printf, 5, 6)))
expectf(struct checker *c, bool holds, unsigned field, const char *rule, const char *detail, ...)
{
    if (holds)
        return;
    struct entry_violation v = {
        .section = c->section->number, .title = c->section->title, .rule = rule,
        .field = field, .value = field ? rd(c, field) : 0,
    };
    va_list ap;
    va_start(ap, detail);
    vsnprintf(v.detail, sizeof(v.detail), detail, ap);
    va_end(ap);
    c->broken++;
    c->report(c->report_ctx, &v);
}

/* The same, when the field's value says it all. */
static void expect(struct checker *c, bool holds, unsigned field, const char *rule)
{
    expectf(c, holds, field, rule, "%s", "");
}

/* ---- Helpers shared by many rules ---- */

/* Canonical for 48-bit linear addresses: bits 63:47 all equal. */
static bool canonical(uint64_t address)
{
    return (uint64_t)((int64_t)(address << 16) >> 16) == address;
}

static void expect_canonical(struct checker *c, unsigned field)
{
    expect(c, canonical(rd(c, field)), field,
           "The address must be canonical (bits 63:47 all equal)");
}

/* No bit at or above the physical-address width (MAXPHYADDR) may be set. */
static bool fits_physical(const struct checker *c, uint64_t address)
{
    unsigned width = c->caps->phys_addr_width;
    return width >= 64 || (address >> width) == 0;
}

/* A 4-KByte page the CPU reaches by its physical address. */
static void expect_page_address(struct checker *c, unsigned field)
{
    uint64_t a = rd(c, field);
    expectf(c, (a & 0xfff) == 0 && fits_physical(c, a), field,
            "The address must be 4-KByte aligned and fit in the physical-address width",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
}

/* A VM-execution, VM-exit or VM-entry control field against its capability
 * MSR (SDM A.3-A.5): the low half's 1s must be 1, the high half's 0s must be 0. */
static void expect_allowed_controls(struct checker *c, unsigned field, uint32_t value, uint64_t cap)
{
    uint32_t must_be_one = vmx_ctl_must_be_one(cap), may_be_one = vmx_ctl_may_be_one(cap);
    expectf(c, (value & must_be_one) == must_be_one, field,
            "Every control the CPU requires (a 1 in the low half of its capability MSR) must be 1",
            "required but clear: 0x%08x (capability MSR 0x%016llx)",
            must_be_one & ~value, (unsigned long long)cap);
    expectf(c, (value & ~may_be_one) == 0, field,
            "Every control the CPU does not allow (a 0 in the high half of its capability MSR) must be 0",
            "not allowed but set: 0x%08x (capability MSR 0x%016llx)",
            value & ~may_be_one, (unsigned long long)cap);
}

/* CR0 or CR4 in VMX operation (SDM 24.8, A.7, A.8): a bit set in FIXED0 must
 * be 1, a bit clear in FIXED1 must be 0; the exempt bits are not checked. */
static void expect_fixed_bits(struct checker *c, unsigned field, uint64_t fixed0, uint64_t fixed1,
                              uint64_t exempt)
{
    uint64_t value = rd(c, field);
    uint64_t must_be_one = fixed0 & ~exempt, must_be_zero = ~fixed1 & ~exempt;
    expectf(c, (value & must_be_one) == must_be_one, field,
            "Every bit fixed to 1 in VMX operation (IA32_VMX_CRn_FIXED0) must be 1",
            "clear but fixed to 1: 0x%llx (FIXED0=0x%llx)",
            (unsigned long long)(must_be_one & ~value), (unsigned long long)fixed0);
    expectf(c, (value & must_be_zero) == 0, field,
            "Every bit fixed to 0 in VMX operation (IA32_VMX_CRn_FIXED1) must be 0",
            "set but fixed to 0: 0x%llx (FIXED1=0x%llx)",
            (unsigned long long)(value & must_be_zero), (unsigned long long)fixed1);
}

/* IA32_PAT: each of its 8 entries must be a memory type (0, 1, 4, 5, 6, 7). */
static void expect_valid_pat(struct checker *c, unsigned field)
{
    uint64_t pat = rd(c, field);
    for (unsigned i = 0; i < 8; i++) {
        unsigned type = (pat >> (8 * i)) & 0xff;
        expectf(c, type <= 7 && type != 2 && type != 3, field,
                "Each PAT entry must be a valid memory type (0, 1, 4, 5, 6 or 7)",
                "PA%u=%u", i, type);
    }
}

static void expect_efer_reserved_clear(struct checker *c, unsigned field)
{
    uint64_t efer = rd(c, field);
    expectf(c, (efer & ~EFER_DEFINED) == 0, field,
            "EFER bits other than SCE (0), LME (8), LMA (10) and NXE (11) are reserved and must be 0",
            "reserved bits set: 0x%llx", (unsigned long long)(efer & ~EFER_DEFINED));
}

/* The MSR-load and MSR-store areas: 16 bytes per MSR, read by physical address. */
static void expect_msr_area(struct checker *c, unsigned count_field, unsigned address_field)
{
    uint64_t count = rd(c, count_field), address = rd(c, address_field);
    if (count == 0)
        return;
    uint64_t last = address + count * 16 - 1;
    expectf(c, (address & 15) == 0 && fits_physical(c, address) && fits_physical(c, last),
            address_field,
            "With a non-zero count, the MSR area must be 16-byte aligned and lie within the physical-address width",
            "count=%llu last byte=0x%llx MAXPHYADDR=%u", (unsigned long long)count,
            (unsigned long long)last, c->caps->phys_addr_width);
}

/* Does a hardware exception with this vector push an error code? */
static bool pushes_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

static unsigned event_type(uint32_t injection) { return (injection >> 8) & 7; }
static unsigned event_vector(uint32_t injection) { return injection & 0xff; }

static bool injecting(const struct checker *c, unsigned type)
{
    return (c->injection & INTR_INFO_VALID) && event_type(c->injection) == type;
}

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
            "type=%u EPT_VPID_CAP=0x%llx", type, (unsigned long long)cap);
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
static void check_vm_execution_controls(struct checker *c)
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
static void check_vm_exit_controls(struct checker *c)
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
    if (!(info & INTR_INFO_VALID))
        return;
    unsigned type = event_type(info), vector = event_vector(info);
    bool mtf_supported = vmx_ctl_supported(c->caps->procbased, PROC_MONITOR_TRAP_FLAG);

    expectf(c, type != EVENT_RESERVED && (type != EVENT_OTHER || mtf_supported),
            VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "The interruption type (bits 10:8) must not be 1 (reserved), nor 7 unless the CPU supports the monitor trap flag",
            "type=%u", type);
    expectf(c, type != EVENT_NMI || vector == 2, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected NMI (type 2) must have vector 2", "vector=%u", vector);
    expectf(c, type != EVENT_HW_EXCEPTION || vector <= 31, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected hardware exception (type 3) must have a vector of at most 31", "vector=%u", vector);
    expectf(c, type != EVENT_OTHER || vector == 0, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "An injected 'other event' (type 7, a pending MTF VM exit) must have vector 0", "vector=%u", vector);

    bool protected_mode = !c->unrestricted || (c->guest_cr0 & CR0_PE);
    bool needs_code = type == EVENT_HW_EXCEPTION && protected_mode && pushes_error_code(vector);
    bool delivers_code = info & INTR_INFO_DELIVER_CODE;
    expectf(c, delivers_code == needs_code, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "Deliver-error-code (bit 11) must be 1 exactly for a hardware exception that pushes one (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP) in protected mode",
            "type=%u vector=%u deliver-error-code=%u CR0.PE=%u", type, vector, delivers_code,
            (unsigned)(c->guest_cr0 & CR0_PE));
    expectf(c, (info & INTR_INFO_RESERVED) == 0, VMCS_VM_ENTRY_INTERRUPTION_INFO,
            "Interruption-information bits 30:12 are reserved and must be 0",
            "reserved bits set: 0x%08x", info & INTR_INFO_RESERVED);
    if (delivers_code)
        expect(c, (rd(c, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE) >> 16) == 0, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE,
               "The error code to deliver must have bits 31:16 clear");
    if (type == EVENT_SW_INTERRUPT || type == EVENT_PRIV_SW_EXCEPTION || type == EVENT_SW_EXCEPTION) {
        uint64_t length = rd(c, VMCS_VM_ENTRY_INSTRUCTION_LENGTH);
        bool zero_ok = c->caps->misc & MISC_ZERO_LENGTH_INJECTION;
        expectf(c, length <= 15 && (length > 0 || zero_ok), VMCS_VM_ENTRY_INSTRUCTION_LENGTH,
                "A software interrupt or exception (types 4-6) needs an instruction length of 1 to 15 (0 only if IA32_VMX_MISC bit 30 is 1)",
                "type=%u", type);
    }
}

/* 27.2.1.3 */
static void check_vm_entry_controls(struct checker *c)
{
    c->section = &SEC_ENTRY_CONTROLS;
    expect_allowed_controls(c, VMCS_VM_ENTRY_CONTROLS, c->entry, c->caps->entry);
    expect(c, !(c->entry & (ENTRY_SMM | ENTRY_DEACTIVATE_DUAL_MONITOR)), VMCS_VM_ENTRY_CONTROLS,
           "Outside SMM, 'entry to SMM' (bit 10) and 'deactivate dual-monitor treatment' (bit 11) must be 0");
    expect_msr_area(c, VMCS_VM_ENTRY_MSR_LOAD_COUNT, VMCS_VM_ENTRY_MSR_LOAD_ADDR);
    check_event_injection(c);
}

/* ---- 27.2.2 - 27.2.4 Checks on Host-State Area ---- */

/* 27.2.2 */
static void check_host_registers_and_msrs(struct checker *c)
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
static void check_host_segment_registers(struct checker *c)
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
static void check_host_address_space_size(struct checker *c)
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

/* ---- 27.3.1 Checks on the Guest-State Area ---- */

/* 27.3.1.1 */
static void check_guest_registers_and_msrs(struct checker *c)
{
    uint64_t cr0 = c->guest_cr0, cr4 = c->guest_cr4;
    c->section = &SEC_GUEST_REGISTERS;
    /* NW and CD are never checked: VM entry does not change them. */
    uint64_t exempt = CR0_NW | CR0_CD | (c->unrestricted ? CR0_PE | CR0_PG : 0);
    expect_fixed_bits(c, VMCS_GUEST_CR0, c->caps->cr0_fixed0, c->caps->cr0_fixed1, exempt);
    expect(c, !(cr0 & CR0_PG) || (cr0 & CR0_PE), VMCS_GUEST_CR0,
           "CR0.PG=1 requires CR0.PE=1 (paging needs protected mode)");
    expect_fixed_bits(c, VMCS_GUEST_CR4, c->caps->cr4_fixed0, c->caps->cr4_fixed1, 0);
    expect(c, !(cr4 & CR4_CET) || (cr0 & CR0_WP), VMCS_GUEST_CR4, "CR4.CET=1 requires CR0.WP=1");
    if (c->entry & ENTRY_LOAD_DEBUG_CONTROLS) {
        expect(c, (rd(c, VMCS_GUEST_IA32_DEBUGCTL) >> 16) == 0, VMCS_GUEST_IA32_DEBUGCTL,
               "With 'load debug controls', the reserved IA32_DEBUGCTL bits 63:16 must be 0");
        expect(c, (rd(c, VMCS_GUEST_DR7) >> 32) == 0, VMCS_GUEST_DR7,
               "With 'load debug controls', DR7 bits 63:32 must be 0");
    }
    if (c->ia32e_guest) {
        expect(c, cr0 & CR0_PG, VMCS_GUEST_CR0, "An IA-32e mode guest needs CR0.PG=1");
        expect(c, cr4 & CR4_PAE, VMCS_GUEST_CR4, "An IA-32e mode guest needs CR4.PAE=1");
    } else {
        expect(c, !(cr4 & CR4_PCIDE), VMCS_GUEST_CR4,
               "CR4.PCIDE (bit 17) must be 0 unless the guest is in IA-32e mode");
    }
    expectf(c, fits_physical(c, rd(c, VMCS_GUEST_CR3)), VMCS_GUEST_CR3,
            "Guest CR3 bits beyond the physical-address width must be 0",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
    expect_canonical(c, VMCS_GUEST_IA32_SYSENTER_ESP);
    expect_canonical(c, VMCS_GUEST_IA32_SYSENTER_EIP);
    if (c->entry & ENTRY_LOAD_IA32_PAT)
        expect_valid_pat(c, VMCS_GUEST_IA32_PAT);
    if (c->entry & ENTRY_LOAD_IA32_EFER) {
        uint64_t efer = rd(c, VMCS_GUEST_IA32_EFER);
        expect_efer_reserved_clear(c, VMCS_GUEST_IA32_EFER);
        expectf(c, !!(efer & EFER_LMA) == c->ia32e_guest, VMCS_GUEST_IA32_EFER,
                "With 'load IA32_EFER', guest EFER.LMA must equal the 'IA-32e mode guest' entry control",
                "IA-32e mode guest=%u", c->ia32e_guest);
        expectf(c, !(cr0 & CR0_PG) || !!(efer & EFER_LMA) == !!(efer & EFER_LME), VMCS_GUEST_IA32_EFER,
                "With 'load IA32_EFER' and CR0.PG=1, guest EFER.LME must equal EFER.LMA",
                "CR0=0x%llx", (unsigned long long)cr0);
    }
}

/* Decode one guest segment register from its four fields. */
static void read_segment(const struct checker *c, struct segment *s, const struct segment *fields)
{
    *s = *fields;
    s->selector = (uint16_t)rd(c, s->selector_field);
    s->base = rd(c, s->base_field);
    s->limit = (uint32_t)rd(c, s->limit_field);
    s->rights = (uint32_t)rd(c, s->rights_field);
    s->rpl = s->selector & 3;
    s->ti = (s->selector >> 2) & 1;
    s->type = s->rights & 0xf;
    s->s = (s->rights >> 4) & 1;
    s->dpl = (s->rights >> 5) & 3;
    s->p = (s->rights >> 7) & 1;
    s->l = (s->rights >> 13) & 1;
    s->db = (s->rights >> 14) & 1;
    s->g = (s->rights >> 15) & 1;
    s->usable = !((s->rights >> 16) & 1);
}

/* The checks every present descriptor shares: reserved rights bits, and a
 * limit that the granularity bit can express (SDM 27.3.1.2). */
static void expect_rights_reserved_and_granularity(struct checker *c, const struct segment *s)
{
    expectf(c, (s->rights & 0xFFFE0F00u) == 0, s->rights_field,
            "Access-rights bits 11:8 and 31:17 are reserved and must be 0",
            "%s.rights=0x%x", s->name, s->rights);
    bool low_bits_all_ones = (s->limit & 0xfff) == 0xfff, high_bits_zero = (s->limit >> 20) == 0;
    expectf(c, (low_bits_all_ones || !s->g) && (high_bits_zero || s->g), s->rights_field,
            "G must be 0 if any of limit bits 11:0 is 0, and 1 if any of limit bits 31:20 is 1",
            "%s.limit=0x%08x %s.G=%u", s->name, s->limit, s->name, s->g);
}

/* Selector fields. */
static void check_segment_selectors(struct checker *c)
{
    const struct segment *cs = &c->seg[CS], *ss = &c->seg[SS], *tr = &c->seg[TR], *ldtr = &c->seg[LDTR];
    expect(c, tr->ti == 0, tr->selector_field, "The TR selector's TI flag (bit 2) must be 0");
    expect(c, !ldtr->usable || ldtr->ti == 0, ldtr->selector_field,
           "A usable LDTR's selector must have TI (bit 2) = 0");
    if (!c->v8086 && !c->unrestricted)
        expectf(c, ss->rpl == cs->rpl, ss->selector_field,
                "Without unrestricted guest, SS.RPL must equal CS.RPL",
                "SS.RPL=%u CS.RPL=%u", ss->rpl, cs->rpl);
}

/* Base-address fields. */
static void check_segment_bases(struct checker *c)
{
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        if (c->v8086)
            expectf(c, s->base == (uint64_t)s->selector << 4, s->base_field,
                    "In virtual-8086 mode, each segment base must be its selector times 16",
                    "%s.selector=0x%04x", s->name, s->selector);
    }
    expect_canonical(c, VMCS_GUEST_TR_BASE);
    expect_canonical(c, VMCS_GUEST_FS_BASE);
    expect_canonical(c, VMCS_GUEST_GS_BASE);
    if (c->seg[LDTR].usable)
        expect_canonical(c, VMCS_GUEST_LDTR_BASE);
    expect(c, (c->seg[CS].base >> 32) == 0, VMCS_GUEST_CS_BASE, "CS base bits 63:32 must be 0");
    static const unsigned upper_zero[] = { SS, DS, ES };
    for (unsigned i = 0; i < 3; i++) {
        const struct segment *s = &c->seg[upper_zero[i]];
        expectf(c, !s->usable || (s->base >> 32) == 0, s->base_field,
                "A usable SS, DS or ES must have base bits 63:32 = 0", "%s", s->name);
    }
}

/* Limit and access-rights fields in virtual-8086 mode. */
static void check_v8086_segments(struct checker *c)
{
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        expectf(c, s->limit == 0xffff, s->limit_field,
                "In virtual-8086 mode, each segment limit must be 0xFFFF", "%s", s->name);
        expectf(c, s->rights == 0xf3, s->rights_field,
                "In virtual-8086 mode, each segment's access rights must be 0xF3 (present, DPL 3, accessed read/write data)",
                "%s", s->name);
    }
}

/* Access rights of CS (SDM 27.3.1.2, "Access-rights fields", CS items). */
static void check_cs_rights(struct checker *c)
{
    const struct segment *cs = &c->seg[CS], *ss = &c->seg[SS];
    bool code = cs->type == 9 || cs->type == 11 || cs->type == 13 || cs->type == 15;
    expectf(c, code || (cs->type == 3 && c->unrestricted), cs->rights_field,
            "CS must be an accessed code segment (type 9, 11, 13 or 15), or type 3 with unrestricted guest",
            "CS.type=%u", cs->type);
    if (cs->type == 3)
        expectf(c, cs->dpl == 0, cs->rights_field, "A CS of type 3 must have DPL 0", "CS.DPL=%u", cs->dpl);
    if (cs->type == 9 || cs->type == 11)
        expectf(c, cs->dpl == ss->dpl, cs->rights_field,
                "A non-conforming CS (type 9 or 11) must have CS.DPL = SS.DPL",
                "CS.DPL=%u SS.DPL=%u", cs->dpl, ss->dpl);
    if (cs->type == 13 || cs->type == 15)
        expectf(c, cs->dpl <= ss->dpl, cs->rights_field,
                "A conforming CS (type 13 or 15) must have CS.DPL <= SS.DPL",
                "CS.DPL=%u SS.DPL=%u", cs->dpl, ss->dpl);
    if (c->ia32e_guest && cs->l)
        expect(c, !cs->db, cs->rights_field, "A 64-bit CS (IA-32e mode guest, CS.L=1) must have D/B=0");
}

/* Access rights of SS: its type only if usable, its DPL always. */
static void check_ss_rights(struct checker *c)
{
    const struct segment *ss = &c->seg[SS];
    if (ss->usable)
        expectf(c, ss->type == 3 || ss->type == 7, ss->rights_field,
                "A usable SS must be a read/write accessed data segment (type 3 or 7)", "SS.type=%u", ss->type);
    if (!c->unrestricted)
        expectf(c, ss->dpl == ss->rpl, ss->rights_field,
                "Without unrestricted guest, SS.DPL must equal SS.RPL", "SS.DPL=%u SS.RPL=%u", ss->dpl, ss->rpl);
    if (c->seg[CS].type == 3 || !(c->guest_cr0 & CR0_PE))
        expectf(c, ss->dpl == 0, ss->rights_field,
                "SS.DPL must be 0 when CS has type 3 or CR0.PE=0", "SS.DPL=%u", ss->dpl);
}

/* Access rights of a usable DS, ES, FS or GS. */
static void check_data_rights(struct checker *c, const struct segment *s)
{
    expectf(c, s->type & 1, s->rights_field, "A usable DS, ES, FS or GS must be accessed (type bit 0 = 1)",
            "%s.type=%u", s->name, s->type);
    expectf(c, !(s->type & 8) || (s->type & 2), s->rights_field,
            "A code segment in DS, ES, FS or GS must be readable (type bit 1 = 1)", "%s.type=%u", s->name, s->type);
    if (!c->unrestricted && s->type <= 11)
        expectf(c, s->dpl >= s->rpl, s->rights_field,
                "Without unrestricted guest, a data or non-conforming code segment must have DPL >= RPL",
                "%s.DPL=%u %s.RPL=%u", s->name, s->dpl, s->name, s->rpl);
}

/* The access-rights checks of CS, SS, DS, ES, FS and GS outside virtual-8086 mode. */
static void check_segment_rights(struct checker *c)
{
    check_cs_rights(c);
    check_ss_rights(c);
    static const unsigned data[] = { DS, ES, FS, GS };
    for (unsigned i = 0; i < 4; i++)
        if (c->seg[data[i]].usable)
            check_data_rights(c, &c->seg[data[i]]);
    for (unsigned i = ES; i <= GS; i++) {
        const struct segment *s = &c->seg[i];
        if (i != CS && !s->usable)
            continue;
        expectf(c, s->s, s->rights_field, "CS and every usable SS, DS, ES, FS, GS must be a code or data segment (S=1)",
                "%s.S=0", s->name);
        expectf(c, s->p, s->rights_field, "CS and every usable SS, DS, ES, FS, GS must be present (P=1)",
                "%s.P=0", s->name);
        expect_rights_reserved_and_granularity(c, s);
    }
}

/* TR must hold a busy TSS; LDTR, when usable, an LDT. */
static void check_tr_and_ldtr_rights(struct checker *c)
{
    const struct segment *tr = &c->seg[TR], *ldtr = &c->seg[LDTR];
    expectf(c, tr->type == 11 || (tr->type == 3 && !c->ia32e_guest), tr->rights_field,
            "TR must be a busy TSS: type 11 (32/64-bit), or 3 (16-bit) outside IA-32e mode",
            "TR.type=%u", tr->type);
    expect(c, !tr->s && tr->p && tr->usable, tr->rights_field,
           "TR must be a usable, present system descriptor (S=0, P=1, unusable=0)");
    expect_rights_reserved_and_granularity(c, tr);
    if (!ldtr->usable)
        return;
    expectf(c, ldtr->type == 2, ldtr->rights_field, "A usable LDTR must have type 2 (LDT)", "LDTR.type=%u",
            ldtr->type);
    expect(c, !ldtr->s && ldtr->p, ldtr->rights_field,
           "A usable LDTR must be a present system descriptor (S=0, P=1)");
    expect_rights_reserved_and_granularity(c, ldtr);
}

/* 27.3.1.2, in the SDM's order: selectors, bases, limits, access rights. */
static void check_guest_segment_registers(struct checker *c)
{
    c->section = &SEC_GUEST_SEGMENTS;
    check_segment_selectors(c);
    check_segment_bases(c);
    if (c->v8086)
        check_v8086_segments(c);
    else
        check_segment_rights(c);
    check_tr_and_ldtr_rights(c);
}

/* 27.3.1.3 */
static void check_guest_descriptor_tables(struct checker *c)
{
    c->section = &SEC_GUEST_TABLES;
    expect_canonical(c, VMCS_GUEST_GDTR_BASE);
    expect_canonical(c, VMCS_GUEST_IDTR_BASE);
    expect(c, (rd(c, VMCS_GUEST_GDTR_LIMIT) >> 16) == 0, VMCS_GUEST_GDTR_LIMIT,
           "GDTR limit bits 31:16 must be 0");
    expect(c, (rd(c, VMCS_GUEST_IDTR_LIMIT) >> 16) == 0, VMCS_GUEST_IDTR_LIMIT,
           "IDTR limit bits 31:16 must be 0");
}

/* 27.3.1.4 (SSP is not checked: hvlab's guests do not use CET). */
static void check_guest_rip_rflags(struct checker *c)
{
    uint64_t rflags = c->guest_rflags;
    c->section = &SEC_GUEST_RIP_RFLAGS;
    if (c->ia32e_guest && c->seg[CS].l)
        expect_canonical(c, VMCS_GUEST_RIP);
    else
        expectf(c, (rd(c, VMCS_GUEST_RIP) >> 32) == 0, VMCS_GUEST_RIP,
                "Outside 64-bit mode, RIP bits 63:32 must be 0",
                "IA-32e mode guest=%u CS.L=%u", c->ia32e_guest, c->seg[CS].l);
    expectf(c, (rflags & RFLAGS_RESERVED) == 0, VMCS_GUEST_RFLAGS,
            "RFLAGS bits 63:22, 15, 5 and 3 are reserved and must be 0",
            "reserved bits set: 0x%llx", (unsigned long long)(rflags & RFLAGS_RESERVED));
    expect(c, rflags & RFLAGS_FIXED1, VMCS_GUEST_RFLAGS, "RFLAGS bit 1 is reserved and must be 1");
    expectf(c, !(rflags & RFLAGS_VM) || (!c->ia32e_guest && (c->guest_cr0 & CR0_PE)), VMCS_GUEST_RFLAGS,
            "RFLAGS.VM must be 0 for an IA-32e mode guest or with CR0.PE=0",
            "IA-32e mode guest=%u CR0.PE=%u", c->ia32e_guest, (unsigned)(c->guest_cr0 & CR0_PE));
    if (injecting(c, EVENT_EXTERNAL))
        expectf(c, rflags & RFLAGS_IF, VMCS_GUEST_RFLAGS,
                "RFLAGS.IF must be 1 when an external interrupt is injected",
                "VM_ENTRY_INTERRUPTION_INFO=0x%08x", c->injection);
}

/* May an event of this type and vector be injected into this activity state? */
static bool injection_allowed(unsigned activity, unsigned type, unsigned vector)
{
    switch (activity) {
    case ACTIVITY_ACTIVE:
        return true;
    case ACTIVITY_HLT:
        return type == EVENT_EXTERNAL || type == EVENT_NMI || (type == EVENT_OTHER && vector == 0) ||
               (type == EVENT_HW_EXCEPTION && (vector == 1 || vector == 18));
    case ACTIVITY_SHUTDOWN:
        return type == EVENT_NMI || (type == EVENT_HW_EXCEPTION && vector == 18);
    default:   /* wait-for-SIPI: nothing */
        return false;
    }
}

static void check_activity_state(struct checker *c, unsigned activity, uint32_t blocking)
{
    uint64_t misc = c->caps->misc;
    /* IA32_VMX_MISC bits 6, 7, 8: HLT, shutdown, wait-for-SIPI supported. */
    bool supported = activity == ACTIVITY_ACTIVE || (activity <= 3 && (misc & (1ull << (5 + activity))));
    expectf(c, supported, VMCS_GUEST_ACTIVITY_STATE,
            "The activity state must be 0-3 and one the CPU supports (IA32_VMX_MISC bits 8:6)",
            "IA32_VMX_MISC=0x%llx", (unsigned long long)misc);
    if (activity == ACTIVITY_HLT)
        expectf(c, c->seg[SS].dpl == 0, VMCS_GUEST_ACTIVITY_STATE,
                "The HLT activity state needs SS.DPL=0", "SS.DPL=%u", c->seg[SS].dpl);
    expectf(c, activity == ACTIVITY_ACTIVE || !(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)),
            VMCS_GUEST_ACTIVITY_STATE,
            "Blocking by STI or by MOV SS requires the active state (0)",
            "interruptibility=0x%x", blocking);
    if ((c->injection & INTR_INFO_VALID) && supported)
        expectf(c, injection_allowed(activity, event_type(c->injection), event_vector(c->injection)),
                VMCS_GUEST_ACTIVITY_STATE,
                "An injected event must be one this activity state accepts (HLT: external interrupt, NMI, #DB, #MC, MTF; shutdown: NMI, #MC; wait-for-SIPI: none)",
                "type=%u vector=%u", event_type(c->injection), event_vector(c->injection));
}

static void check_interruptibility_state(struct checker *c, uint32_t blocking)
{
    const unsigned field = VMCS_GUEST_INTERRUPTIBILITY;
    expect(c, (blocking >> 5) == 0, field, "Interruptibility-state bits 31:5 are reserved and must be 0");
    expect(c, (blocking & (BLOCKING_STI | BLOCKING_MOV_SS)) != (BLOCKING_STI | BLOCKING_MOV_SS), field,
           "Blocking by STI (bit 0) and blocking by MOV SS (bit 1) cannot both be 1");
    expectf(c, !(blocking & BLOCKING_STI) || (c->guest_rflags & RFLAGS_IF), field,
            "Blocking by STI (bit 0) needs RFLAGS.IF=1", "RFLAGS=0x%llx", (unsigned long long)c->guest_rflags);
    if (injecting(c, EVENT_EXTERNAL))
        expect(c, !(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)), field,
               "Injecting an external interrupt needs blocking by STI and by MOV SS (bits 1:0) clear");
    if (injecting(c, EVENT_NMI))
        expect(c, !(blocking & BLOCKING_MOV_SS), field, "Injecting an NMI needs blocking by MOV SS (bit 1) clear");
    expect(c, !(blocking & BLOCKING_SMI), field, "Blocking by SMI (bit 2) must be 0 outside SMM");
    if (injecting(c, EVENT_NMI) && (c->pin & PIN_VIRTUAL_NMIS))
        expect(c, !(blocking & BLOCKING_NMI), field,
               "Injecting an NMI with 'virtual NMIs' needs blocking by NMI (bit 3) clear");
}

static void check_pending_debug_exceptions(struct checker *c, unsigned activity, uint32_t blocking)
{
    uint64_t pending = rd(c, VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
    expectf(c, (pending & PENDING_DBG_RESERVED) == 0, VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
            "Pending-debug-exceptions bits 63:17, 15, 13 and 11:4 are reserved and must be 0",
            "reserved bits set: 0x%llx", (unsigned long long)(pending & PENDING_DBG_RESERVED));
    if (!(blocking & (BLOCKING_STI | BLOCKING_MOV_SS)) && activity != ACTIVITY_HLT)
        return;
    bool bs = pending & PENDING_BS, tf = c->guest_rflags & RFLAGS_TF;
    bool btf = rd(c, VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;
    expectf(c, bs == (tf && !btf), VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
            "With STI or MOV-SS blocking or in HLT, BS (bit 14) must be 1 exactly when RFLAGS.TF=1 and IA32_DEBUGCTL.BTF=0",
            "BS=%u TF=%u BTF=%u", bs, tf, btf);
}

/* hvlab links no VMCS (no VMCS shadowing): the pointer must be all ones. A
 * pointer to a real VMCS would also need that VMCS's revision identifier,
 * which only the CPU can read. */
static void check_vmcs_link_pointer(struct checker *c)
{
    uint64_t link = rd(c, VMCS_VMCS_LINK_POINTER);
    const char *why = (link & 0xfff) ? "not 4-KByte aligned"
                    : !fits_physical(c, link) ? "beyond the physical-address width"
                    : "hvlab links no VMCS";
    expectf(c, link == ~0ull, VMCS_VMCS_LINK_POINTER,
            "The VMCS link pointer must be FFFFFFFF_FFFFFFFFH unless it points to a VMCS",
            "%s", why);
}

/* 27.3.1.5 */
static void check_guest_non_register_state(struct checker *c)
{
    unsigned activity = (unsigned)rd(c, VMCS_GUEST_ACTIVITY_STATE);
    uint32_t blocking = (uint32_t)rd(c, VMCS_GUEST_INTERRUPTIBILITY);
    c->section = &SEC_GUEST_NON_REGISTER;
    check_activity_state(c, activity, blocking);
    check_interruptibility_state(c, blocking);
    check_pending_debug_exceptions(c, activity, blocking);
    check_vmcs_link_pointer(c);
}

/* 27.3.1.6: with EPT and PAE paging outside IA-32e mode, VM entry loads the
 * four PDPTEs from these fields (without EPT it reads them from guest memory,
 * which this checker cannot). */
static void check_guest_pdptes(struct checker *c)
{
    static const unsigned pdptes[] = { VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3 };
    bool pae_paging = (c->guest_cr0 & CR0_PG) && (c->guest_cr4 & CR4_PAE) && !c->ia32e_guest;
    if (!pae_paging || !(c->proc2 & PROC2_ENABLE_EPT))
        return;
    c->section = &SEC_GUEST_PDPTES;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = rd(c, pdptes[i]);
        expect(c, !(e & 1) || ((e & 0x1e6) == 0 && fits_physical(c, e)), pdptes[i],
               "A present PDPTE must have bits 2:1, 8:5 and the bits beyond the physical-address width clear");
    }
}

/* Read the fields that rules in several sections share. */
static void read_shared_state(struct checker *c)
{
    c->pin = (uint32_t)rd(c, VMCS_PIN_BASED_CONTROLS);
    c->proc = (uint32_t)rd(c, VMCS_PROC_BASED_CONTROLS);
    c->proc2 = (c->proc & PROC_ACTIVATE_SECONDARY) ? (uint32_t)rd(c, VMCS_PROC_BASED_CONTROLS2) : 0;
    c->exit = (uint32_t)rd(c, VMCS_VM_EXIT_CONTROLS);
    c->entry = (uint32_t)rd(c, VMCS_VM_ENTRY_CONTROLS);
    c->injection = (uint32_t)rd(c, VMCS_VM_ENTRY_INTERRUPTION_INFO);
    c->guest_cr0 = rd(c, VMCS_GUEST_CR0);
    c->guest_cr4 = rd(c, VMCS_GUEST_CR4);
    c->guest_rflags = rd(c, VMCS_GUEST_RFLAGS);
    c->unrestricted = c->proc2 & PROC2_UNRESTRICTED_GUEST;
    c->ia32e_guest = c->entry & ENTRY_IA32E_MODE_GUEST;
    c->v8086 = c->guest_rflags & RFLAGS_VM;
    for (unsigned i = 0; i < SEGMENT_COUNT; i++)
        read_segment(c, &c->seg[i], &segment_fields[i]);
}

unsigned entry_check(const struct vmx_caps *caps, vmcs_read_fn read, void *read_ctx,
                     entry_report_fn report, void *report_ctx)
{
    struct checker c = {
        .caps = caps, .read = read, .read_ctx = read_ctx, .report = report, .report_ctx = report_ctx,
    };
    read_shared_state(&c);
    check_vm_execution_controls(&c);         /* 27.2.1.1 */
    check_vm_exit_controls(&c);              /* 27.2.1.2 */
    check_vm_entry_controls(&c);             /* 27.2.1.3 */
    check_host_registers_and_msrs(&c);       /* 27.2.2 */
    check_host_segment_registers(&c);        /* 27.2.3 */
    check_host_address_space_size(&c);       /* 27.2.4 */
    check_guest_registers_and_msrs(&c);      /* 27.3.1.1 */
    check_guest_segment_registers(&c);       /* 27.3.1.2 */
    check_guest_descriptor_tables(&c);       /* 27.3.1.3 */
    check_guest_rip_rflags(&c);              /* 27.3.1.4 */
    check_guest_non_register_state(&c);      /* 27.3.1.5 */
    check_guest_pdptes(&c);                  /* 27.3.1.6 */
    return c.broken;
}

int entry_violation_format(char *buf, size_t size, const struct entry_violation *v)
{
    char field[96] = "";
    if (v->field) {
        const char *name = vmcs_field_name(v->field);
        if (name)
            snprintf(field, sizeof(field), " [%s=0x%llx]", name, (unsigned long long)v->value);
        else
            snprintf(field, sizeof(field), " [VMCS field 0x%04x=0x%llx]", v->field,
                     (unsigned long long)v->value);
    }
    return snprintf(buf, size, "hv: VM-entry check: SDM %s (%s): %s%s%s%s", v->section, v->title, v->rule,
                    field, v->detail[0] ? " " : "", v->detail);
}
