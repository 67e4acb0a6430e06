/*
 * fmt.h: printf-style formatting for freestanding code.
 *
 * Conversions: %c %s %d %i %u %x %X %o %p %%; flags '-' and '0'; a field width
 * (a number or '*'); a precision for %s ('.N' or '.*'); length modifiers
 * hh h l ll z j t. %p prints 0x followed by the pointer in hex.
 * An unknown conversion is printed as-is, so a typo shows in the output.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* Receives each output character; ctx is the caller's. */
typedef void (*fmt_putc_fn)(void *ctx, char c);

/* Format to a callback. Returns the number of characters produced. */
int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap);

/* Format into buf (always NUL-terminated when size > 0). Returns the length
 * the whole output would have had, as C99's vsnprintf does. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
