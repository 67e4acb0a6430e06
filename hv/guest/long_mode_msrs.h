/*
 * long_mode_msrs.h: the MSRs of a 64-bit kernel (FS and GS bases, SWAPGS's
 * KERNEL_GS_BASE, SYSCALL's STAR, LSTAR, CSTAR and SFMASK), which the guest
 * reads and writes in the real CPU (64-bit, VMX root operation). See
 * long_mode_msrs.c for why that is safe and the cheapest design.
 */
#pragma once
#include <stdint.h>
#include "long_mode_msr_numbers.h"   /* lib/ */

/* The ones no VMCS field holds: switched between VMs by hand. */
#define LONG_MODE_SWITCHED_MSRS 5

/* Clear their bits in a VMCS's MSR bitmap page (reads and writes). */
void long_mode_msrs_pass_through(uint8_t *msr_bitmap);

/* The guest's values of the switched MSRs, saved from the CPU, loaded into
 * it, or reset to their power-on value 0 (SDM vol. 3, 10.1.1, table 10-1). */
void long_mode_msrs_save(uint64_t saved[LONG_MODE_SWITCHED_MSRS]);
void long_mode_msrs_load(const uint64_t saved[LONG_MODE_SWITCHED_MSRS]);
void long_mode_msrs_reset(void);
