/* syscall: every system call once, with its success and its error cases. */
#include "ulib.h"

const char *test_name = "syscall";

int main(void)
{
    int pid = getpid();
    CHECK(pid > 1, "getpid returned %d", pid);
    CHECK(write(1, "", 0) == 0, "write of 0 bytes");
    CHECK(write(7, "x", 1) == -1, "write to a closed fd did not fail");
    CHECK(write(-1, "x", 1) == -1, "write to fd -1 did not fail");
    CHECK(yield() == 0, "yield");
    int t0 = time();
    CHECK(sleep(20) == 0, "sleep");
    CHECK(time() >= t0 + 20, "time advanced %d ms across sleep(20)", time() - t0);
    CHECK(freemem() > 0, "freemem returned %d", freemem());
    CHECK(syscall_raw(999, 0, 0, 0) == -1, "an unknown system call did not fail");

    char *brk = sbrk(0);
    CHECK(sbrk(4096) == brk && sbrk(0) == brk + 4096, "sbrk did not move the break");
    CHECK(sbrk(-4096) == brk + 4096 && sbrk(0) == brk, "sbrk did not move the break back");

    int status = -1, child = spawn("helper_hello");
    CHECK(child > pid, "spawn returned %d", child);
    CHECK(wait(&status) == child && status == 42, "wait after spawn: status %d", status);
    CHECK(spawn("no_such_program") == -1, "spawn of a missing program did not fail");
    CHECK(wait(&status) == -1, "wait without children did not return -1");

    int fds[2];
    char buf[8] = {0};
    CHECK(pipe(fds) == 0, "pipe");
    CHECK(write(fds[1], "ping", 4) == 4, "write to a pipe");
    CHECK(read(fds[0], buf, sizeof buf) == 4 && !memcmp(buf, "ping", 4), "read from a pipe");
    CHECK(close(fds[1]) == 0 && read(fds[0], buf, 1) == 0, "read at the end of a pipe did not return 0");
    CHECK(close(fds[0]) == 0 && close(fds[0]) == -1, "close of a closed fd did not fail");
    test_pass();
}
