/* input_echo: console input works, and is interrupt driven (kernel/uart.c:
 * IRQ 4 fills the buffer that read(0, ...) drains; nothing else reads the
 * UART). It asks for input with the console protocol's "INPUT ready" line,
 * reads one line and prints it back for the harness to compare.
 *
 * Programs named input_* run only when named (test=input_echo, with
 * `hvrun --input`): under test=all nobody would type. */
#include "ulib.h"

const char *test_name = "input_echo";

int main(void)
{
    char line[100];
    int n = 0, reads = 0, newline = -1;
    printf("INPUT ready\n");
    while (newline < 0) {
        CHECK(n < (int)sizeof line - 1, "no end of line in the first %d bytes", n);
        int got = read(0, line + n, (int)sizeof line - 1 - n);
        CHECK(got > 0, "read(0) returned %d", got);
        for (int i = n; i < n + got && newline < 0; i++)
            if (line[i] == '\n' || line[i] == '\r')
                newline = i;
        n += got;
        reads++;
    }
    line[newline] = 0;
    printf("input_echo: '%s' (%d bytes in %d reads)\n", line, newline, reads);
    CHECK(newline > 0, "an empty line");
    test_pass();
}
