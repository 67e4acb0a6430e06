/* bench forkwait: fork a child that exits at once, and wait for it. */
#include "ulib.h"
#define N 200

int main(void)
{
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++) {
        int pid = fork();
        if (pid == 0)
            exit(0);
        if (pid < 0 || wait(NULL) != pid) {
            printf("BENCH forkwait: FAIL fork or wait failed\n");
            return 1;
        }
    }
    bench_report("forkwait", rdtsc() - t, N);
    return 0;
}
