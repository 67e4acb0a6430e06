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
#include "boot/options.h"
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

/* The VMs' relays (two per VM: COM1 and port 0xE9), and the one whose line is half out on COM1
 * (longer than its buffer), if any: another VM's byte, or the
 * hypervisor's next line, ends it first. */
static struct console_relay *relays[OPTIONS_VMS_MAX * 2];   /* each VM's COM1 and port 0xE9 */
static unsigned relay_count;
static struct console_relay *open_line;

static bool starts_with(const char *s, unsigned n, const char *prefix)
{
    for (unsigned i = 0; prefix[i]; i++)
        if (i >= n || s[i] != prefix[i])
            return false;
    return true;
}

static void write_out(struct console_relay *r)
{
    for (unsigned i = 0; i < r->len; i++)
        serial_putc(r->text[i]);
    r->len = 0;
}

/* VM 0's guest printed the console protocol's "INPUT ready" (untagged:
 * what tools/runner/typist.py waits for before it types): the machine's
 * COM1 turns its FIFO off (FCR 0, once its transmitter is empty: PC16550D
 * "FIFO Control Register"), so that Bochs's UART reads each next typed
 * byte from the terminal only once the hypervisor has taken the last
 * (vm_input.c); with FIFOs on it reads on at the line's speed and drops
 * what overruns the 16 bytes. Only then: without a FIFO, each byte the
 * hypervisor prints waits for the one before, which would slow every run.
 * And before the line goes out, not after: clearing FCR's bit 0 empties
 * the receive FIFO too, so a byte typed between the line's last byte and
 * that write would be lost (seen once in CI: a line typed without its
 * first key). */
bool console_input_ready;

static void prepare_for_input(void)
{
    serial_drain();
    outb(COM1_PORT + 2, 0x00);
    console_input_ready = true;
}

/* A relayed character (guest_line.c's output), into its line. */
static void guest_emit(void *ctx, char c)
{
    struct console_relay *r = ctx;
    r->text[r->len++] = c;
    if (c == '\n') {
        static const char input_ready[] = "INPUT ready\n";
        bool wants_input = r->len == sizeof input_ready - 1 && starts_with(r->text, r->len, input_ready);
        if (wants_input)
            prepare_for_input();
        write_out(r);
        if (open_line == r)
            open_line = NULL;
    } else if (r->len == sizeof(r->text)) {
        write_out(r);
        open_line = r;
    }
}

void console_guest_init(struct console_relay *r, const char *tag, unsigned vm)
{
    r->len = 0;
    r->vm = vm;
    guest_line_init(&r->line, guest_emit, r, tag);
    if (relay_count < sizeof(relays) / sizeof(relays[0]))
        relays[relay_count++] = r;
}

void console_guest_byte(void *ctx, uint8_t byte)
{
    struct console_relay *r = ctx;
    if (open_line && open_line != r)
        guest_line_end(&open_line->line);
    guest_line_put(&r->line, byte);
}

/* The VM on the CPU, whose half lines the hypervisor's next line ends. */
static int vm_on_cpu = CONSOLE_NO_VM;

void console_vm_turn(int vm)
{
    vm_on_cpu = vm;
}

/* The hypervisor is about to print: the half-written lines of the VM on
 * the CPU (every VM's, between turns) are ended first (guest_line_end), so
 * that its line starts at a line start and follows what that guest printed
 * before it; so is a line already half out on COM1. Another VM's stays in
 * its buffer, whole at its newline: a VM stopping while the other is in
 * the middle of a line does not cut that line in two. */
static void end_guest_lines(void)
{
    for (unsigned i = 0; i < relay_count; i++) {
        struct console_relay *r = relays[i];
        bool ours = vm_on_cpu == CONSOLE_NO_VM || r->vm == (unsigned)vm_on_cpu || r == open_line;
        if (ours && (r->len || r->line.started))
            guest_line_end(&r->line);
    }
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
    end_guest_lines();
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
