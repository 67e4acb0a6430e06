/*
 * long_mode_rules.h: the rules of entering and leaving IA-32e mode, as a
 * CPU applies them to WRMSR of IA32_EFER and to MOV to CR0 (SDM vol. 3,
 * 10.8.5 "Initializing IA-32e Mode", 10.8.5.4 "Switching Out of IA-32e
 * Mode"; vol. 2 WRMSR and MOV "Move to/from Control Registers"; vol. 4,
 * table 2-2, IA32_EFER). The exit handlers must fault where the CPU does
 * and set EFER.LMA where it would: a VM entry checks that LMA, LME, CR0.PG
 * and the "IA-32e mode guest" control agree (27.3.1.1). Pure: host tests.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The bits of IA32_EFER a guest may hold: SCE, LME, LMA (read-only), NXE. */
#define EFER_GUEST_BITS 0xD01ull

/* WRMSR of IA32_EFER: NULL, and in *efer the new value (LMA is read-only:
 * the value's LMA bit is ignored, the old one kept), or the rule the value
 * breaks (#GP(0), *efer unchanged). cr0: the guest's CR0. */
const char *efer_write(uint64_t *efer, uint64_t value, uint64_t cr0);

/* MOV to CR0 from old_cr0 to new_cr0 with this EFER and CR4, in 64-bit
 * mode (CS.L=1 with LMA) or not: NULL, and in *efer its new LMA (set when
 * paging comes on with LME, cleared when it goes off), or the rule the MOV
 * breaks (#GP(0), *efer unchanged). */
const char *cr0_write_long_mode(uint64_t *efer, uint64_t old_cr0, uint64_t new_cr0, uint64_t cr4,
                                bool cs_long);
