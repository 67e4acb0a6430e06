/*
 * serial.h: the COM1 console (a 16550 UART at I/O port 0x3F8), polled.
 *
 * Output polls the line status register instead of using interrupts, so it
 * works the same on real hardware, in every emulator, and on the hypervisor's
 * emulated UART before the timer lab adds interrupt injection.
 */
#pragma once
#include <stddef.h>

#define COM1_PORT 0x3F8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* Wait until every byte written has left the UART (LSR bit 6): an emulator
 * stopped earlier loses the last bytes of the console. */
void serial_drain(void);
