/*
 * gdb_uart.h: the debugger's serial line, COM2 (a 16550 UART at I/O port
 * 0x2F8), polled, for the GDB stub only (64-bit, ring 0, interrupts off).
 *
 * Separate from the console (COM1, lib/serial.c) so that GDB's packets and
 * the console lines never mix. Under Bochs, `com2: mode=socket-server`
 * makes this UART a TCP socket that gdb connects to (hvrun --gdb). Nothing
 * touches COM2 unless the stub is on (gdb=hv or gdb=guest).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define COM2_PORT 0x2F8

void gdb_uart_init(void);

/* A received byte, or -1 if none is waiting. Never blocks. */
int gdb_uart_getc(void);

/* Send one byte (waits, bounded, for room in the transmitter). */
void gdb_uart_putc(uint8_t c);

/* Is there a UART at COM2? (Its scratch register keeps what is written;
 * an empty port reads all ones.) */
bool gdb_uart_present(void);
