/*
 * uart.h: an emulated 16550 UART, the guest's COM1 (a pure device model:
 * any mode, also the host unit tests).
 *
 * The guest's driver programs it like the real chip (divisor latch, line
 * control, FIFO control) and sends by polling the line status register,
 * which always says "transmitter empty": each byte written to THR goes
 * straight to the `transmit` callback. The model raises no interrupts and
 * has no input: with devices=virtual, uart_rx.h's receiver answers beside
 * it (console input, its IRQ 4: vm_input.h).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum uart_reg {
    UART_RBR_THR = 0,   /* receive buffer (read) / transmit holding (write); DLL if DLAB */
    UART_IER = 1,       /* interrupt enable; DLM if DLAB */
    UART_IIR_FCR = 2,   /* interrupt identification (read) / FIFO control (write) */
    UART_LCR = 3,       /* line control; bit 7 is DLAB */
    UART_MCR = 4,       /* modem control */
    UART_LSR = 5,       /* line status */
    UART_MSR = 6,       /* modem status */
    UART_SCR = 7,       /* scratch */
};

#define UART_LCR_DLAB   0x80
#define UART_LSR_THRE   0x20   /* transmit holding register empty */
#define UART_LSR_TEMT   0x40   /* transmitter empty */
#define UART_IIR_NO_INT 0x01
#define UART_IIR_FIFO   0xC0   /* FIFOs enabled */

struct uart {
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    void (*transmit)(void *ctx, uint8_t byte);
    void *ctx;
    uint64_t bytes_sent;
};

void uart_init(struct uart *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx);
uint8_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t value);
