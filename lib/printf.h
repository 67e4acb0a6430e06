/* printf.h: formatted output to the COM1 console (lib/serial.c). */
#pragma once
#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
