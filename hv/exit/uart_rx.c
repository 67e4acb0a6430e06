/* uart_rx.c: the emulated 16550's receiver. See uart_rx.h. */
#include "exit/uart_rx.h"

bool uart_rx_put(struct uart_rx *rx, uint8_t byte)
{
    if (rx->count == UART_RX_FIFO) {
        rx->overrun = true;
        rx->dropped++;
        return false;
    }
    rx->fifo[(rx->head + rx->count++) % UART_RX_FIFO] = byte;
    return true;
}

bool uart_rx_read(struct uart_rx *rx, const struct uart *u, unsigned reg, uint8_t base, uint8_t *value)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR_THR:
        if (dlab || !rx->count)
            return false;
        *value = rx->fifo[rx->head];
        rx->head = (rx->head + 1) % UART_RX_FIFO;
        rx->count--;
        return true;
    case UART_LSR:
        *value = (uint8_t)(base | (rx->count ? UART_LSR_DR : 0) | (rx->overrun ? UART_LSR_OE : 0));
        rx->overrun = false;
        return true;
    case UART_IIR_FCR:
        if (!(rx->count && (u->ier & UART_IER_RDA)))
            return false;
        *value = (uint8_t)((base & UART_IIR_FIFO) | UART_IIR_RDA);
        return true;
    case UART_MSR:
        if (!uart_rx_looped(u))
            return false;
        /* MCR bits 1, 0, 2, 3 (RTS, DTR, OUT1, OUT2) read as MSR bits 4-7
         * (CTS, DSR, RI, DCD); no delta bits: nothing changed on a line. */
        *value = (uint8_t)((u->mcr & 0x02) << 3 | (u->mcr & 0x01) << 5 | (u->mcr & 0x0C) << 4);
        return true;
    }
    return false;
}

bool uart_rx_looped(const struct uart *u)
{
    return u->mcr & UART_MCR_LOOP;
}

bool uart_rx_write(struct uart_rx *rx, const struct uart *u, unsigned reg, uint8_t value)
{
    if (reg != UART_RBR_THR || (u->lcr & UART_LCR_DLAB) || !uart_rx_looped(u))
        return false;
    uart_rx_put(rx, value);
    return true;
}

bool uart_rx_irq(const struct uart_rx *rx, const struct uart *u)
{
    return rx->count && (u->ier & UART_IER_RDA) && (u->mcr & UART_MCR_OUT2);
}
