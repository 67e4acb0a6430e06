/*
 * exit_io_string.h: string I/O, INS and OUTS with or without REP, to and
 * from every port the hypervisor emulates (64-bit, VMX root operation).
 * One element at a time through the same single-port path as IN and OUT:
 * each element is made one IN or OUT of its size (the exit qualification
 * rewritten without its string and REP bits, the value in RAX), handed to
 * the caller's `element`, and its bytes moved from or to the guest's
 * memory as the CPU would move them: through the guest's segments (limits
 * and types) and its own page tables, with the fault the CPU would raise.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* Where the guest runs when its string instruction exits. */
struct string_io_cpu {
    unsigned cpl;                               /* its privilege: U/S of its page walks */
    void (*element)(struct vcpu *v);            /* one IN or OUT, from v->exit_qualification
                                                 * and v->regs.rax; advance_rip allowed */
    void (*fault)(struct vcpu *v, unsigned vector, uint32_t error);
                                                /* deliver an exception at the instruction
                                                 * (CR2 already written for #PF) */
    void (*writes)(struct vcpu *v, uint64_t gpa);
                                                /* or NULL: INS is about to write guest-physical
                                                 * gpa's page (bt=1 drops code translated from it) */
};

/* Emulate the INS or OUTS that exited (v->exit_qualification says which),
 * at most STRING_IO_ELEMENTS_PER_EXIT elements an exit: a longer REP
 * leaves RIP on the instruction, with RCX, RSI and RDI as after the
 * elements done, and the rest runs on the next entries, interrupts
 * between them as the CPU itself allows (SDM vol. 2B, REP). */
#define STRING_IO_ELEMENTS_PER_EXIT 4096
void string_io(struct vcpu *v, const struct string_io_cpu *cpu);
