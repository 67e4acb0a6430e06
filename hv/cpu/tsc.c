/*
 * tsc.c: the TSC's rate against the PIT (see tsc.h).
 *
 * Counter 2 is the one a PC's software may use freely: its gate is port
 * 0x61 bit 0 and its OUT reads back as port 0x61 bit 5 (as Linux's
 * pit_calibrate_tsc does). In mode 0 ("interrupt on terminal count", 8254
 * data sheet) OUT goes low when the control word is written, the count
 * loads on the next clock, and OUT goes high when it reaches 0: the TSC is
 * read from the count's write to OUT's rise.
 */
#include "cpu/tsc.h"
#include "cpu/panic.h"
#include "x86/x86.h"
#include "x86io.h"

#define PIT_INPUT_HZ     1193182u   /* a PC's 8254 input clock */
#define PIT_COUNTER2     0x42
#define PIT_CONTROL      0x43
#define PORT_B           0x61       /* system control port B */
#define PORT_B_GATE2     0x01
#define PORT_B_SPEAKER   0x02
#define PORT_B_OUT2      0x20
#define COUNTER2_MODE0   0xB0       /* counter 2, low then high byte, mode 0, binary */
#define MEASURE_CLOCKS   59659u     /* 50 ms of the PIT's clock: fits the 16-bit counter */
#define GIVE_UP_TSC      (1ull << 36)  /* far beyond 50 ms at any TSC rate a PC has */

uint64_t tsc_measure_hz(void)
{
    uint8_t port_b = inb(PORT_B);
    outb(PORT_B, (uint8_t)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    outb(PIT_CONTROL, COUNTER2_MODE0);
    outb(PIT_COUNTER2, MEASURE_CLOCKS & 0xFF);
    outb(PIT_COUNTER2, MEASURE_CLOCKS >> 8);
    uint64_t start = rdtsc(), now = start;
    while (!(inb(PORT_B) & PORT_B_OUT2)) {
        now = rdtsc();
        if (now - start > GIVE_UP_TSC)
            panic("the PIT's counter 2 never reached 0 (port 0x61 bit 5 stayed low): no "
                  "8254 to measure the TSC's rate against");
    }
    now = rdtsc();
    outb(PORT_B, port_b);
    /* MEASURE_CLOCKS + 1 clocks: the count loads on the clock after the write. */
    return (now - start) * PIT_INPUT_HZ / (MEASURE_CLOCKS + 1);
}
