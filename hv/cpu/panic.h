/*
 * panic.h: stop the hypervisor loudly (64-bit, ring 0).
 *
 * Every fatal error ends the same way: a line "PANIC hv: <what>", the
 * registers, a symbolised backtrace, then poweroff(POWEROFF_PANIC), whose
 * "POWEROFF 3" line tells the runner the run failed and why.
 */
#pragma once
#include "cpu/trap_frame.h"

/* Print "PANIC hv: <message>", the caller's registers and a backtrace, then
 * power off. Entered through isr.S, which saves the registers first. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* If set, called after the registers and backtrace of the first panic, to
 * print what else explains it (exit.c: the last VM exits). */
extern void (*panic_context_hook)(void);

/* The two halves of a report, for trap.c, which prints its own PANIC line:
 * panic_start() prints "PANIC hv: " (or the recursive-panic prefix);
 * panic_finish() prints the registers of tf and the backtrace, and powers
 * off. If rip_is_return_address, tf->rip is the address after a call
 * instruction (panic's caller), not the instruction that failed. */
void panic_start(void);
_Noreturn void panic_finish(const struct trap_frame *tf, int rip_is_return_address);
