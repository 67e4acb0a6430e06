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
/* Show observe() every byte once it went to COM1, whoever wrote it (printf
 * or serial_write): the guests' answer to the grader's challenge
 * (challenge.h) hashes the console's lines exactly as they were sent. */
void serial_set_observer(void (*observe)(char c));
/* Wait until every byte written has left the UART (LSR bit 6): an emulator
 * stopped earlier loses the last bytes of the console. */
void serial_drain(void);
