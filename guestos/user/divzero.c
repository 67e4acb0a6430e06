/* divzero: a division by zero kills the process (status 0x100 + #DE). */
#include "ulib.h"

const char *test_name = "divzero";

static volatile int zero;

static void divide_by_zero(void) { exit(100 / zero); }

int main(void)
{
    int status = run_child(divide_by_zero);
    CHECK(STATUS_KILLED(status) && STATUS_TRAPNO(status) == 0, "status 0x%x, not killed by #DE", status);
    test_pass();
}
