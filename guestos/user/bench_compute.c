/* bench compute: a CPU-bound loop with no traps at all: what the guest's
 * own code costs, the baseline for every virtualisation overhead. */
#include "ulib.h"
#define N 1000000

int main(void)
{
    uint32_t x = 1;
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++)
        x = x * 1103515245u + 12345u;   /* a linear congruential step */
    uint64_t cycles = rdtsc() - t;
    if (x == 0)
        printf("(unlikely)\n");         /* keeps the loop from being optimised away */
    bench_report("compute", cycles, N);
    return 0;
}
