/*
 * exit_counts.h: what one vCPU keeps of its VM exits (64-bit, VMX root):
 * per basic exit reason, how many and how many TSC cycles the hypervisor
 * spent on them (timed by vmx_entry.S from the guest's registers saved to
 * their reload before VMRESUME), and the trace of the last EXIT_TRACE_SIZE
 * exits for failure reports.
 *
 * The types only. struct vcpu (vmx_entry.h) holds them, not a pointer to
 * them: every exit records itself here, and under Bochs each instruction of
 * the exit path is a cycle of its cost, so the counts sit at a fixed offset
 * from the vCPU pointer the exit path already has, as a global's would at a
 * fixed address. They are therefore defined in the VMX layer beside struct
 * vcpu; exit_stats.h records an exit in them and prints them.
 */
#pragma once
#include <stdint.h>
#include "vmx/exit_reasons.h"

#define EXIT_TRACE_SIZE 16   /* a power of two: the index is a mask */

/* 32 bytes (aligned): the ring's index scales with one shift. */
struct __attribute__((aligned(32))) exit_record {
    uint32_t reason;
    uint64_t rip;
    uint64_t qualification;
};

struct exit_reason_stats {
    uint64_t cycles;       /* added by vmx_entry.S, through vcpu->exit_cycles */
    uint64_t count;
};

struct exit_stats {
    struct exit_reason_stats reason[EXIT_REASON_COUNT];
    struct exit_record trace[EXIT_TRACE_SIZE];
    uint64_t total;
};
