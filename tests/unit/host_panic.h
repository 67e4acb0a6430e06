/*
 * host_panic.h: what panic() does on the host (tests/unit/host_panic.c).
 *
 * By default it prints "PANIC hv: <message>" and aborts: a fuzzer keeps the
 * input. If host_panic_hook is set, panic() hands it the message first; the
 * unit tests' hook (unit.h) fails the running cmocka test, which goes back
 * to cmocka (longjmp) so that the next test runs.
 */
#pragma once
#include <stdarg.h>

extern void (*host_panic_hook)(const char *fmt, va_list ap);
