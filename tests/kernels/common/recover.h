/*
 * recover.h: running an instruction that may fault, and going on (badguest's
 * fuzz.c and ptfuzz.c, the hostile kernel). TRY("insn", outputs : inputs :
 * clobbers) stores the address after the instruction in recover_eip; an exception while it is set does
 * not stop the kernel: entry.S (exception_common) writes the vector, error
 * code and the EIP the exception pushed to recovered_vector,
 * recovered_error and recovered_eip, and resumes there.
 */
#pragma once
#include <stdint.h>

extern volatile uint32_t recover_eip, recovered_vector, recovered_error, recovered_eip;

#define NO_FAULT 0xFFFFFFFFu   /* recovered_vector when nothing faulted */

#define TRY(insn, ...) \
    __asm__ volatile("movl $1f, recover_eip\n\t" insn "\n1:\tmovl $0, recover_eip" __VA_ARGS__)
