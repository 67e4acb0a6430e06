/*
 * test_entry_check.c: hv/entry_check.c, the VM-entry checker, and
 * hv/vmcs_breaks.c, its table of deliberate breakages.
 *
 * The VMCS here is an array indexed by field encoding, filled in as hvlab's
 * hypervisor fills in its own (a 64-bit host; a 32-bit protected-mode guest
 * with flat segments, EPT on), with the capability MSRs Bochs 2.7's
 * tigerlake model reports (shared/notes/emulators.md). A valid VMCS must
 * pass with no violation; every breakage in vmcs_breaks[] must then be
 * reported with its SDM section and field, and nothing else.
 */
#include "unit.h"
#include "entry_check.h"
#include "vmcs_breaks.h"
#include "vmcs_fields.h"
#include "vmx.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMCS_SIZE 0x8000   /* one slot per encoding: they all lie below 0x7000 */

struct vmcs {
    uint64_t field[VMCS_SIZE];
};

static uint64_t vmcs_read(void *ctx, unsigned field)
{
    /* The checker may read only fields that exist. */
    if (field >= VMCS_SIZE || !vmcs_field_name(field))
        fail_msg("the checker read an unknown VMCS field 0x%x", field);
    return ((struct vmcs *)ctx)->field[field];
}

static void vmcs_write(void *ctx, unsigned field, uint64_t value)
{
    assert_non_null(vmcs_field_name(field));
    ((struct vmcs *)ctx)->field[field] = value;
}

/* Bochs 2.7, cpu: model=tigerlake. */
static const struct vmx_caps tigerlake = {
    .basic = 0x01d8100000000004ull,
    .misc = 0x00000000600401e0ull,
    .pinbased = 0x0000007f00000016ull,
    .procbased = 0xfff9fffe04006172ull,
    .procbased2 = 0x02977fff00000000ull,
    .exit = 0x107fffff00036dfbull,
    .entry = 0x0010ffff000011fbull,
    .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
    .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x00f72fff,
    .ept_vpid = 0x00000f0106b34141ull,
    .phys_addr_width = 40,
};

/* Two valid guests: the hypervisor's Multiboot entry (paging off, which
 * needs the unrestricted guest), and a paging guest without it. */
enum guest_kind { PAGING_OFF_UNRESTRICTED, PAGING_ON_RESTRICTED };

static void set_segment(struct vmcs *v, unsigned selector_field, uint16_t selector, uint32_t rights)
{
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;   /* SDM Appendix B: fixed distances */
    v->field[selector_field] = selector;
    v->field[VMCS_GUEST_ES_BASE + n] = 0;
    v->field[VMCS_GUEST_ES_LIMIT + n] = (rights & 0x10000) ? 0 : 0xffffffff;
    v->field[VMCS_GUEST_ES_ACCESS_RIGHTS + n] = rights;
}

