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
 * the hypervisor's first line, a panic, a guest's end (VM 0's, or with
 * several VMs "hv: vm1: guest stopped: ..."), the VMs' joint end, the
 * power-off. */
static const char *const verdict_prefixes[] = {
    "hv: hvlab hypervisor", "PANIC ", "hv: guest stopped: ", "hv: VMs ended: ", "POWEROFF ",
};
#define N_VERDICT_PREFIXES (sizeof(verdict_prefixes) / sizeof(verdict_prefixes[0]))
#define VM_STOPPED_SUFFIX ": guest stopped: "   /* after "hv: vmN" */

/* The console is the hypervisor's, one for the machine, as COM1 is; what is
 * a guest's is its line (struct guest_line, in its VM's devices). */

/* The hypervisor's current line, until its newline decides whether it is a
 * verdict line (longer lines are cut: the verdict is in their start). */
static char line[512];
static unsigned line_len;

/* The guest line the console last relayed a byte of, if it may be half
 * written: the hypervisor's next line, or another VM's byte, ends it
 * first. */
static struct guest_line *open_line;

static void guest_emit(void *ctx, char c)
{
    (void)ctx;
    serial_putc(c);
}

void console_guest_init(struct guest_line *g, const char *tag)
{
    guest_line_init(g, guest_emit, NULL, tag);
}

void console_guest_byte(void *ctx, uint8_t byte)
{
    struct guest_line *g = ctx;
    if (open_line && open_line != g)
        guest_line_end(open_line);
    open_line = g;
    guest_line_put(g, byte);
}

static bool starts_with(const char *s, unsigned n, const char *prefix)
{
    for (unsigned i = 0; prefix[i]; i++)
        if (i >= n || s[i] != prefix[i])
            return false;
    return true;
}

/* "hv: vm1: guest stopped: ...": a later VM's end. */
static bool vm_stopped_line(const char *s, unsigned n)
{
    if (!starts_with(s, n, "hv: vm") || n < 7 || s[6] < '0' || s[6] > '9')
        return false;
    return starts_with(s + 7, n - 7, VM_STOPPED_SUFFIX);
}

static bool is_verdict_line(const char *s, unsigned n)
{
    for (unsigned i = 0; i < N_VERDICT_PREFIXES; i++)
        if (starts_with(s, n, verdict_prefixes[i]))
            return true;
    return vm_stopped_line(s, n);
}

static void send_verdict_line(void)
{
    if (!is_verdict_line(line, line_len))
        return;
    for (unsigned k = 0; k < line_len; k++)
        outb(DEBUGCON_PORT, (uint8_t)line[k]);
    outb(DEBUGCON_PORT, '\n');
}

/* Each character the hypervisor prints, just before it goes to COM1. */
static void observe(char c)
{
    if (open_line)
        guest_line_end(open_line);
    if (c == '\n') {
        send_verdict_line();
        line_len = 0;
    } else if (line_len < sizeof(line)) {
        line[line_len++] = c;
    }
}

void console_init(void)
{
    printf_set_observer(observe);
}
