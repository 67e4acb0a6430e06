/*
 * exit_stats.h: what the VM exits cost, and the last few of them (64-bit,
 * VMX root). Per basic exit reason: how many, and how many TSC cycles the
 * hypervisor spent on them, timed by vmx_entry.S from the guest's registers
 * saved to their reload before VMRESUME.
 * The trace keeps the last EXIT_TRACE_SIZE exits for failure reports.
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
    uint64_t count;
    uint64_t cycles;       /* added by vmx_entry.S, through vcpu->exit_cycles */
};

struct exit_stats {
    struct exit_reason_stats reason[EXIT_REASON_COUNT];
    struct exit_record trace[EXIT_TRACE_SIZE];
    uint64_t total;
};

extern struct exit_stats exit_stats;

/* Count one exit and remember it in the trace; returns where its cycles
 * go. It runs on every VM exit, where every instruction is part of the
 * exit's cost: so it is inline. A reason out of range counts as 0. */
static inline uint64_t *exit_stats_record(uint32_t reason, uint64_t rip, uint64_t qualification)
{
    unsigned basic = reason & 0xFFFF;
    struct exit_reason_stats *r = &exit_stats.reason[basic < EXIT_REASON_COUNT ? basic : 0];
    struct exit_record *e = &exit_stats.trace[exit_stats.total++ % EXIT_TRACE_SIZE];
    r->count++;
    e->reason = reason;
    e->rip = rip;
    e->qualification = qualification;
    return &r->cycles;
}

/* "hv: exits ..." table, one line per reason seen. */
void exit_stats_print(void);
/* "hv: last exits ..." oldest first. */
void exit_trace_print(void);
