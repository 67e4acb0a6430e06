/*
 * pit.c: the 8254 programmable interval timer. Channel 0 on IRQ 0, ticking
 * TICK_HZ times a second, is the kernel's clock with timer=pit (timer.c).
 * Channel 2, whose gate and output the PC wires to port 0x61, is the
 * stopwatch that measures the local APIC timer's rate (lapic.c).
 */
#include "defs.h"
#include "x86.h"
#include "../../lib/x86io.h"

enum { PIT_CH0 = 0x40, PIT_CH2 = 0x42, PIT_CMD = 0x43, PORT_B = 0x61 };
/* Port 0x61 ("system control port B" of the IBM PC/AT) */
#define PORT_B_GATE2   0x01     /* channel 2's gate */
#define PORT_B_SPEAKER 0x02     /* channel 2's output to the speaker */
#define PORT_B_OUT2    0x20     /* channel 2's output, read only */

void init_pit(void)
{
    uint32_t divisor = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
    outb(PIT_CMD, 0x34);        /* channel 0, low then high byte, mode 2 (rate generator) */
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, divisor >> 8);
    enable_irq(0);
}

/* Start channel 2 counting `count` clocks down, once, its gate high and
 * the speaker silent. In mode 0 (interrupt on terminal count) its output
 * goes low with the control word and high when the count reaches 0, and
 * stays high: pit_oneshot_done() polls it. No interrupt: channel 2 has no
 * IRQ line. Port 0x61's other bits are kept as they are. */
void pit_start_oneshot(uint16_t count)
{
    outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
    outb(PIT_CMD, 0xB0);        /* channel 2, low then high byte, mode 0, binary */
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);  /* counting starts with the next clock */
}

int pit_oneshot_done(void) { return (inb(PORT_B) & PORT_B_OUT2) != 0; }
