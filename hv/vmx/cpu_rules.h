/*
 * cpu_rules.h: rules on a guest's CPU state, written once for the two
 * places that need them. The exit handlers must refuse the guest what its
 * CPU would refuse (exit_cr.c, inject.c): a value let through ends in a VM
 * entry that fails. The VM-entry checker reports a VMCS that breaks the same
 * rules (entry_check_guest.c, entry_check_controls.c). Pure: the checker's
 * host tests use it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* ---- CR0 and CR4 together (SDM vol. 3, 2.5 "Control Registers"; 27.3.1.1) */

/* Who checks a rule: MOV to CR0 or CR4 faults (#GP(0)) on a pair that
 * breaks it, and VM entry fails on a CR0 and CR4 field pair that breaks it.
 * Some rules are only one of the two. */
enum { CR_CHECKED_BY_MOV = 1, CR_CHECKED_AT_ENTRY = 2 };

struct cr_pair {
    uint64_t cr0, cr4;
    bool ia32e;         /* IA32_EFER.LMA (the "IA-32e mode guest" entry control) */
};

struct cr_rule {
    unsigned reg;       /* 0 or 4: the register the checker reports it against */
    unsigned checked;   /* CR_CHECKED_BY_MOV and/or CR_CHECKED_AT_ENTRY */
    const char *text;   /* the rule, as the checker prints it */
    bool (*holds)(const struct cr_pair *p);
};

extern const struct cr_rule cr_rules[];
extern const unsigned cr_rule_count;

/* The first rule checked by `who` that the pair breaks, or NULL. */
const struct cr_rule *cr_pair_broken_rule(const struct cr_pair *p, unsigned who);

/* ---- Event injection (SDM 27.2.1.3, 27.6) -------------------------------- */

/* Does this exception push an error code in protected mode (SDM vol. 3,
 * 6.13 "Error Code", table 6-1)? #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP. */
bool exception_has_error_code(unsigned vector);

/* What the deliver-error-code bit (11) of the VM-entry interruption
 * information may be for an event of this type and vector, on a CPU with
 * this IA32_VMX_BASIC, for a guest in protected mode or not (CR0.PE of the
 * CR0 field; without the unrestricted guest, always protected mode). */
enum error_code_rule { ERROR_CODE_MUST_BE_0, ERROR_CODE_MUST_BE_1, ERROR_CODE_EITHER };
enum error_code_rule injection_error_code_rule(uint64_t vmx_basic, bool protected_mode,
                                               unsigned type, unsigned vector);

/* Whether to deliver an error code: as the CPU's own delivery would push one
 * (none in real mode), within what VM entry allows. */
bool injection_delivers_error_code(uint64_t vmx_basic, bool protected_mode, unsigned type,
                                   unsigned vector);
