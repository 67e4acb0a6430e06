/*
 * entry_check_rules.h: what the files of the VM-entry checker share (private
 * to hv/check/entry_check*.c): the architectural bits the rules test, the SDM
 * sections they report, the guest segment registers decoded, the checker's
 * state, and the helpers every rule is written with. Pure, like the checker.
 */
#pragma once
#include "x86/canonical.h"
#include "x86/control_regs.h"
#include "vmx/cpu_rules.h"
#include <stdarg.h>
#include <stdbool.h>
#include "check/entry_check.h"
#include "vmx/exit_info.h" /* event_info_decode: the interruption information */
#include "fmt.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"

/* hvlab's hypervisor executes VMLAUNCH in 64-bit mode, outside SMM. */
#define HOST_IN_IA32E_MODE true

/* Architectural bits the rules refer to (SDM vol. 3A, 2.5 and 2.3): the
 * control registers' in control_regs.h, and these. */
#define EFER_DEFINED 0xD01ull          /* SCE (0), LME (8), LMA (10), NXE (11) */
#define RFLAGS_FIXED1 (1ull << 1)
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

/* The VM-entry interruption-information field: INFO_* and EVENT_* in vmx.h. */

/* Guest non-register state (SDM 25.4.2). */
#define PENDING_DBG_RESERVED 0xFFFFFFFFFFFEAFF0ull  /* bits 63:17, 15, 13, 11:4 */

struct section {
    const char *number, *title;
};

/* The subsections of SDM vol. 3C, chapter 27, a rule is reported against. */
extern const struct section
    SEC_EXECUTION_CONTROLS,
    SEC_EXIT_CONTROLS,
    SEC_ENTRY_CONTROLS,
    SEC_HOST_REGISTERS,
    SEC_HOST_SEGMENTS,
    SEC_HOST_ADDRESS_SIZE,
    SEC_GUEST_REGISTERS,
    SEC_GUEST_SEGMENTS,
    SEC_GUEST_TABLES,
    SEC_GUEST_RIP_RFLAGS,
    SEC_GUEST_NON_REGISTER,
    SEC_GUEST_PDPTES;

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
extern const struct segment segment_fields[SEGMENT_COUNT];

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

/* Helpers shared by many rules (entry_check.c). */
uint64_t rd(const struct checker *c, unsigned field);
/* One rule: if it does not hold, report it against field (0: none), with a
 * printf-style detail line. A macro, so that a rule that holds costs its
 * test alone: vmcheck=2 runs every rule before every VM entry, and a call
 * per rule, its detail's arguments worked out, was most of the checker's
 * time. The detail's arguments are evaluated only for a broken rule. */
__attribute__((format(printf, 4, 5)))
void report_rule(struct checker *c, unsigned field, const char *rule, const char *detail, ...);
#define expectf(c, holds, field, rule, ...) \
    do { if (!(holds)) report_rule((c), (field), (rule), __VA_ARGS__); } while (0)
/* The same, when the field's value says it all. */
#define expect(c, holds, field, rule) expectf((c), (holds), (field), (rule), "%s", "")
void expect_canonical(struct checker *c, unsigned field);
bool fits_physical(const struct checker *c, uint64_t address);
void expect_page_address(struct checker *c, unsigned field);
void expect_allowed_controls(struct checker *c, unsigned field, uint32_t value, uint64_t cap);
void expect_fixed_bits(struct checker *c, unsigned field, uint64_t fixed0, uint64_t fixed1,
                       uint64_t exempt);
void expect_valid_pat(struct checker *c, unsigned field);
void expect_efer_reserved_clear(struct checker *c, unsigned field);
void expect_msr_area(struct checker *c, unsigned count_field, unsigned address_field);
bool injecting(const struct checker *c, unsigned type);

/* One function per subsection, in the SDM's order: entry_check_controls.c
 * (27.2.1), entry_check_host.c (27.2.2-27.2.4), entry_check_guest.c (27.3.1). */
void check_vm_execution_controls(struct checker *c);
void check_vm_exit_controls(struct checker *c);
void check_vm_entry_controls(struct checker *c);
void check_host_registers_and_msrs(struct checker *c);
void check_host_segment_registers(struct checker *c);
void check_host_address_space_size(struct checker *c);
void check_guest_registers_and_msrs(struct checker *c);
void check_guest_segment_registers(struct checker *c);
void check_guest_descriptor_tables(struct checker *c);
void check_guest_rip_rflags(struct checker *c);
void check_guest_non_register_state(struct checker *c);
void check_guest_pdptes(struct checker *c);
void read_segment(const struct checker *c, struct segment *s, const struct segment *fields);
