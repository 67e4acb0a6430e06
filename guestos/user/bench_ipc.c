/* bench ipc: a one-byte ping-pong over two pipes: per round trip, two
 * writes, two reads and two context switches. */
#include "ulib.h"
#define N 2000

int main(void)
{
    int ping[2], pong[2];
    char b = 0;
    if (pipe(ping) < 0 || pipe(pong) < 0) {
        printf("BENCH ipc: FAIL pipe\n");
        return 1;
    }
    if (fork() == 0) {
        close(ping[1]);     /* else our own write end keeps the pipe open */
        while (read(ping[0], &b, 1) == 1)
            write(pong[1], &b, 1);
        exit(0);
    }
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++) {
        write(ping[1], &b, 1);
        read(pong[0], &b, 1);
    }
    uint64_t cycles = rdtsc() - t;
    close(ping[1]);
    wait(NULL);
    bench_report("ipc", cycles, N);
    return 0;
}
