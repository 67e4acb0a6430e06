/*
 * trap.h: what happens on a CPU exception (64-bit, ring 0): the handler
 * isr.S calls with the trap frame (trap_frame.h), the debugger's hook, and
 * the names of the exception vectors.
 */
#pragma once
#include "cpu/trap_frame.h"

#ifndef __ASSEMBLER__
#include <stdbool.h>

/* Called by isr.S for every exception vector (0-31). In the base hypervisor
 * each one is fatal: it prints the PANIC report and powers off. */
void trap_handler(struct trap_frame *tf);

/* If set, trap_handler offers it #BP and #DB first; true means they were a
 * debugger's breakpoint or single step, and the trapped code resumes.
 * gdb=hv sets it (gdb_hv.c: gdb_hv_trap); null otherwise. */
extern bool (*trap_debug_hook)(struct trap_frame *tf);

/* The name and mnemonic of an exception vector ("page fault", "#PF"). */
const char *exception_name(unsigned vector);
const char *exception_mnemonic(unsigned vector);
#endif
