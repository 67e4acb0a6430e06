/*
 * long_mode_rules.c: entering and leaving IA-32e mode (see
 * long_mode_rules.h). Pure.
 */
#include "vmx/long_mode_rules.h"
#include <stddef.h>
#include "x86/control_regs.h"

const char *efer_write(uint64_t *efer, uint64_t value, uint64_t cr0)
{
    if (value & ~EFER_GUEST_BITS)
        return "reserved bits of IA32_EFER set (only SCE, LME, LMA and NXE exist)";
    /* SDM 10.8.5: LME may change only while paging is off. */
    if (((value ^ *efer) & EFER_LME) && (cr0 & CR0_PG))
        return "IA32_EFER.LME changed while CR0.PG=1";
    *efer = (value & ~EFER_LMA) | (*efer & EFER_LMA);
    return NULL;
}

const char *cr0_write_long_mode(uint64_t *efer, uint64_t old_cr0, uint64_t new_cr0, uint64_t cr4,
                                bool cs_long)
{
    bool paging_on = !(old_cr0 & CR0_PG) && (new_cr0 & CR0_PG);
    bool paging_off = (old_cr0 & CR0_PG) && !(new_cr0 & CR0_PG);
    if (paging_on && (*efer & EFER_LME)) {
        /* 10.8.5: IA-32e mode needs PAE; vol. 2 MOV CR0: #GP(0) "if an
         * attempt is made to ... set CR0.PG while CR4.PAE=0 and LME=1". */
        if (!(cr4 & CR4_PAE))
            return "CR0.PG set with IA32_EFER.LME=1 and CR4.PAE=0";
        *efer |= EFER_LMA;
    } else if (paging_off && (*efer & EFER_LMA)) {
        /* 10.8.5.4: long mode is left from compatibility mode only; vol. 2
         * MOV CR0: #GP(0) for clearing CR0.PG in 64-bit mode. */
        if (cs_long)
            return "CR0.PG cleared in 64-bit mode";
        *efer &= ~EFER_LMA;
    }
    return NULL;
}
