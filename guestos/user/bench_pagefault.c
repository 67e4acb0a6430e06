/* bench pagefault: a demand-zero page fault (first touch of a heap page),
 * including the fault, the zeroed page and the return to user mode. */
#include "ulib.h"
#define N 2000

int main(void)
{
    char *heap = sbrk(N * 4096);
    if (heap == (void *)-1) {
        printf("BENCH pagefault: FAIL sbrk\n");
        return 1;
    }
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++)
        heap[i * 4096] = 1;
    bench_report("pagefault", rdtsc() - t, N);
    sbrk(-N * 4096);
    return 0;
}
