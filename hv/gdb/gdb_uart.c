/* gdb_uart.c: COM2 for the GDB stub, polled. See gdb_uart.h. The registers
 * are the 16550's, as in lib/serial.c. */
#include "gdb/gdb_uart.h"
#include "x86io.h"

enum {
    UART_DATA = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
    LSR_DATA_READY = 1 << 0,
    LSR_THR_EMPTY = 1 << 5,
};

#define UART_SPIN_LIMIT 1000000   /* a missing UART must not hang the stub */

void gdb_uart_init(void)
{
    outb(COM2_PORT + UART_IER, 0x00);   /* no interrupts: the stub polls */
    outb(COM2_PORT + UART_LCR, 0x80);   /* DLAB on: program the divisor */
    outb(COM2_PORT + UART_DATA, 0x01);  /* 115200 baud */
    outb(COM2_PORT + UART_IER, 0x00);
    outb(COM2_PORT + UART_LCR, 0x03);   /* 8N1, DLAB off: Bochs starts receiving here */
    outb(COM2_PORT + UART_FCR, 0x07);   /* FIFOs on and cleared */
    outb(COM2_PORT + UART_MCR, 0x03);   /* DTR and RTS */
}

int gdb_uart_getc(void)
{
    if (!(inb(COM2_PORT + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM2_PORT + UART_DATA);
}

void gdb_uart_putc(uint8_t c)
{
    for (int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM2_PORT + UART_LSR) & LSR_THR_EMPTY)
            break;
    outb(COM2_PORT + UART_DATA, c);
}

bool gdb_uart_present(void)
{
    enum { UART_SCRATCH = 7 };
    outb(COM2_PORT + UART_SCRATCH, 0x5A);
    return inb(COM2_PORT + UART_SCRATCH) == 0x5A;
}
