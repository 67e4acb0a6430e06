/*
 * sched.c: the round-robin scheduler, and sleeping and waking.
 *
 * The scheduler runs on the boot stack, with interrupts off, in a loop:
 * pick the next RUNNABLE process after the last one that ran, switch to it
 * (swtch.S), and get control back when it yields, sleeps or exits. The PIT
 * makes a running user process yield on every tick (trap.c), so each
 * process gets at most one tick (10 ms) at a time.
 *
 * Sleep and wakeup are xv6's: a process sleeps on a "channel" (any kernel
 * address); wake_up(chan) makes every process sleeping on it runnable. A
 * caller checks its condition and calls sleep_on() inside one irq_save()
 * section, so no wakeup can slip in between (one CPU: no locks needed).
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"

struct proc *current;
static struct context *scheduler_context;

static struct proc *pick_next(void)
{
    static int last;
    for (int i = 1; i <= NPROC; i++) {
        struct proc *p = &procs[(last + i) % NPROC];
        if (p->state == RUNNABLE) {
            last = p - procs;
            return p;
        }
    }
    return NULL;
}

_Noreturn void run_scheduler(void)
{
    irq_save();     /* interrupts stay off here, except while idle */
    for (;;) {
        struct proc *p = pick_next();
        if (!p) {
            idle_wait();    /* nothing to run: halt until an interrupt */
            continue;
        }
        p->state = RUNNING;
        current = p;
        set_kernel_stack((uint32_t)p->kstack + KSTACK_SIZE);
        switch_to_pgdir(p->pgdir);
        swtch(&scheduler_context, p->context);
        current = NULL;
    }
}

/* Back to the scheduler loop; the caller has interrupts off and has already
 * changed current->state. Returns when the scheduler picks us again. */
void switch_to_scheduler(void)
{
    swtch(&current->context, scheduler_context);
}

void yield_cpu(void)
{
    uint32_t flags = irq_save();
    current->state = RUNNABLE;
    switch_to_scheduler();
    irq_restore(flags);
}

/* Sleep until wake_up(chan). Call with interrupts off (inside irq_save). */
void sleep_on(const void *chan)
{
    current->chan = chan;
    current->state = SLEEPING;
    switch_to_scheduler();
    current->chan = NULL;
}

void wake_up(const void *chan)
{
    uint32_t flags = irq_save();
    for (struct proc *p = procs; p < &procs[NPROC]; p++)
        if (p->state == SLEEPING && p->chan == chan)
            p->state = RUNNABLE;
    irq_restore(flags);
}
