/*
 * cpu_rules.c: rules on a guest's CPU state, shared by the exit handlers
 * and the VM-entry checker (see cpu_rules.h). Pure.
 */
#include "vmx/cpu_rules.h"
#include <stddef.h>
#include "x86/control_regs.h"
#include "vmx/vmx.h"

static bool pg_needs_pe(const struct cr_pair *p)
{
    return !(p->cr0 & CR0_PG) || (p->cr0 & CR0_PE);
}

static bool nw_needs_cd(const struct cr_pair *p)
{
    return !(p->cr0 & CR0_NW) || (p->cr0 & CR0_CD);
}

static bool cet_needs_wp(const struct cr_pair *p)
{
    return !(p->cr4 & CR4_CET) || (p->cr0 & CR0_WP);
}

static bool pcide_needs_ia32e(const struct cr_pair *p)
{
    return !(p->cr4 & CR4_PCIDE) || p->ia32e;
}

static bool ia32e_needs_pg(const struct cr_pair *p)
{
    return !p->ia32e || (p->cr0 & CR0_PG);
}

static bool ia32e_needs_pae(const struct cr_pair *p)
{
    return !p->ia32e || (p->cr4 & CR4_PAE);
}

/* SDM vol. 3, 2.5 (and the #GP conditions of MOV to CR, vol. 2), and the
 * CR0 and CR4 checks of 27.3.1.1. VM entry does not check NW and CD: it
 * does not change them. The fixed bits (IA32_VMX_CR0/CR4_FIXED0/1) are
 * checked apart: on the real registers at VM entry, as reserved bits by the
 * MOV handlers. */
const struct cr_rule cr_rules[] = {
    { 0, CR_CHECKED_BY_MOV | CR_CHECKED_AT_ENTRY,
      "CR0.PG=1 requires CR0.PE=1 (paging needs protected mode)", pg_needs_pe },
    { 0, CR_CHECKED_BY_MOV, "CR0.NW=1 requires CR0.CD=1", nw_needs_cd },
    { 4, CR_CHECKED_BY_MOV | CR_CHECKED_AT_ENTRY,
      "CR4.CET=1 requires CR0.WP=1 (and CR0.WP cannot be cleared while CR4.CET=1)", cet_needs_wp },
    { 4, CR_CHECKED_BY_MOV | CR_CHECKED_AT_ENTRY,
      "CR4.PCIDE (bit 17) must be 0 unless the guest is in IA-32e mode", pcide_needs_ia32e },
    { 0, CR_CHECKED_AT_ENTRY, "An IA-32e mode guest needs CR0.PG=1", ia32e_needs_pg },
    /* MOV to CR4 clearing PAE in IA-32e mode: #GP(0) (vol. 2, MOV CR). */
    { 4, CR_CHECKED_BY_MOV | CR_CHECKED_AT_ENTRY, "An IA-32e mode guest needs CR4.PAE=1",
      ia32e_needs_pae },
};
const unsigned cr_rule_count = sizeof(cr_rules) / sizeof(cr_rules[0]);

const struct cr_rule *cr_pair_broken_rule(const struct cr_pair *p, unsigned who)
{
    for (unsigned i = 0; i < cr_rule_count; i++)
        if ((cr_rules[i].checked & who) && !cr_rules[i].holds(p))
            return &cr_rules[i];
    return NULL;
}

bool exception_has_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/* SDM 27.2.1.3: deliver-error-code must be 0 for an event that is not a
 * hardware exception, and for any event when CR0.PE=0 (with the
 * unrestricted guest): real mode pushes no error code. Otherwise, where
 * IA32_VMX_BASIC bit 56 is 1 ("VM entry allows injection of a hardware
 * exception with or without an error code regardless of vector", SDM A.1),
 * either will do; where it is 0, it must be 1 exactly for #DF, #TS, #NP,
 * #SS, #GP, #PF and #AC (a CPU without bit 56 has no CET, so no #CP). */
enum error_code_rule injection_error_code_rule(uint64_t vmx_basic, bool protected_mode,
                                               unsigned type, unsigned vector)
{
    if (type != EVENT_HARDWARE_EXCEPTION || !protected_mode)
        return ERROR_CODE_MUST_BE_0;
    if (vmx_basic & VMX_BASIC_ANY_ERROR_CODE)
        return ERROR_CODE_EITHER;
    return exception_has_error_code(vector) && vector != 21 ? ERROR_CODE_MUST_BE_1
                                                            : ERROR_CODE_MUST_BE_0;
}

bool injection_delivers_error_code(uint64_t vmx_basic, bool protected_mode, unsigned type,
                                   unsigned vector)
{
    enum error_code_rule rule = injection_error_code_rule(vmx_basic, protected_mode, type, vector);
    return rule == ERROR_CODE_MUST_BE_1 || (rule == ERROR_CODE_EITHER && exception_has_error_code(vector));
}
