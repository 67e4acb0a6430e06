/* timer: the clock ticks while a process computes (the PIT interrupts user
 * code), sleep() sleeps at least as long as asked and not much longer, and
 * the TSC agrees with the PIT about how long that was. */
#include "ulib.h"

const char *test_name = "timer";
#define SLEEP_MS 100

int main(void)
{
    /* busy for 200 ms of timer time: only timer interrupts move time() */
    int t0 = time(), t;
    uint64_t c0 = rdtsc();
    while ((t = time()) < t0 + 200)
        ;
    uint64_t cycles_per_ms = (rdtsc() - c0) / (uint32_t)(t - t0);
    CHECK(cycles_per_ms > 0, "the TSC did not advance in 200 ms");

    uint64_t c0_call = rdtsc();
    int s0 = time();
    uint64_t c1 = rdtsc();
    sleep(SLEEP_MS);
    int slept = time() - s0;
    uint64_t tsc_ms = (rdtsc() - c1) / cycles_per_ms;
    /* Not much longer than asked: a tick for sys_sleep's rounding up, one
     * for where s0 fell in its tick, one for the wake-up's scheduling; and
     * the time of the two time() calls that bracket the sleep, while the
     * PIT's count goes on: nothing to speak of on a CPU where a system
     * call is cheap, but 9 ms of a 10 ms tick each for a kernel whose
     * every sensitive instruction is an INT3 emulated by a hypervisor
     * (cpu=deprivileged patch=1: 37,647 cycles under Bochs), which read
     * 130 or 140 ms by where the ticks happened to fall. */
    uint32_t call_ms = (uint32_t)((c1 - c0_call) / cycles_per_ms);
    printf("timer: sleep(%d) took %d ms by the PIT, %u ms by the TSC (%u cycles/ms; a time() call %u ms)\n",
           SLEEP_MS, slept, (uint32_t)tsc_ms, (uint32_t)cycles_per_ms, call_ms);
    CHECK(slept >= SLEEP_MS, "sleep(%d) returned after %d ms", SLEEP_MS, slept);
    CHECK(slept <= SLEEP_MS + 30 + 2 * (int)call_ms, "sleep(%d) took %d ms (a time() call %u ms)", SLEEP_MS, slept,
          call_ms);
    /* the TSC is not the PIT: under a loaded host or a hypervisor the two
     * drift, so only a gross disagreement fails */
    CHECK(tsc_ms >= SLEEP_MS / 2 && tsc_ms <= SLEEP_MS * 4, "the TSC says sleep(%d) took %u ms", SLEEP_MS,
          (uint32_t)tsc_ms);
    test_pass();
}
