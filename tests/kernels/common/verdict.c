/*
 * verdict.c: the end of a test kernel's run, and its command line's words
 * (verdict.h).
 */
#include <stdarg.h>
#include "panic.h"
#include "printf.h"
#include "string.h"
#include "verdict.h"

static void line(const char *kind, const char *fmt, va_list ap)
{
    printf("%s: %s ", verdict_kernel, kind);
    vprintf(fmt, ap);
    printf("\n");
}

_Noreturn void result(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("result", fmt, ap);
    va_end(ap);
    verdict_poweroff(0);
}

/* A student tree's stub in lib/ (lib/panic.h): "PANIC <kernel>: LAB k:
 * your code here: ...", and the status of a failed run. */
_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("PANIC %s: ", verdict_kernel);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    verdict_poweroff(3);
}

_Noreturn void breach(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line("BREACH", fmt, ap);
    va_end(ap);
    verdict_poweroff(1);
}

bool cmdline_word(const char *cmdline, const char *key, char *out, size_t size)
{
    size_t k = strlen(key);
    for (const char *p = cmdline; *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && strncmp(p, key, k) == 0) {
            size_t n = 0;
            for (p += k; *p && *p != ' ' && n + 1 < size; p++)
                out[n++] = *p;
            out[n] = 0;
            return true;
        }
    }
    return false;
}

uint32_t cmdline_number(const char *cmdline, const char *key, uint32_t otherwise)
{
    char word[16];
    if (!cmdline_word(cmdline, key, word, sizeof(word)))
        return otherwise;
    uint32_t n = 0;
    for (const char *p = word; *p >= '0' && *p <= '9'; p++)
        n = n * 10 + (uint32_t)(*p - '0');
    return n;
}
