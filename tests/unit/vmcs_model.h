/*
 * vmcs_model.h: a VMCS on the host, for the tests of the VM-entry checker
 * (tests/unit/test_entry_check.c, tests/fuzz/fuzz_entry_check.c): an array
 * indexed by field encoding, the capability MSRs of Bochs 2.7's tigerlake
 * model (shared/notes/emulators.md), and a VMCS filled in as hvlab's
 * hypervisor fills in its own (a 64-bit host; a 32-bit protected-mode guest
 * with flat segments, EPT on), which the checker must pass.
 */
#pragma once
#include <stdint.h>
#include "vmx/vmx_caps.h"

#define VMCS_SIZE 0x8000   /* one slot per encoding: they all lie below 0x7000 */

struct vmcs {
    uint64_t field[VMCS_SIZE];
};

/* Two valid guests: the hypervisor's Multiboot entry (paging off, which
 * needs the unrestricted guest), and a paging guest without it. */
enum guest_kind { PAGING_OFF_UNRESTRICTED, PAGING_ON_RESTRICTED };

extern const struct vmx_caps tigerlake;   /* Bochs 2.7, cpu: model=tigerlake */

/* Set one guest segment register: selector, base 0, flat limit (0 if the
 * rights say unusable), access rights. */
void set_segment(struct vmcs *v, unsigned selector_field, uint16_t selector, uint32_t rights);

/* Fill *v with a VMCS the checker (and the CPU) accepts. */
void build_valid(struct vmcs *v, enum guest_kind kind);
