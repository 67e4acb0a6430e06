/* bench null: the cost of the cheapest system call (getpid) round trip. */
#include "ulib.h"
#define N 20000

int main(void)
{
    getpid();
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++)
        getpid();
    bench_report("null", rdtsc() - t, N);
    return 0;
}
