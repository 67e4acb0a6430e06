/* serial.c: polled COM1 output. See serial.h. */
#include "serial.h"
#include "x86io.h"

enum {
    UART_DATA = 0,      /* THR on write, with DLAB=0 */
    UART_IER = 1,       /* interrupt enable; divisor high with DLAB=1 */
    UART_FCR = 2,       /* FIFO control */
    UART_LCR = 3,       /* line control; bit 7 is DLAB */
    UART_MCR = 4,       /* modem control */
    UART_LSR = 5,       /* line status */
    LSR_THR_EMPTY = 1 << 5,
    LSR_TX_IDLE = 1 << 6,
};

/* Bounded waits: a missing UART must not hang the machine forever. */
#define UART_SPIN_LIMIT 1000000

void serial_init(void)
{
    outb(COM1_PORT + UART_IER, 0x00);   /* no interrupts */
    outb(COM1_PORT + UART_LCR, 0x80);   /* DLAB on: program the divisor */
    outb(COM1_PORT + UART_DATA, 0x01);  /* 115200 baud (divisor 1) */
    outb(COM1_PORT + UART_IER, 0x00);
    outb(COM1_PORT + UART_LCR, 0x03);   /* 8N1, DLAB off */
    outb(COM1_PORT + UART_FCR, 0x07);   /* enable and clear the FIFOs */
    outb(COM1_PORT + UART_MCR, 0x03);   /* DTR and RTS */
}

static void (*observer)(char c);

void serial_set_observer(void (*observe)(char c))
{
    observer = observe;
}

void serial_putc(char c)
{
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM1_PORT + UART_LSR) & LSR_THR_EMPTY)
            break;
    outb(COM1_PORT + UART_DATA, (unsigned char)c);
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
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM1_PORT + UART_LSR) & LSR_TX_IDLE)
            return;
}
