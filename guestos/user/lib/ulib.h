/*
 * ulib.h: the user library: system calls (syscall.h has their contracts),
 * printf to the console, and helpers the tests and benchmarks share.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "../../kernel/syscall.h"
#include "../../../lib/fmt.h"
#include "../../../lib/string.h"

_Noreturn void exit(int status);
int write(int fd, const void *buf, int n);
int read(int fd, void *buf, int n);
int fork(void);
int spawn(const char *name);
int wait(int *status);
int getpid(void);
int yield(void);
int sleep(int ms);
int time(void);
void *sbrk(int delta);
int pipe(int fds[2]);
int close(int fd);
int freemem(void);
int pteflags(void *va, uint32_t clear);
int ptswap(void *va1, void *va2);
struct virtprobe;
int virtprobe(struct virtprobe *out);
int trywait(int *status);
struct apf_stat;
int apfstat(struct apf_stat *out);
int pageout(void *va, int pages);
int syscall_raw(int number, uint32_t a, uint32_t b, uint32_t c);

/* printf to fd 1; each line goes out in one write (lines never mix). */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Test verdicts: the console protocol's "TEST name: ok|FAIL why" lines.
 * CHECK(cond, fmt, ...) fails the test (exits 1) with the reason if cond
 * is false. */
extern const char *test_name;
_Noreturn void test_pass(void);
_Noreturn void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define CHECK(cond, ...) do { if (!(cond)) test_fail(__VA_ARGS__); } while (0)

/* Fork a child that runs fn and exits 0 if fn returns; returns the child's
 * wait status. */
int run_child(void (*fn)(void));

/* Print "BENCH name cycles=<per-op> iterations=<n>". */
void bench_report(const char *name, uint64_t cycles, uint32_t iterations);