static void build_valid(struct vmcs *v, enum guest_kind kind)
{
    const struct vmx_caps *c = &tigerlake;
    bool unrestricted = kind == PAGING_OFF_UNRESTRICTED;
    memset(v, 0, sizeof(*v));
    /* Controls, as hv/vmcs_setup.c chooses them. */
    v->field[VMCS_PIN_BASED_CONTROLS] = vmx_ctl_adjust(c->pinbased, PIN_NMI_EXITING);
    v->field[VMCS_PROC_BASED_CONTROLS] = vmx_ctl_adjust(c->procbased, PROC_HLT_EXITING |
        PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY);
    v->field[VMCS_PROC_BASED_CONTROLS2] = vmx_ctl_adjust(c->procbased2, PROC2_ENABLE_EPT |
        PROC2_ENABLE_VPID | (unrestricted ? PROC2_UNRESTRICTED_GUEST : 0));
    v->field[VMCS_VPID] = 1;
    v->field[VMCS_EPT_POINTER] = 0x200000 | (3 << 3) | 6;        /* WB, 4 levels */
    v->field[VMCS_IO_BITMAP_A] = 0x201000;
    v->field[VMCS_IO_BITMAP_B] = 0x202000;
    v->field[VMCS_MSR_BITMAP] = 0x203000;
    v->field[VMCS_VM_EXIT_CONTROLS] = vmx_ctl_adjust(c->exit, EXIT_HOST_ADDRESS_SPACE_SIZE |
        EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT);
    v->field[VMCS_VM_ENTRY_CONTROLS] = vmx_ctl_adjust(c->entry, ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT);
    /* Host: 64-bit, paging, a TSS. */
    v->field[VMCS_HOST_CR0] = 0x80050033;
    v->field[VMCS_HOST_CR3] = 0x104000;
    v->field[VMCS_HOST_CR4] = 0x2020;                             /* PAE, VMXE */
    v->field[VMCS_HOST_CS_SELECTOR] = 0x08;
    v->field[VMCS_HOST_SS_SELECTOR] = 0x10;
    v->field[VMCS_HOST_DS_SELECTOR] = 0x10;
    v->field[VMCS_HOST_ES_SELECTOR] = 0x10;
    v->field[VMCS_HOST_TR_SELECTOR] = 0x18;
    v->field[VMCS_HOST_TR_BASE] = 0x110000;
    v->field[VMCS_HOST_GDTR_BASE] = 0x111000;
    v->field[VMCS_HOST_IDTR_BASE] = 0x112000;
    v->field[VMCS_HOST_IA32_EFER] = 0xd00;                        /* LME, LMA, NXE */
    v->field[VMCS_HOST_IA32_PAT] = 0x0007040600070406ull;
    v->field[VMCS_HOST_RSP] = 0x120000;
    v->field[VMCS_HOST_RIP] = 0x100400;
    /* Guest: 32-bit protected mode, flat segments, a busy TSS, no LDT. */
    v->field[VMCS_GUEST_CR0] = unrestricted ? 0x31 : 0x80000031;  /* PE, ET, NE (+ PG) */
    v->field[VMCS_GUEST_CR3] = unrestricted ? 0 : 0x300000;
    v->field[VMCS_GUEST_CR4] = 0x2000;                            /* VMXE */
    v->field[VMCS_GUEST_DR7] = 0x400;
    set_segment(v, VMCS_GUEST_CS_SELECTOR, 0x08, 0xc09b);
    set_segment(v, VMCS_GUEST_SS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_DS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_ES_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_FS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_GS_SELECTOR, 0x10, 0xc093);
    set_segment(v, VMCS_GUEST_LDTR_SELECTOR, 0, 0x10000);
    v->field[VMCS_GUEST_TR_LIMIT] = 0x67;
    v->field[VMCS_GUEST_TR_ACCESS_RIGHTS] = 0x8b;
    v->field[VMCS_GUEST_RIP] = 0x100000;
    v->field[VMCS_GUEST_RFLAGS] = 0x2;
    v->field[VMCS_GUEST_IA32_PAT] = 0x0007040600070406ull;
    v->field[VMCS_VMCS_LINK_POINTER] = ~0ull;
}

/* What the checker reported. */
struct report {
    unsigned count;
    struct entry_violation v[64];
};

static void collect(void *ctx, const struct entry_violation *v)
{
    struct report *r = ctx;
    if (r->count < 64)
        r->v[r->count] = *v;
    r->count++;
}

static unsigned check(struct vmcs *v, struct report *r, const struct vmx_caps *caps)
{
    memset(r, 0, sizeof(*r));
    unsigned n = entry_check(caps, vmcs_read, v, collect, r);
    assert_int_equal(n, r->count);
    return n;
}

static void print_report(const char *title, const struct report *r)
{
    char line[512];
    print_message("%s: %u violation(s)\n", title, r->count);
    for (unsigned i = 0; i < r->count && i < 64; i++) {
        entry_violation_format(line, sizeof(line), &r->v[i]);
        print_message("  %s\n", line);
    }
}

static struct vmcs vmcs;
static struct report report;

static void expect_valid(enum guest_kind kind)
{
    build_valid(&vmcs, kind);
    if (check(&vmcs, &report, &tigerlake) != 0) {
        print_report("the valid VMCS", &report);
        fail();
    }
}

