/*
 * console.c: the PV kernel's console, lib/serial.h's interface over the
 * console_io hypercall (lib/pv_abi.h section 7) instead of the UART's
 * registers (lib/serial.c). A byte to the UART is one port write, and
 * under a hypervisor one exit; here a whole line is one hypercall. Its
 * lines reach the hypervisor's console as a VM's COM1 lines do. With
 * `console=split` the lines go to the split console's front end
 * (console_front.c) instead, and a driver VM prints them.
 */
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/serial.h"

static char line[256];
static uint32_t len;
static void (*observer)(char c);

void serial_init(void) {}

void serial_set_observer(void (*observe)(char c)) { observer = observe; }

void console_io_write(const char *s, uint32_t n)
{
    hypercall4(PV_console_io, PV_CONSOLEIO_write, n, s, 0);
}

/* The buffer is emptied before the line goes out: a panic on its way
 * (split_console_write's) prints its own line from the start. */
static void write_line(void)
{
    uint32_t n = len;
    len = 0;
    if (n && split_console_active())
        split_console_write(line, n);
    else if (n)
        console_io_write(line, n);
}

void serial_putc(char c)
{
    uint32_t flags = irq_save();    /* an event handler may print too */
    line[len++] = c;
    if (c == '\n' || len == sizeof line)
        write_line();
    irq_restore(flags);
    if (observer)
        observer(c);
}

void serial_write(const char *s, size_t n)
{
    while (n--)
        serial_putc(*s++);
}

void serial_drain(void)
{
    uint32_t flags = irq_save();
    write_line();
    split_console_drain();
    irq_restore(flags);
}
