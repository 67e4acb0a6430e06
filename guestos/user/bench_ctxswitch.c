/* bench ctxswitch: two processes yield to each other; each yield is one
 * switch (through the scheduler) to the other process. */
#include "ulib.h"
#define N 5000

int main(void)
{
    int pid = fork();
    if (pid == 0) {
        for (int i = 0; i < N; i++)
            yield();
        exit(0);
    }
    yield();
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++)
        yield();
    uint64_t cycles = rdtsc() - t;
    wait(NULL);
    /* each of our yields is two switches: to the child and back */
    bench_report("ctxswitch", cycles / 2, N);
    return 0;
}
