/*
 * console.c: the hypervisor's console and its private verdict channel (see
 * console.h; 64-bit, ring 0, in VMX root operation once the guest runs).
 *
 * lib/printf.c shows this file every character the hypervisor prints before
 * it goes to COM1 (printf_set_observer); the guest's bytes reach COM1 by
 * another way, guest_line.c, and are never seen here. So a line that starts
 * with a verdict prefix is the hypervisor's own, and the copy on port 0xE9
 * holds nothing the guest wrote.
 */
#include "exit/console.h"
#include "exit/guest_line.h"
#include "printf.h"
#include "serial.h"
#include "x86io.h"

/* The lines the runner reads its verdict from (tools/runner/outcome.py):
 * the hypervisor's first line, a panic, the guest's end, the power-off. */
static const char *const verdict_prefixes[] = {
    "hv: hvlab hypervisor", "PANIC ", "hv: guest stopped: ", "POWEROFF ",
};
#define N_VERDICT_PREFIXES (sizeof(verdict_prefixes) / sizeof(verdict_prefixes[0]))

/* The hypervisor's current line, until its newline decides whether it is a
 * verdict line (longer lines are cut: the verdict is in their start). */
static char line[512];
static unsigned line_len;

static struct guest_line guest_line;

static void guest_emit(void *ctx, char c)
{
    (void)ctx;
    serial_putc(c);
}

void console_guest_byte(void *ctx, uint8_t byte)
{
    (void)ctx;
    guest_line_put(&guest_line, byte);
}

static bool starts_with(const char *s, unsigned n, const char *prefix)
{
    for (unsigned i = 0; prefix[i]; i++)
        if (i >= n || s[i] != prefix[i])
            return false;
    return true;
}

static void send_verdict_line(void)
{
    for (unsigned i = 0; i < N_VERDICT_PREFIXES; i++) {
        if (starts_with(line, line_len, verdict_prefixes[i])) {
            for (unsigned k = 0; k < line_len; k++)
                outb(DEBUGCON_PORT, (uint8_t)line[k]);
            outb(DEBUGCON_PORT, '\n');
            return;
        }
    }
}

/* Each character the hypervisor prints, just before it goes to COM1. */
static void observe(char c)
{
    guest_line_end(&guest_line);
    if (c == '\n') {
        send_verdict_line();
        line_len = 0;
    } else if (line_len < sizeof(line)) {
        line[line_len++] = c;
    }
}

void console_init(void)
{
    guest_line_init(&guest_line, guest_emit, NULL);
    printf_set_observer(observe);
}
