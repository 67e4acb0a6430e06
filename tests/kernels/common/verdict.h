/*
 * verdict.h: how the kit's one-case-per-boot test kernels (hostile, pvtest)
 * end a run (verdict.c), and their command line's words.
 *   result("...")  "<kernel>: result ..." and a power-off with status 0;
 *   breach("...")  "<kernel>: BREACH ..." and a power-off with status 1;
 *   panic("...")   "PANIC <kernel>: ..." and a power-off with status 3: a
 *                  student tree's stub in lib/ (lib/panic.h).
 * Each kernel names itself (verdict_kernel) and powers off its own way
 * (verdict_poweroff: port 0xF4, or a PV kernel's sched_op shutdown).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char verdict_kernel[];
_Noreturn void verdict_poweroff(int status);

_Noreturn void result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void breach(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of the word "key..." of the command line (key ends in '='),
 * in out (cut to size - 1 characters); false if there is no such word. */
bool cmdline_word(const char *cmdline, const char *key, char *out, size_t size);

/* The decimal number of the word "key..." (its leading digits), otherwise
 * if there is no such word. */
uint32_t cmdline_number(const char *cmdline, const char *key, uint32_t otherwise);
