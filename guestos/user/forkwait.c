/* forkwait: fork children that exit with distinct statuses; wait collects
 * each exactly once; grandchildren are reparented, not lost. */
#include "ulib.h"

const char *test_name = "forkwait";
#define CHILDREN 8

int main(void)
{
    int parent = getpid(), pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        CHECK(pids[i] >= 0, "fork %d failed", i);
        if (pids[i] == 0) {
            if (getpid() == parent)
                exit(200);          /* the child must have its own pid */
            if (i == 0 && fork() == 0)
                exit(0);            /* an orphan: init adopts it */
            exit(10 + i);
        }
    }
    int seen = 0;
    for (int n = 0; n < CHILDREN; n++) {
        int status = -1, pid = wait(&status), i = 0;
        while (i < CHILDREN && pids[i] != pid)
            i++;
        CHECK(i < CHILDREN, "wait returned %d, not a child", pid);
        CHECK(status == 10 + i, "child %d exited with %d, expected %d", i, status, 10 + i);
        CHECK(!(seen & 1 << i), "child %d reaped twice", i);
        seen |= 1 << i;
    }
    CHECK(wait(NULL) == -1, "wait returned a child after all were reaped");
    test_pass();
}
