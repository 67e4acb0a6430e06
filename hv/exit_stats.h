/*
 * exit_stats.h: what the VM exits cost, and the last few of them (64-bit,
 * VMX root). Per basic exit reason: how many, and how many TSC cycles the
 * hypervisor spent on them, from the exit reaching C to the next VM entry.
 * The trace keeps the last EXIT_TRACE_SIZE exits for failure reports.
 */
#pragma once
#include <stdint.h>
#include "exit_reasons.h"

#define EXIT_TRACE_SIZE 16   /* a power of two: the index is a mask */

struct exit_record {
    uint32_t reason;
    uint64_t rip;
    uint64_t qualification;
};

struct exit_stats {
    uint64_t count[EXIT_REASON_COUNT];
    uint64_t cycles[EXIT_REASON_COUNT];
    struct exit_record trace[EXIT_TRACE_SIZE];
    uint64_t total;
};

extern struct exit_stats exit_stats;

/* Count one exit and remember it in the trace; returns where its cycles
 * go. It runs on every VM exit, where every instruction is part of the
 * exit's cost: so it is inline. A reason out of range counts as 0. */
static inline uint64_t *exit_stats_record(uint32_t reason, uint64_t rip, uint64_t qualification)
{
    unsigned basic = reason & 0xFFFF, slot = basic < EXIT_REASON_COUNT ? basic : 0;
    exit_stats.count[slot]++;
    exit_stats.trace[exit_stats.total++ % EXIT_TRACE_SIZE] = (struct exit_record){ reason, rip, qualification };
    return &exit_stats.cycles[slot];
}

/* "hv: exits ..." table, one line per reason seen. */
void exit_stats_print(void);
/* "hv: last exits ..." oldest first. */
void exit_trace_print(void);
