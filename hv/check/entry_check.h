/*
 * entry_check.h: the VM-entry checker. It checks a VMCS against the checks
 * the CPU makes at VMLAUNCH/VMRESUME (SDM vol. 3C, chapter 27 "VM Entries":
 * 27.2 on the controls and the host state, 27.3.1 on the guest state) and
 * names EVERY rule that is broken, with its SDM section and the values that
 * break it, where the CPU gives only "VM-instruction error 7" or "exit
 * reason 33".
 *
 * Pure code: it reads the VMCS through the caller's function (VMREAD in the
 * hypervisor, an array in the host unit tests) and touches no hardware. It
 * assumes what holds for hvlab's hypervisor: VM entry is executed in 64-bit
 * mode (IA-32e mode), outside SMM, on a CPU with 48-bit linear addresses.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx_caps.h"

/* Read one VMCS field (VMREAD); ctx is the caller's. */
typedef uint64_t (*vmcs_read_fn)(void *ctx, unsigned field);

/* One broken rule. */
struct entry_violation {
    const char *section;   /* "27.3.1.2" */
    const char *title;     /* "Checks on Guest Segment Registers" */
    const char *rule;      /* one sentence: what must hold */
    unsigned field;        /* the main offending field's encoding (vmcs_field_name() names it), or 0 */
    uint64_t value;        /* its value */
    char detail[160];      /* extra values that explain it, e.g. "SS.RPL=0 CS.RPL=3" */
};

typedef void (*entry_report_fn)(void *ctx, const struct entry_violation *v);

/* Check the controls (SDM 27.2.1), host state (27.2.2-27.2.4) and guest
 * state (27.3.1), in the SDM's order. Calls report once per broken rule;
 * returns the number broken (0: the CPU should accept this VMCS, as far as
 * the checks that need no memory reads go). */
unsigned entry_check(const struct vmx_caps *caps, vmcs_read_fn read, void *read_ctx,
                     entry_report_fn report, void *report_ctx);

/* Format one violation as the console line (without newline):
 * hv: VM-entry check: SDM 27.3.1.2 (Checks on Guest Segment Registers): <rule> [GUEST_SS_ACCESS_RIGHTS=0x...] <detail>
 * Returns what snprintf returns: the length the whole line would have. */
int entry_violation_format(char *buf, size_t size, const struct entry_violation *v);
