/* badptr: a bad pointer passed to a system call kills the caller (status
 * 0x10E, like a page fault) with a message, and the kernel goes on. */
#include "ulib.h"

const char *test_name = "badptr";

static void write_kernel_address(void) { write(1, (void *)0xC0100000, 16); }
static void write_unmapped(void) { write(1, (void *)0x10, 16); }
static void wait_into_code(void) { fork() ? wait((int *)0x00400000) : exit(0); }  /* read-only text */
static void pipe_above_stack(void) { pipe((int *)0xFFFFF000); }

int main(void)
{
    void (*cases[])(void) = {write_kernel_address, write_unmapped, wait_into_code, pipe_above_stack};
    const char *names[] = {"write from kernel memory", "write from page 0", "wait into code", "pipe above 3 GiB"};
    for (int i = 0; i < 4; i++) {
        int status = run_child(cases[i]);
        CHECK(STATUS_KILLED(status) && STATUS_TRAPNO(status) == 14, "%s: status 0x%x, not killed", names[i],
              status);
    }
    test_pass();
}
