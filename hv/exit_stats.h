/*
 * exit_stats.h: what the VM exits cost, and the last few of them (64-bit,
 * VMX root). Per basic exit reason: how many, and how many TSC cycles the
 * hypervisor spent on them, from the exit reaching C to the next VM entry.
 * The trace keeps the last EXIT_TRACE_SIZE exits for failure reports.
 */
#pragma once
#include <stdint.h>

#define EXIT_TRACE_SIZE 16

struct exit_record {
    uint32_t reason;
    uint64_t rip;
    uint64_t qualification;
};

/* Count one exit and remember it in the trace. */
void exit_stats_record(uint32_t reason, uint64_t rip, uint64_t qualification);
/* Add the cycles the last exit took in the hypervisor. */
void exit_stats_add_cycles(uint32_t reason, uint64_t cycles);

/* "hv: exits ..." table, one line per reason seen. */
void exit_stats_print(void);
/* "hv: last exits ..." oldest first. */
void exit_trace_print(void);
