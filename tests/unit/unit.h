/*
 * unit.h: what every host unit test includes (cmocka, and the one line each
 * test binary ends with, which tests/unit/run.sh sums up).
 */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "host_panic.h"

/* A panic() in a test (a student tree's stub: "LAB k: your code here")
 * fails that test with the panic's line, and the next test runs: cmocka's
 * fail() jumps back to its runner. Outside a test, it ends the binary. */
static inline void unit_panic(const char *fmt, va_list ap)
{
    char what[256];
    vsnprintf(what, sizeof(what), fmt, ap);
    fail_msg("PANIC hv: %s", what);
}

/* Run the tests and print "unit-result <group> <passed> <failed>". The exit
 * status is non-zero if any test failed. */
#define RUN_UNIT_TESTS(group, tests) \
    run_unit_tests(group, tests, sizeof(tests) / sizeof((tests)[0]))

static inline int run_unit_tests(const char *group, const struct CMUnitTest *tests, size_t n)
{
    host_panic_hook = unit_panic;
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    if (failed < 0 || (size_t)failed > n)
        failed = (int)n;   /* the group itself failed: count every test */
    print_message("unit-result %s %d %d\n", group, (int)n - failed, failed);
    return failed != 0;
}

/* Bytes written as hex pairs with spaces ("8b 1d b0 00 e0 fe"), as objdump
 * and the SDM show an instruction, into bytes[0..max); returns how many. */
static inline size_t unit_hex_bytes(const char *hex, uint8_t *bytes, size_t max)
{
    size_t n = 0;
    for (const char *p = hex; *p && n < max; ) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        bytes[n++] = (uint8_t)strtoul(p, (char **)&p, 16);
    }
    return n;
}
