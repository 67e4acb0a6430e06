/*
 * entry_check.c: the VM-entry checker (entry_check.h). Pure: it reads the
 * VMCS through the caller's function and never touches the hardware, so the
 * host unit tests run it unchanged.
 *
 * Reading order: entry_check() at the end of this file calls one function
 * per subsection of SDM vol. 3C, chapter 27 "VM Entries", in the SDM's
 * order: the controls in entry_check_controls.c, the host state in
 * entry_check_host.c, the guest state in entry_check_guest.c. This file
 * holds what they share: how a rule is reported, and the helpers. Each function
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
#include "check/entry_check_rules.h"

const struct section
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


const struct segment segment_fields[SEGMENT_COUNT] = {
    SEGMENT_FIELDS(ES), SEGMENT_FIELDS(CS), SEGMENT_FIELDS(SS), SEGMENT_FIELDS(DS),
    SEGMENT_FIELDS(FS), SEGMENT_FIELDS(GS), SEGMENT_FIELDS(LDTR), SEGMENT_FIELDS(TR),
};


uint64_t rd(const struct checker *c, unsigned field)
{
    return c->read(c->read_ctx, field);
}

void report_rule(struct checker *c, unsigned field, const char *rule, const char *detail, ...)
{
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

/* ---- Helpers shared by many rules ---- */

void expect_canonical(struct checker *c, unsigned field)
{
    expect(c, canonical(rd(c, field)), field,
           "The address must be canonical (bits 63:47 all equal)");
}

/* No bit at or above the physical-address width (MAXPHYADDR) may be set. */
bool fits_physical(const struct checker *c, uint64_t address)
{
    unsigned width = c->caps->phys_addr_width;
    return width >= 64 || (address >> width) == 0;
}

/* A 4-KByte page the CPU reaches by its physical address. */
void expect_page_address(struct checker *c, unsigned field)
{
    uint64_t a = rd(c, field);
    expectf(c, (a & 0xfff) == 0 && fits_physical(c, a), field,
            "The address must be 4-KByte aligned and fit in the physical-address width",
            "MAXPHYADDR=%u", c->caps->phys_addr_width);
}

/* A VM-execution, VM-exit or VM-entry control field against its capability
 * MSR (SDM A.3-A.5): the low half's 1s must be 1, the high half's 0s must be 0. */
void expect_allowed_controls(struct checker *c, unsigned field, uint32_t value, uint64_t cap)
{
    uint32_t must_be_one = vmx_ctl_must_be_one(cap), may_be_one = vmx_ctl_may_be_one(cap);
    expectf(c, (value & must_be_one) == must_be_one, field,
            "Every control the CPU requires (a 1 in the low half of its capability MSR) must be 1",
            "required but clear: 0x%08x (capability MSR 0x%016lx)",
            must_be_one & ~value, cap);
    expectf(c, (value & ~may_be_one) == 0, field,
            "Every control the CPU does not allow (a 0 in the high half of its capability MSR) must be 0",
            "not allowed but set: 0x%08x (capability MSR 0x%016lx)",
            value & ~may_be_one, cap);
}

/* CR0 or CR4 in VMX operation (SDM 24.8, A.7, A.8): a bit set in FIXED0 must
 * be 1, a bit clear in FIXED1 must be 0; the exempt bits are not checked. */
void expect_fixed_bits(struct checker *c, unsigned field, uint64_t fixed0, uint64_t fixed1,
                              uint64_t exempt)
{
    uint64_t value = rd(c, field);
    uint64_t must_be_one = fixed0 & ~exempt, must_be_zero = ~fixed1 & ~exempt;
    expectf(c, (value & must_be_one) == must_be_one, field,
            "Every bit fixed to 1 in VMX operation (IA32_VMX_CRn_FIXED0) must be 1",
            "clear but fixed to 1: 0x%lx (FIXED0=0x%lx)",
            must_be_one & ~value, fixed0);
    expectf(c, (value & must_be_zero) == 0, field,
            "Every bit fixed to 0 in VMX operation (IA32_VMX_CRn_FIXED1) must be 0",
            "set but fixed to 0: 0x%lx (FIXED1=0x%lx)",
            value & must_be_zero, fixed1);
}

/* IA32_PAT: each of its 8 entries must be a memory type (0, 1, 4, 5, 6, 7). */
void expect_valid_pat(struct checker *c, unsigned field)
{
    uint64_t pat = rd(c, field);
    for (unsigned i = 0; i < 8; i++) {
        unsigned type = (pat >> (8 * i)) & 0xff;
        expectf(c, type <= 7 && type != 2 && type != 3, field,
                "Each PAT entry must be a valid memory type (0, 1, 4, 5, 6 or 7)",
                "PA%u=%u", i, type);
    }
}

void expect_efer_reserved_clear(struct checker *c, unsigned field)
{
    uint64_t efer = rd(c, field);
    expectf(c, (efer & ~EFER_DEFINED) == 0, field,
            "EFER bits other than SCE (0), LME (8), LMA (10) and NXE (11) are reserved and must be 0",
            "reserved bits set: 0x%llx", efer & ~EFER_DEFINED);
}

/* The MSR-load and MSR-store areas: 16 bytes per MSR, read by physical address. */
void expect_msr_area(struct checker *c, unsigned count_field, unsigned address_field)
{
    uint64_t count = rd(c, count_field), address = rd(c, address_field);
    if (count == 0)
        return;
    uint64_t last = address + count * 16 - 1;
    expectf(c, (address & 15) == 0 && fits_physical(c, address) && fits_physical(c, last),
            address_field,
            "With a non-zero count, the MSR area must be 16-byte aligned and lie within the physical-address width",
            "count=%lu last byte=0x%lx MAXPHYADDR=%u", count,
            last, c->caps->phys_addr_width);
}

bool injecting(const struct checker *c, unsigned type)
{
    struct event_info e = event_info_decode(c->injection);
    return e.valid && e.type == type;
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
            snprintf(field, sizeof(field), " [%s=0x%lx]", name, v->value);
        else
            snprintf(field, sizeof(field), " [VMCS field 0x%04x=0x%lx]", v->field,
                     v->value);
    }
    return snprintf(buf, size, "hv: VM-entry check: SDM %s (%s): %s%s%s%s", v->section, v->title, v->rule,
                    field, v->detail[0] ? " " : "", v->detail);
}
