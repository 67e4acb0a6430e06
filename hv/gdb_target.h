/*
 * gdb_target.h: the debugger's parts, for each other (64-bit, VMX root).
 * Outside hv/gdb*.c, include gdb.h instead.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "vcpu.h"

/* The vCPU whose VMCS is current, from its first VM exit (or gdb=guest's
 * first stop) on; NULL before: the VMCS monitor commands need it. */
extern struct vcpu *gdb_vcpu;

void gdb_hv_start(void);                 /* gdb_hv.c */
bool gdb_hv_exit(struct vcpu *v);
void gdb_guest_init(void);               /* gdb_guest.c */
bool gdb_guest_exit(struct vcpu *v);

/* gdb_monitor.c: run one `monitor` command (output through printf), and
 * whether `monitor break-on-exit` chose this basic exit reason. */
void gdb_monitor(const char *command);
bool gdb_break_on_exit(unsigned reason);

/* gdb_walk.c: the guest's own 32-bit page tables (SDM vol. 3, 4.3), read
 * the way the CPU would walk them but changing nothing (no accessed or
 * dirty flags). */
struct gdb_walk {
    uint64_t gpa;          /* the guest-physical address, if the walk succeeds */
    uint32_t pde, pte;     /* the entries it used (pte: 0 for a 4 MiB page) */
    bool large;            /* a 4 MiB page (CR4.PSE and PDE.PS) */
    const char *why;       /* why it failed */
};

/* Linear to guest-physical with the guest's CR0, CR3 and CR4: paging off
 * means the same address. False (and w->why) if the tables do not map it,
 * or lie outside guest RAM, or use PAE. */
bool gdb_walk(const struct guest *g, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t linear,
              struct gdb_walk *w);
