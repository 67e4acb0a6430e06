/* fairness: busy processes share the CPU evenly under the preemptive
 * round-robin scheduler (none of them ever yields or sleeps). */
#include "ulib.h"

const char *test_name = "fairness";
#define WORKERS 3
#define RUN_MS 600

int main(void)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    int start = time() + 20;    /* everyone starts and stops together */
    for (int i = 0; i < WORKERS; i++)
        if (fork() == 0) {
            uint32_t count = 0;
            while (time() < start)
                ;
            while (time() < start + RUN_MS)
                for (volatile int k = 0; k < 1000; k++)
                    count++;
            write(fds[1], &count, sizeof count);
            exit(0);
        }
    close(fds[1]);
    uint32_t counts[WORKERS], lo = ~0u, hi = 0;
    for (int i = 0; i < WORKERS; i++) {
        CHECK(read(fds[0], &counts[i], sizeof counts[i]) == sizeof counts[i], "a worker sent no count");
        lo = counts[i] < lo ? counts[i] : lo;
        hi = counts[i] > hi ? counts[i] : hi;
    }
    for (int i = 0; i < WORKERS; i++)
        wait(NULL);
    printf("fairness: loop counts %u %u %u (min/max %u%%)\n", counts[0], counts[1], counts[2],
           (uint32_t)((uint64_t)lo * 100 / hi));
    CHECK(lo > 0 && (uint64_t)lo * 100 / hi >= 60, "unfair shares: min %u, max %u", lo, hi);
    test_pass();
}
