/*
 * host_panic.c: panic() for the host unit tests and fuzzers.
 *
 * The pure modules they test never call panic() in the reference, but a
 * student tree's stubs do ("LAB k: your code here"): linked with this, the
 * tests of a module still to write build, and fail by naming the stub.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/panic.h"
#include "host_panic.h"

void (*host_panic_hook)(const char *fmt, va_list ap);

void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (host_panic_hook)
        host_panic_hook(fmt, ap);    /* the unit tests': fails the test, does not return */
    fputs("PANIC hv: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
