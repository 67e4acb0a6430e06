/* printf.c: printf to the COM1 console, built on fmt.c and serial.c. */
#include "printf.h"
#include "fmt.h"
#include "serial.h"

static void (*redirect_putc)(void *ctx, char c);
static void *redirect_ctx;
static void (*observer)(char c);

void printf_set_observer(void (*observe)(char c))
{
    observer = observe;
}

void printf_redirect(void (*putc)(void *ctx, char c), void *ctx)
{
    redirect_putc = putc;
    redirect_ctx = ctx;
}

static void console_putc(void *ctx, char c)
{
    (void)ctx;
    if (redirect_putc) {
        redirect_putc(redirect_ctx, c);
        return;
    }
    if (observer)
        observer(c);
    serial_putc(c);
}

int vprintf(const char *fmt, va_list ap)
{
    return fmt_vformat(console_putc, NULL, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