static void test_valid_vmcs_passes(void **state)
{
    (void)state;
    expect_valid(PAGING_OFF_UNRESTRICTED);
    expect_valid(PAGING_ON_RESTRICTED);
}

/* Every breakage, on both valid guests: its section and field are named,
 * and no rule of another section is. */
static void expect_each_break_reported(enum guest_kind kind)
{
    unsigned bad = 0;
    for (unsigned i = 0; i < vmcs_break_count; i++) {
        const struct vmcs_break *b = &vmcs_breaks[i];
        build_valid(&vmcs, kind);
        vmcs_break_apply(b, vmcs_read, vmcs_write, &vmcs);
        check(&vmcs, &report, &tigerlake);
        if (getenv("ENTRY_CHECK_VERBOSE"))   /* show what each breakage prints */
            print_report(b->name, &report);
        bool named = false, unrelated = false;
        for (unsigned j = 0; j < report.count; j++) {
            named |= strcmp(report.v[j].section, b->expect) == 0 && report.v[j].field == b->field;
            unrelated |= strcmp(report.v[j].section, b->expect) != 0;
        }
        if (!named || unrelated) {
            print_message("vmcs_break=%s (guest kind %d): expected SDM %s on %s\n", b->name, kind, b->expect,
                          vmcs_field_name(b->field));
            print_report(b->name, &report);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_each_break_on_paging_off_guest(void **state)
{
    (void)state;
    expect_each_break_reported(PAGING_OFF_UNRESTRICTED);
}

static void test_each_break_on_paging_guest(void **state)
{
    (void)state;
    expect_each_break_reported(PAGING_ON_RESTRICTED);
}

static void test_break_table(void **state)
{
    (void)state;
    static const char *const sections[] = { "27.2.1.1", "27.2.1.2", "27.2.1.3", "27.2.2", "27.2.3", "27.2.4",
        "27.3.1.1", "27.3.1.2", "27.3.1.3", "27.3.1.4", "27.3.1.5", "27.3.1.6" };
    assert_true(vmcs_break_count >= 20);
    for (unsigned i = 0; i < vmcs_break_count; i++) {
        const struct vmcs_break *b = &vmcs_breaks[i];
        assert_ptr_equal(vmcs_break_find(b->name), b);   /* names are unique */
        assert_true(strspn(b->name, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(b->name));
        assert_true(strlen(b->what) > 0);
        assert_non_null(vmcs_field_name(b->field));
    }
    for (unsigned s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
        bool covered = false;
        for (unsigned i = 0; i < vmcs_break_count; i++)
            covered |= strcmp(vmcs_breaks[i].expect, sections[s]) == 0;
        if (!covered)
            fail_msg("no breakage for SDM %s", sections[s]);
    }
    assert_null(vmcs_break_find("guest-cs"));
    assert_null(vmcs_break_find(""));
}

/* Unlike the CPU, the checker does not stop at the first broken rule. */
static void test_reports_every_broken_rule(void **state)
{
    (void)state;
    static const char *const names[] = { "pin-unsupported", "host-tr-null", "guest-cs-type", "guest-rflags-bit1",
                                         "vmcs-link-pointer" };
    build_valid(&vmcs, PAGING_OFF_UNRESTRICTED);
    for (unsigned i = 0; i < 5; i++)
        vmcs_break_apply(vmcs_break_find(names[i]), vmcs_read, vmcs_write, &vmcs);
    assert_int_equal(check(&vmcs, &report, &tigerlake), 5);
    /* ... in the SDM's order. */
    assert_string_equal(report.v[0].section, "27.2.1.1");
    assert_string_equal(report.v[1].section, "27.2.3");
    assert_string_equal(report.v[2].section, "27.3.1.2");
    assert_string_equal(report.v[3].section, "27.3.1.4");
    assert_string_equal(report.v[4].section, "27.3.1.5");
}

/* The worked example of handouts/vm-entry-checker.md, line for line: access
 * rights copied from GDT descriptors that the CPU has not yet marked accessed. */
static void test_worked_example(void **state)
{
    (void)state;
    char line[512];
    build_valid(&vmcs, PAGING_OFF_UNRESTRICTED);
    vmcs.field[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xc09a;            /* type 10: execute/read, not accessed */
    vmcs.field[VMCS_GUEST_SS_ACCESS_RIGHTS] = 0xc092;            /* type 2: read/write, not accessed */
    vmcs.field[VMCS_GUEST_TR_ACCESS_RIGHTS] = 0x89;              /* type 9: an available TSS */
    assert_int_equal(check(&vmcs, &report, &tigerlake), 3);
    const char *expected[] = {
        "hv: VM-entry check: SDM 27.3.1.2 (Checks on Guest Segment Registers): CS must be an accessed code "
        "segment (type 9, 11, 13 or 15), or type 3 with unrestricted guest [GUEST_CS_ACCESS_RIGHTS=0xc09a] CS.type=10",
        "hv: VM-entry check: SDM 27.3.1.2 (Checks on Guest Segment Registers): A usable SS must be a read/write "
        "accessed data segment (type 3 or 7) [GUEST_SS_ACCESS_RIGHTS=0xc092] SS.type=2",
        "hv: VM-entry check: SDM 27.3.1.2 (Checks on Guest Segment Registers): TR must be a busy TSS: type 11 "
        "(32/64-bit), or 3 (16-bit) outside IA-32e mode [GUEST_TR_ACCESS_RIGHTS=0x89] TR.type=9",
    };
    for (unsigned i = 0; i < 3; i++) {
        entry_violation_format(line, sizeof(line), &report.v[i]);
        assert_string_equal(line, expected[i]);
    }
}

static void test_format(void **state)
{
    (void)state;
    char line[512];
    struct entry_violation v = { .section = "27.2.3", .title = "Checks on Host Segment and Descriptor-Table Registers",
                                 .rule = "The host TR selector must not be 0", .field = VMCS_HOST_TR_SELECTOR };
    entry_violation_format(line, sizeof(line), &v);
    assert_string_equal(line, "hv: VM-entry check: SDM 27.2.3 (Checks on Host Segment and Descriptor-Table "
                              "Registers): The host TR selector must not be 0 [HOST_TR_SELECTOR=0x0]");
    v.field = 0;
    snprintf(v.detail, sizeof(v.detail), "x=1");
    entry_violation_format(line, sizeof(line), &v);
    assert_string_equal(line, "hv: VM-entry check: SDM 27.2.3 (Checks on Host Segment and Descriptor-Table "
                              "Registers): The host TR selector must not be 0 x=1");
    v.field = 0x2026;   /* not in vmcs_fields.h */
    v.value = 0x1000;
    int n = entry_violation_format(line, 40, &v);
    assert_true(n > 40);
    assert_int_equal(strlen(line), 39);   /* truncated, NUL-terminated */
    entry_violation_format(line, sizeof(line), &v);
    assert_non_null(strstr(line, "[VMCS field 0x2026=0x1000] x=1"));
}

/* Paging off is allowed only with the unrestricted guest: CR0.PG is fixed to
 * 1 otherwise (SDM 27.3.1.1). Having the capability is not enough. */
static void test_paging_off_needs_unrestricted_guest(void **state)
{
    (void)state;
    build_valid(&vmcs, PAGING_OFF_UNRESTRICTED);
    vmcs.field[VMCS_PROC_BASED_CONTROLS2] &= ~(uint64_t)PROC2_UNRESTRICTED_GUEST;
    assert_int_equal(check(&vmcs, &report, &tigerlake), 1);
    assert_string_equal(report.v[0].section, "27.3.1.1");
    assert_int_equal(report.v[0].field, VMCS_GUEST_CR0);
    assert_string_equal(report.v[0].detail, "clear but fixed to 1: 0x80000000 (FIXED0=0x80000021)");
}

/* With the unrestricted guest, CS may be a data segment (type 3) at DPL 0. */
static void test_unrestricted_guest_relaxes_segment_rules(void **state)
{
    (void)state;
    build_valid(&vmcs, PAGING_OFF_UNRESTRICTED);
    vmcs.field[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xc093;
    vmcs.field[VMCS_GUEST_SS_SELECTOR] = 0x13;
    assert_int_equal(check(&vmcs, &report, &tigerlake), 0);
    vmcs.field[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xc0f3;            /* DPL 3 */
    assert_int_equal(check(&vmcs, &report, &tigerlake), 1);
    assert_string_equal(report.v[0].rule, "A CS of type 3 must have DPL 0");
}

/* IA32_VMX_MISC bit 30 allows injecting software events with length 0. */
static void test_zero_length_injection(void **state)
{
    (void)state;
    struct vmx_caps caps = tigerlake;
    build_valid(&vmcs, PAGING_OFF_UNRESTRICTED);
    vmcs.field[VMCS_VM_ENTRY_INTERRUPTION_INFO] = 0x80000603;   /* INT3, a software exception */
    vmcs.field[VMCS_VM_ENTRY_INSTRUCTION_LENGTH] = 0;
    assert_int_equal(check(&vmcs, &report, &caps), 0);
    caps.misc &= ~(1ull << 30);
    assert_int_equal(check(&vmcs, &report, &caps), 1);
    assert_int_equal(report.v[0].field, VMCS_VM_ENTRY_INSTRUCTION_LENGTH);
}

/* A 64-bit guest passes too: the IA-32e rules hold for it. */
static void test_ia32e_guest_passes(void **state)
{
    (void)state;
    build_valid(&vmcs, PAGING_ON_RESTRICTED);
    vmcs.field[VMCS_VM_ENTRY_CONTROLS] |= ENTRY_IA32E_MODE_GUEST;
    vmcs.field[VMCS_GUEST_CR4] |= 1u << 5;                        /* PAE */
    vmcs.field[VMCS_GUEST_IA32_EFER] = 0x500;                     /* LME, LMA */
    vmcs.field[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xa09b;             /* L=1, D/B=0 */
    vmcs.field[VMCS_GUEST_RIP] = 0xffffffff80000000ull;
    assert_int_equal(check(&vmcs, &report, &tigerlake), 0);
    vmcs.field[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xe09b;             /* L=1, D/B=1 */
    vmcs.field[VMCS_GUEST_RIP] = 0x0000800000000000ull;           /* not canonical */
    assert_int_equal(check(&vmcs, &report, &tigerlake), 2);
    assert_string_equal(report.v[0].rule, "A 64-bit CS (IA-32e mode guest, CS.L=1) must have D/B=0");
    assert_int_equal(report.v[1].field, VMCS_GUEST_RIP);
}

/* A virtual-8086 guest: segments are base = selector * 16, limit 0xFFFF, rights 0xF3. */
static void test_v8086_guest(void **state)
{
    (void)state;
    build_valid(&vmcs, PAGING_ON_RESTRICTED);
    static const unsigned selectors[] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
                                          VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR };
    for (unsigned i = 0; i < 6; i++) {
        set_segment(&vmcs, selectors[i], 0x1000, 0xf3);
        vmcs.field[selectors[i] - VMCS_GUEST_ES_SELECTOR + VMCS_GUEST_ES_BASE] = 0x10000;
        vmcs.field[selectors[i] - VMCS_GUEST_ES_SELECTOR + VMCS_GUEST_ES_LIMIT] = 0xffff;
    }
    vmcs.field[VMCS_GUEST_RFLAGS] = 0x20002;                      /* VM */
    assert_int_equal(check(&vmcs, &report, &tigerlake), 0);
    vmcs.field[VMCS_GUEST_DS_BASE] = 0;
    assert_int_equal(check(&vmcs, &report, &tigerlake), 1);
    assert_int_equal(report.v[0].field, VMCS_GUEST_DS_BASE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vmcs_passes),
        cmocka_unit_test(test_each_break_on_paging_off_guest),
        cmocka_unit_test(test_each_break_on_paging_guest),
        cmocka_unit_test(test_break_table),
        cmocka_unit_test(test_reports_every_broken_rule),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_paging_off_needs_unrestricted_guest),
        cmocka_unit_test(test_unrestricted_guest_relaxes_segment_rules),
        cmocka_unit_test(test_zero_length_injection),
        cmocka_unit_test(test_ia32e_guest_passes),
        cmocka_unit_test(test_v8086_guest),
    };
    return RUN_UNIT_TESTS("entry_check", tests);
}
