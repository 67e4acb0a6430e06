/* printf.h: formatted output to the COM1 console (lib/serial.c). */
#pragma once
#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

/* Send printf's characters to putc(ctx, c) instead of COM1 until called
 * again with NULL (the hypervisor's GDB stub turns a monitor command's
 * output into packets this way). */
void printf_redirect(void (*putc)(void *ctx, char c), void *ctx);

/* Show observe() each character before it goes to COM1 (not while
 * redirected): the hypervisor ends a half-written guest line there and copies
 * its verdict lines to its private channel (hv/exit/console.c). */
void printf_set_observer(void (*observe)(char c));
