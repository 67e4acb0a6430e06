/*
 * exit_stats.h: what the VM exits cost, and the last few of them (64-bit,
 * VMX root). Each vCPU keeps its own counts (struct exit_stats in
 * exit_counts.h, held in struct vcpu as v->stats): per basic exit reason,
 * how many, and how many TSC cycles the hypervisor spent on them; the trace
 * keeps the last EXIT_TRACE_SIZE exits for failure reports. A VM's figures
 * are its vCPU's (one vCPU a VM until lab 4).
 */
#pragma once
#include <stdint.h>
#include "vmx/exit_counts.h"
#include "vmx/exit_reasons.h"

/* Count one exit in s and remember it in the trace; returns where its
 * cycles go. It runs on every VM exit, where every instruction is part of
 * the exit's cost: so it is inline. A reason out of range counts as 0. */
static inline uint64_t *exit_stats_record(struct exit_stats *s, uint32_t reason, uint64_t rip,
                                          uint64_t qualification)
{
    unsigned basic = reason & 0xFFFF;
    struct exit_reason_stats *r = basic < EXIT_REASON_COUNT ? &s->reason[basic] : &s->reason[0];
    struct exit_record *e = &s->trace[s->total++ % EXIT_TRACE_SIZE];
    r->count++;
    e->reason = reason;
    e->rip = rip;
    e->qualification = qualification;
    return &r->cycles;
}

/* "hv: <tag>exits ..." table, one line per reason seen; tag names the VM
 * ("" for VM 0, "vm1: ": guest.h). */
void exit_stats_print(const struct exit_stats *s, const char *tag);
/* "hv: <tag>the last N VM exits ..." oldest first. */
void exit_trace_print(const struct exit_stats *s, const char *tag);
