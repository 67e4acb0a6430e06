/* uart.c: the emulated 16550 UART (see uart.h; National Semiconductor
 * PC16550D data sheet, table "Register Summary"). */
#include "exit/uart.h"

void uart_init(struct uart *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx)
{
    *u = (struct uart){ .lcr = 0x03, .dll = 1, .transmit = transmit, .ctx = ctx };
}

/* LAB 1 BEGIN: the UART's registers */
uint8_t uart_read(struct uart *u, unsigned reg)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR_THR: return dlab ? u->dll : 0;          /* no input yet */
    case UART_IER:     return dlab ? u->dlm : u->ier;
    case UART_IIR_FCR: return UART_IIR_NO_INT | ((u->fcr & 1) ? UART_IIR_FIFO : 0);
    case UART_LCR:     return u->lcr;
    case UART_MCR:     return u->mcr;
    case UART_LSR:     return UART_LSR_THRE | UART_LSR_TEMT;   /* always ready to send */
    case UART_MSR:     return 0xB0;                         /* CTS, DSR, DCD: a line is attached */
    default:           return u->scr;
    }
}

void uart_write(struct uart *u, unsigned reg, uint8_t value)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (reg) {
    case UART_RBR_THR:
        if (dlab) {
            u->dll = value;
        } else {
            u->bytes_sent++;
            u->transmit(u->ctx, value);
        }
        break;
    case UART_IER:
        if (dlab)
            u->dlm = value;
        else
            u->ier = value & 0x0F;
        break;
    case UART_IIR_FCR: u->fcr = value & 0xC9; break;   /* bits 1, 2 (clear FIFOs) self-clear */
    case UART_LCR:     u->lcr = value; break;
    case UART_MCR:     u->mcr = value & 0x1F; break;
    case UART_LSR:
    case UART_MSR:     break;                          /* read-only */
    default:           u->scr = value; break;
    }
}
/* LAB 1 END */
