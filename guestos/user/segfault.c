/* segfault: memory faults kill the process (status 0x10E): a NULL pointer,
 * a write to the read-only code, a read of kernel memory, a jump to an
 * unmapped address, and a stack that runs past its 1 MiB. */
#include "ulib.h"

const char *test_name = "segfault";

void *main_addr(void);

static void read_null(void) { exit(*(volatile int *)0); }
static void write_code(void) { *(volatile char *)main_addr() = 0; }
static void read_kernel(void) { exit(*(volatile int *)0xC0100000); }
static void jump_unmapped(void) { ((void (*)(void))0x30000000)(); }
static int recurse(int n)
{
    volatile char pad[4096];
    pad[0] = (char)n;
    return n < 0 ? 0 : recurse(n + 1) + pad[0];
}
static void overflow_stack(void) { exit(recurse(0)); }

int main(void)
{
    void (*cases[])(void) = {read_null, write_code, read_kernel, jump_unmapped, overflow_stack};
    const char *names[] = {"read of NULL", "write to code", "read of kernel memory", "jump to unmapped",
                           "stack overflow"};
    for (int i = 0; i < 5; i++) {
        int status = run_child(cases[i]);
        CHECK(STATUS_KILLED(status) && STATUS_TRAPNO(status) == 14, "%s: status 0x%x, expected 0x10e",
              names[i], status);
    }
    test_pass();
}

void *main_addr(void) { return (void *)main; }
