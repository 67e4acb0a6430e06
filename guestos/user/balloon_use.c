/* balloon_use: memory a balloon brought in (lab 5: cpu=pv with maxmem= and
 * balloon=; guestos/kernel/pv/balloon.c). It waits until the kernel has
 * more pages free than the VM started with (tests/integration/
 * guest_cases.py starts it with 16 MiB, and asks its balloon for 24), then
 * grows its heap by USE_MIB and writes and reads back every page: only a
 * VM that grew past its start can. test=all leaves balloon_* out
 * (kernel/runner.c): it runs only where named. */
#include "ulib.h"

const char *test_name = "balloon_use";
#define USE_MIB 17
#define USE (USE_MIB << 20)
#define SLACK 64                    /* pages for its page tables */
#define WAIT_MS 30000

int main(void)
{
    int at_start = freemem(), waited = 0;
    while (freemem() < USE / 4096 + SLACK && waited < WAIT_MS) {
        sleep(100);
        waited += 100;
    }
    CHECK(freemem() >= USE / 4096 + SLACK, "%d pages free after %d ms (%d at its start): the balloon brought "
          "no room for %d MiB", freemem(), waited, at_start, USE_MIB);
    char *base = sbrk(USE);
    CHECK(base != (void *)-1, "sbrk(%d MiB) failed", USE_MIB);
    for (int off = 0; off < USE; off += 4096)
        base[off] = (char)(off >> 12), base[off + 4095] = (char)~(off >> 12);
    int wrong = 0;
    for (int off = 0; off < USE; off += 4096)
        wrong += base[off] != (char)(off >> 12) || base[off + 4095] != (char)~(off >> 12);
    CHECK(!wrong, "%d of %d pages lost what was written", wrong, USE / 4096);
    printf("balloon_use: %d MiB written and read back (%d pages free at its start, waited %d ms)\n", USE_MIB,
           at_start, waited);
    test_pass();
}
