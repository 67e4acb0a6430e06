/*
 * pit.h: lab 4's virtual Intel 8254 programmable interval timer (ports
 * 0x40-0x43) and the PC's system control port B (0x61), whose bit 0 is
 * the gate of counter 2. A pure model of the chip: it runs in the
 * hypervisor (VMX root mode, called from the I/O exit and the scheduler)
 * and, as it is, in the host unit tests (tests/unit/test_pit.c) and the
 * fuzzer (tests/fuzz/fuzz_pit.c).
 *
 * Time is the caller's: `now` counts the PIT's input clock (PIT_HZ, a
 * PC's 1,193,182 Hz) and never goes back (an earlier value is taken as the
 * latest one seen); it must stay below PIT_NOW_MAX. Nothing is simulated
 * clock by clock: each counter keeps the clock at which its counting
 * element was last loaded, and every read, write and query works out the
 * count and OUT at `now` with a few divisions (pit_counter.c), so count 2,
 * the fastest rate, costs no more than 65536.
 *
 * The rules are the 8254 data sheet's (Intel 231164, "Modes", "Read
 * Operations", "Read-Back Command"); where it leaves a choice, Bochs
 * 2.7's iodev/pit82c54.cc and pit.cc (the machine the kit's tests compare
 * a guest's view with) decide; pit_counter.c names each such place.
 *
 * How the hypervisor uses it: every guest IN/OUT to a port pit_port()
 * accepts goes to pit_read/pit_write with the time of the access; before
 * entering the guest it raises IRQ0 if pit_irq0_edges() > 0 and arms its
 * own timer for pit_next_irq0_edge(). After any write the next edge may
 * change: ask again.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "dev/pit_counter.h"   /* struct pit_counter, PIT_NEVER */

#define PIT_HZ            1193182u   /* the input clock of a PC's 8254 */
#define PIT_NOW_MAX       (1ull << 62)   /* about 122,000 years of clock */

#define PIT_PORT_COUNTER0 0x40
#define PIT_PORT_COUNTER1 0x41
#define PIT_PORT_COUNTER2 0x42
#define PIT_PORT_CONTROL  0x43
#define PIT_PORT_B        0x61       /* system control port B */

/* Port B (0x61) bits (IBM PC/AT Technical Reference, "System Control Port B") */
#define PIT_B_GATE2       0x01       /* counter 2's gate (read/write) */
#define PIT_B_SPEAKER     0x02       /* speaker data enable (read/write) */
#define PIT_B_WRITABLE    0x0F       /* bits 2, 3: the parity checks' enables */
#define PIT_B_REFRESH     0x10       /* the refresh request toggle (read only) */
#define PIT_B_OUT2        0x20       /* counter 2's OUT (read only) */

struct pit {
    struct pit_counter counter[3];
    uint8_t port_b;          /* the writable bits of port 0x61 */
    uint64_t now;            /* the latest time seen */
};

/* The state after power-on, as Bochs 2.7 starts its 8254: every counter
 * in mode 4, LSB only, binary, no count written (nothing counts), OUT
 * high; the gates high (Bochs leaves gate 2 high until port 0x61 is
 * written); port 0x61's speaker and parity bits clear. */
void pit_reset(struct pit *p);

/* The state a PC's BIOS leaves for the operating system: pit_reset, then
 * counter 0 programmed at `now` as rombios and SeaBIOS (pit_setup) both
 * program it: control word 0x34 (mode 2, rate generator, LSB then MSB,
 * binary) and count 0 (65536): 18.2 rising edges of OUT0 a second, the
 * first 65537 clocks after `now`. Counters 1 and 2 do not run. */
void pit_start_as_bios(struct pit *p, uint64_t now);

/* Is this port the PIT's (0x40-0x43) or port B's (0x61)? */
bool pit_port(uint16_t port);

/* A byte the guest writes to / reads from one of pit_port()'s ports at
 * `now`. A read of 0x43 gives 0 (the 8254 does not drive the bus then;
 * Bochs answers 0); other ports are ignored and read 0xFF. */
void pit_write(struct pit *p, uint16_t port, uint8_t value, uint64_t now);
uint8_t pit_read(struct pit *p, uint16_t port, uint64_t now);

/* Counter `channel`'s OUT at `now` (false for a channel above 2). */
bool pit_out(struct pit *p, unsigned channel, uint64_t now);

/* How many rising edges OUT0 made since the previous call (since
 * pit_reset for the first), up to and including `now`; the edges a write
 * makes at once (a control word that sets OUT high) are counted too. */
uint64_t pit_irq0_edges(struct pit *p, uint64_t now);

/* The clock of OUT0's next rising edge after `now` (> now), or PIT_NEVER
 * when none will come unless the guest writes to the PIT again (mode 0
 * past its terminal count, modes 1 and 5, whose gate is tied high on a
 * PC, a counter never given a count, count 1 in modes 2 and 3). */
uint64_t pit_next_irq0_edge(struct pit *p, uint64_t now);
