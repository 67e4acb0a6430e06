/*
 * test_entry_check.c: hv/check/entry_check.c, the VM-entry checker, and
 * hv/check/vmcs_breaks.c, its table of deliberate breakages.
 *
 * The VMCS here is tests/unit/vmcs_model.h's: an array indexed by field
 * encoding, filled in as hvlab's hypervisor fills in its own, with the
 * capability MSRs Bochs 2.7's tigerlake model reports. A valid VMCS must
 * pass with no violation; every breakage in vmcs_breaks[] must then be
 * reported with its SDM section and field, and nothing else.
 */
#include "unit.h"
#include "check/entry_check.h"
#include "check/vmcs_breaks.h"
#include "vmx/vmcs_fields.h"
#include "vmcs_model.h"
#include "vmx/vmx.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
