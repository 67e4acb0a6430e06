/* scrub.h: zeroing memory that changes hands (64-bit, VMX root): a guest's
 * RAM before its VM is made, so that nothing the machine or the hypervisor
 * left there reaches the guest. */
#pragma once
#include <stdint.h>

/* Zero bytes at physical address pa (identity-mapped). */
void scrub(uint64_t pa, uint64_t bytes);

/* Fill every free page with `byte`: the fill_free= test option, which
 * proves that nothing a guest gets relies on the machine's RAM starting
 * zero (a fresh emulator's does). */
void scrub_fill_free(uint8_t byte);
