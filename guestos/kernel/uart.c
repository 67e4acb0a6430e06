/*
 * uart.c: the console's input side. Output is lib/serial.c's polled writes
 * (they work on the hypervisor's emulated UART, which raises no interrupts
 * before lab 4). Input is interrupt driven where the UART interrupts: IRQ 4
 * moves received bytes into a ring buffer that read(0, ...) drains.
 */
#include "defs.h"
#include "plat.h"
#include "../../lib/serial.h"
#include "../../lib/x86io.h"

enum { UART_IER = 1, UART_MCR = 4, UART_LSR = 5 };
#define LSR_DATA_READY 0x01
#define MCR_OUT2 0x08           /* on a PC, gates the UART's interrupt line to the PIC */

static char input[128];
static uint32_t input_head, input_tail;     /* read at head, written at tail */

void init_uart(void)
{
    outb(COM1_PORT + UART_MCR, 0x03 | MCR_OUT2);
    outb(COM1_PORT + UART_IER, 0x01);       /* interrupt when data arrives */
    enable_irq(4);
}

/* Typed bytes for read(0, ...): the UART's, or the PV kernel's split
 * console's (pv/console_front.c); what overruns the buffer is dropped. */
void console_input(const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (input_tail - input_head < sizeof input)
            input[input_tail++ % sizeof input] = s[i];
    wake_up(input);
}

void handle_uart_irq(void)
{
    while (inb(COM1_PORT + UART_LSR) & LSR_DATA_READY) {
        char c = (char)inb(COM1_PORT);
        console_input(&c, 1);
    }
}

/* Read up to n bytes, waiting for at least one. */
int read_console(char *buf, int n)
{
    uint32_t flags = irq_save();
    while (input_head == input_tail)
        sleep_on(input);
    int got = 0;
    while (got < n && input_head != input_tail)
        buf[got++] = input[input_head++ % sizeof input];
    irq_restore(flags);
    return got;
}
