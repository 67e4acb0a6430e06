/* ulib.c: printf, test verdicts and the benchmark line (see ulib.h). */
#include "ulib.h"

struct linebuf { char buf[256]; int len; };

static void flush(struct linebuf *lb)
{
    if (lb->len > 0)
        write(1, lb->buf, lb->len);
    lb->len = 0;
}

static void put_char(void *ctx, char c)
{
    struct linebuf *lb = ctx;
    lb->buf[lb->len++] = c;
    if (c == '\n' || lb->len == (int)sizeof lb->buf)
        flush(lb);
}

int printf(const char *fmt, ...)
{
    struct linebuf lb = {.len = 0};
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vformat(put_char, &lb, fmt, ap);
    va_end(ap);
    flush(&lb);
    return n;
}

/* Each test defines its own; benchmarks have none. */
__attribute__((weak)) const char *test_name = "unnamed";

_Noreturn void test_pass(void)
{
    printf("TEST %s: ok\n", test_name);
    exit(0);
}

_Noreturn void test_fail(const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    printf("TEST %s: FAIL %s\n", test_name, why);
    exit(1);
}

int run_child(void (*fn)(void))
{
    int pid = fork(), status = -1;
    if (pid == 0) {
        fn();
        exit(0);
    }
    if (pid < 0 || wait(&status) != pid)
        return -1;
    return status;
}

void bench_report(const char *name, uint64_t cycles, uint32_t iterations)
{
    printf("BENCH %s cycles=%llu iterations=%u\n", name, cycles / (iterations ? iterations : 1),
           iterations);
}
