/*
 * pit.c: the 8254 programmable interval timer, channel 0 on IRQ 0, ticking
 * TICK_HZ times a second: the scheduler's time slice and the kernel's clock.
 */
#include "defs.h"
#include "x86.h"
#include "../../lib/x86io.h"

#define PIT_HZ 1193182          /* the PIT's input clock */
enum { PIT_CH0 = 0x40, PIT_CMD = 0x43 };

static volatile uint32_t ticks;

void init_pit(void)
{
    uint32_t divisor = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
    outb(PIT_CMD, 0x34);        /* channel 0, low then high byte, mode 2 (rate generator) */
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, divisor >> 8);
    enable_irq(0);
}

/* IRQ 0: count the tick and wake the processes in sleep() (sched.c). */
void handle_tick(void)
{
    ticks++;
    wake_up((const void *)&ticks);
}

uint32_t ticks_now(void) { return ticks; }

/* Milliseconds since the timer started (wraps after 49 days). */
uint32_t ms_now(void) { return ticks * MS_PER_TICK; }

/* A process sleeps on the tick counter until its wake tick (sys_sleep). */
const void *tick_channel(void) { return (const void *)&ticks; }
