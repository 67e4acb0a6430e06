/*
 * uart_rx.h: the receiver of the emulated 16550 (uart.h), which the
 * hypervisor gives the bytes typed on the machine's console (vm_input.c;
 * devices=virtual). A pure model, beside uart.c's registers: it answers
 * the reads the receiver changes and leaves the rest to uart_read
 * (PC16550D data sheet, "Register Summary", "FIFO Interrupt Mode
 * Operation"):
 *   RBR  the oldest byte received (DLAB clear);
 *   LSR  DR (bit 0) while a byte waits, OE (bit 1) once after bytes were
 *        lost to a full FIFO;
 *   IIR  "received data available" (0x04) while a byte waits and IER's
 *        bit 0 enables it, else uart_read's answer;
 *   MSR  in loopback mode (MCR bit 4), the modem control outputs looped
 *        back: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2 ("Modem
 *        Control Register", bit 4). Linux's 8250 driver and Xen's ns16550
 *        test that a UART is there this way (MCR = LOOP | OUT2 | RTS must
 *        read MSR 0x90), and use none that fails it;
 *   THR  in loopback mode a byte written comes back to the receiver, not
 *        out on the line.
 * Its interrupt, IRQ 4 on a PC, is gated by MCR's OUT2, as a PC wires it.
 * The FIFO is the chip's 16 bytes whatever FCR says (the trigger level is
 * not modelled: each byte is "available" at once, as with FIFOs off).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "exit/uart.h"

#define UART_RX_FIFO   16
#define UART_LSR_DR    0x01
#define UART_LSR_OE    0x02
#define UART_IER_RDA   0x01
#define UART_IIR_RDA   0x04
#define UART_MCR_OUT2  0x08
#define UART_MCR_LOOP  0x10

struct uart_rx {
    uint8_t fifo[UART_RX_FIFO];
    unsigned head, count;
    bool overrun;                       /* LSR's OE, until LSR is read */
    uint64_t dropped;
};

/* A byte on the line: false (lost, OE) if the FIFO is full. */
bool uart_rx_put(struct uart_rx *rx, uint8_t byte);

/* Does the receiver answer this read of register reg (the base model's
 * value `base`, from uart_read)? If so, *value is its answer, with RBR's
 * byte taken or LSR's OE cleared. */
bool uart_rx_read(struct uart_rx *rx, const struct uart *u, unsigned reg, uint8_t base, uint8_t *value);

/* Is the UART in loopback mode (MCR's LOOP)? */
bool uart_rx_looped(const struct uart *u);

/* Does the receiver take this write of register reg (THR's byte, looped
 * back in loopback mode)? If not, it is uart_write's. */
bool uart_rx_write(struct uart_rx *rx, const struct uart *u, unsigned reg, uint8_t value);

/* The UART's interrupt line (IRQ 4) as the receiver drives it. */
bool uart_rx_irq(const struct uart_rx *rx, const struct uart *u);
