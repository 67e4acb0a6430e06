/* cow: fork shares memory copy-on-write: neither side sees the other's
 * writes, and only the pages written are copied. */
#include "ulib.h"

const char *test_name = "cow";
#define PAGES 64

static char data[PAGES * 4096];     /* .bss: demand-zero, then shared */

static void fill(char v)
{
    for (int i = 0; i < PAGES; i++)
        data[i * 4096] = v + i;
}

static int holds(char v)
{
    for (int i = 0; i < PAGES; i++)
        if (data[i * 4096] != (char)(v + i))
            return 0;
    return 1;
}

static void child_writes(void)
{
    if (!holds(1))
        exit(2);                    /* the child must see the parent's data */
    int before = freemem();
    data[0] = 99;                   /* one write: one page copied */
    int copied = before - freemem();
    if (copied < 1 || copied > 2)
        exit(3);
    fill(50);
    exit(holds(50) ? 0 : 4);
}

int main(void)
{
    /* The child waits for a byte on `go` until the parent has counted what
     * fork used: else a timer tick could run the child's copies first. */
    int go[2];
    CHECK(pipe(go) == 0, "pipe");
    fill(1);
    int before = freemem();
    int pid = fork();
    CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1)
            exit(5);
        child_writes();
    }
    int used = before - freemem();
    CHECK(write(go[1], "g", 1) == 1, "write to the child");
    /* the child's directory, page tables and kernel stack, not PAGES pages */
    CHECK(used < PAGES / 2, "fork used %d pages for %d shared ones", used, PAGES);
    int status = -1;
    CHECK(wait(&status) == pid, "wait");
    CHECK(status == 0, "the child saw wrong data (status %d)", status);
    CHECK(holds(1), "the child's writes reached the parent");
    fill(7);    /* now the only owner: no copy, just write access back */
    CHECK(holds(7), "the parent cannot write its pages after the child exited");
    CHECK(freemem() >= before - 2, "%d pages leaked", before - freemem());
    test_pass();
}
