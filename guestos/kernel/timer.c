/*
 * timer.c: the kernel's clock, TICK_HZ ticks a second: the scheduler's
 * time slice and the time of time() and sleep(). One of two devices ticks
 * it, as the command line says:
 *
 *   timer=pit     (the default) the 8254's channel 0 through the 8259's
 *                 IRQ 0 (pit.c, pic.c); nothing printed
 *   timer=lapic   the local APIC's own timer, periodic (lapic.c), which
 *                 prints "guestos: timer: local APIC, ..."
 *
 * Either way each tick comes to handle_tick() (from trap.c, which also
 * preempts the running process). Any other value is refused: the run
 * ends with POWEROFF 1 before anything runs.
 */
#include "defs.h"
#include "../../lib/poweroff.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

static volatile uint32_t ticks;
int preempt_due;            /* a tick came: trap.c preempts on the way back to ring 3 */

/* Is the option value `value` (ended by a space or the end) exactly `word`? */
static int value_is(const char *value, const char *word)
{
    size_t n = strlen(word);
    return !strncmp(value, word, n) && (value[n] == 0 || value[n] == ' ');
}

void init_timer(void)
{
    const char *choice = boot_option("timer");
    if (!choice || value_is(choice, "pit")) {
        init_pit();
    } else if (value_is(choice, "lapic")) {
        init_lapic_timer();     /* IRQ 0 stays masked at the PIC (init_pic) */
    } else {
        int n = 0;
        while (choice[n] && choice[n] != ' ')
            n++;
        printf("guestos: bad value '%.*s' for option timer (allowed: pit, lapic)\n", n, choice);
        poweroff(POWEROFF_FAIL);
    }
}

/* A tick: count it, wake the processes in sleep() (sched.c), and have the
 * running process preempted on its way back to ring 3. */
void handle_tick(void)
{
    ticks++;
    preempt_due = 1;
    wake_up((const void *)&ticks);
}

uint32_t ticks_now(void) { return ticks; }

/* Milliseconds since the timer started (wraps after 49 days). */
uint32_t ms_now(void) { return ticks * MS_PER_TICK; }

/* A process sleeps on the tick counter until its wake tick (sys_sleep). */
const void *tick_channel(void) { return (const void *)&ticks; }
