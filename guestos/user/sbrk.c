/* sbrk: the heap grows and shrinks; freed pages go back to the kernel; an
 * access above the break is fatal; impossible requests fail cleanly. */
#include "ulib.h"

const char *test_name = "sbrk";
#define GROW (2 * 1024 * 1024)

static char *top;

static void touch_above_break(void)
{
    top[0] = 1;     /* must kill this child */
}

int main(void)
{
    int before = freemem();
    char *base = sbrk(0);
    CHECK(sbrk(GROW) == base, "sbrk(+%d) did not return the old break", GROW);
    CHECK(freemem() >= before - 1, "growing allocated pages before they were touched");
    memset(base, 0x5A, GROW);
    int used = before - freemem();
    CHECK(used >= GROW / 4096, "touching %d pages took only %d", GROW / 4096, used);
    CHECK(base[GROW - 1] == 0x5A, "lost the last byte");
    CHECK(sbrk(-GROW / 2) == base + GROW, "shrink did not return the old break");
    CHECK(before - freemem() <= used - GROW / 8192, "shrinking freed no pages");
    top = base + GROW / 2;
    int status = run_child(touch_above_break);
    CHECK(STATUS_KILLED(status) && STATUS_TRAPNO(status) == 14,
          "an access above the break gave status 0x%x, not a kill by page fault", status);
    CHECK(sbrk(-GROW / 2) == base + GROW / 2 && sbrk(0) == base, "shrink to the start");
    CHECK(sbrk(-4096) == (void *)-1, "shrinking below the heap's start did not fail");
    CHECK(sbrk(0x60000000) == base, "1.5 GiB of (untouched) heap failed");
    CHECK(sbrk(0x60000000) == (void *)-1, "a heap reaching into the stack did not fail");
    CHECK(sbrk(-0x60000000) == base + 0x60000000 && sbrk(0) == base, "giving 1.5 GiB back failed");
    CHECK(freemem() >= before - 2, "%d pages leaked", before - freemem());
    test_pass();
}
