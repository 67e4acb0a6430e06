/* console_lines: the console's throughput (tests/bench/split.py): LINES
 * lines of 64 bytes, each one write to the console, timed by the TSC:
 *     BENCH console_lines cycles=<TSC cycles per line> iterations=LINES
 * The same lines go out through whatever console the kernel has: the
 * UART (natively, or the hypervisor's emulated one: an exit per port
 * access), the PV kernel's console_io (an exit per line), or its split
 * console (a ring to the driver VM). Under the hypervisor the TSC counts
 * wall time (tsc=wall): a driver VM's work for these lines, done while
 * this one waits for room in the ring, is in the count. Not in test=all
 * (runner.c's NAMED_ONLY): its lines would fill every run's console. */
#include "ulib.h"
#define LINES 1000

int main(void)
{
    char line[65];
    memset(line, '.', 63);
    line[63] = '\n';
    line[64] = 0;
    uint64_t t = rdtsc();
    for (int i = 0; i < LINES; i++) {
        for (int d = 0, n = i; d < 4; d++, n /= 10)
            line[18 - d] = (char)('0' + n % 10);
        memcpy(line, "console_lines: ", 15);
        if (write(1, line, 64) != 64)
            test_fail("write of line %d", i);
    }
    bench_report("console_lines", rdtsc() - t, LINES);
    printf("TEST console_lines: ok\n");
    return 0;
}
