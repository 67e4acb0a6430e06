/*
 * sched.c: several VMs on one CPU, in turns (lab 4; see sched.h).
 *
 * Round robin in fixed quanta of the TSC. A VM's turn ends when the
 * VMX-preemption timer says so (vm_interrupts.c arms it for the sooner of
 * the turn's end and the VM's next tick, SDM 26.5.1) and the VM yields
 * (vcpu->yield: vmx_run returns to here); the next VM that can run is
 * loaded (VMPTRLD, SDM 25.11.2) and entered. A guest spinning with
 * interrupts off gets no more than its turn: the timer does not ask for
 * the guest's IF.
 *
 * A VM that halts with nothing to deliver gives the CPU up at once and
 * waits for its next event (its PIT's next tick): it uses no CPU while it
 * waits. When every VM waits, the one whose event comes first is entered
 * in its HLT activity state, and the CPU waits in it, in VMX non-root
 * operation, until its timer brings the event.
 *
 * What no VMCS holds (the x87 and SSE registers, DR0-DR3, DR6, CR2) is
 * saved and restored at each switch (vm_switch_cpu_state). Each VM is
 * charged the TSC of its turns, from the turn's start to its yield, exits
 * included: the time the lecture's bookkeeping charges to a guest.
 *
 * A turn is two instants of the TSC: its start, read here once the VM's
 * VMCS is current and the CPU state is its own, which its devices take as
 * the time it got the CPU back (vm_interrupts_set_quantum); and its end,
 * the devices' last look before the yield (vm_interrupts_left_at), or the
 * moment it stopped. A switch between two VMs costs the time from one
 * VM's end to the next VM's start: the rest of the last exit, the return
 * to here, the choice of the next VM, its VMPTRLD and the CPU state
 * switched (the summary's "switches" line). sched_trace=1 records each
 * turn and prints the record once the VMs have ended, so that printing
 * takes no time from any turn or switch.
 */
#include "sched.h"
#include "exit.h"
#include "exit/console.h"
#include "exit/vm_interrupts.h"
#include "pv/pv_events.h"
#include "mem/memory.h"
#include "poweroff.h"
#include "printf.h"
#include "x86/x86.h"

#define TRACE_TURNS 8192          /* turns sched_trace=1 records; later ones are counted */

struct turns {
    uint64_t charged;      /* TSC ticks it ran, its exits included */
    uint64_t turns;        /* times it was entered */
    uint64_t ended_at;     /* the TSC when it stopped (since the first turn) */
    bool started;
};

struct turn_record {
    uint64_t from, to;     /* the turn's start and end (the TSC) */
    unsigned vm;
};

/* The schedule's own figures: the switches between VMs, and the record
 * of every turn (sched_trace=1). */
struct schedule {
    uint64_t switches, switch_ticks, switch_min, switch_max;
    struct turn_record *trace;   /* NULL: no record */
    uint64_t traced, untraced;
};

/* LAB 4 BEGIN: whose turn it is */
static bool can_run(const struct vm *vm, uint64_t tsc)
{
    const struct vcpu *v = &vm->vcpu;
    return !v->stopped && (!vm_interrupts_waiting(v) || vm_interrupts_next_event(v) <= tsc);
}

/* The next VM after `last` that can run now; if none can, the live VM
 * whose next event is the soonest; NULL when every VM has stopped. */
static struct vm *pick(struct vm *const *vms, unsigned n, unsigned last)
{
    uint64_t tsc = rdtsc(), soonest = UINT64_MAX;
    struct vm *waiting = NULL;
    for (unsigned k = 1; k <= n; k++) {
        struct vm *vm = vms[(last + k) % n];
        if (can_run(vm, tsc))
            return vm;
        if (!vm->vcpu.stopped && (!waiting || vm_interrupts_next_event(&vm->vcpu) < soonest)) {
            waiting = vm;
            soonest = vm_interrupts_next_event(&vm->vcpu);
        }
    }
    return waiting;
}
/* LAB 4 END */

/* Every live VM is a PV VM blocked for an event that only another VM
 * could send (lab 6's channels between VMs): none ever will, whatever
 * else ticks (their PITs, which a PV guest does not use). Each is stopped
 * with the reason, its VMCS current for the report. */
static bool every_vm_waits_on_others(struct vm *const *vms, unsigned n)
{
    bool live = false;
    for (unsigned i = 0; i < n; i++) {
        if (vms[i]->vcpu.stopped)
            continue;
        if (!pv_events_wait_on_others(&vms[i]->vcpu))
            return false;
        live = true;
    }
    return live;
}

static void stop_waiting_vm(struct vm *vm)
{
    vcpu_load(&vm->vcpu);
    guest_stop(&vm->vcpu, POWEROFF_GUEST_STOPPED, "it waits for an event, and so does every other VM, with no "
               "timer, device or VM left that could ever send one (a deadlock between VMs)");
}

static void count_switch(struct schedule *s, uint64_t ticks)
{
    if (!s->switches || ticks < s->switch_min)
        s->switch_min = ticks;
    if (ticks > s->switch_max)
        s->switch_max = ticks;
    s->switches++;
    s->switch_ticks += ticks;
}

static void record_turn(struct schedule *s, unsigned vm, uint64_t from, uint64_t to)
{
    if (!s->trace)
        return;
    if (s->traced == TRACE_TURNS) {
        s->untraced++;
        return;
    }
    s->trace[s->traced++] = (struct turn_record){ from, to, vm };
}

static void print_schedule(const struct schedule *s)
{
    for (uint64_t i = 0; i < s->traced; i++)
        printf("hv: turn vm%u from %lu to %lu\n", s->trace[i].vm, s->trace[i].from, s->trace[i].to);
    if (s->untraced)
        printf("hv: sched_trace: %lu later turns not recorded (the record holds %u)\n", s->untraced,
               TRACE_TURNS);
    printf("hv: schedule: %lu switches between VMs, %lu TSC ticks each on average (%lu..%lu), from a "
           "VM's yield to the next VM's turn\n", s->switches, s->switches ? s->switch_ticks / s->switches : 0,
           s->switch_min, s->switch_max);
}

static void print_turns(const struct vm *vm, const struct turns *t, uint64_t start)
{
    printf("hv: vm%u: %lu turns, %lu TSC ticks charged, stopped %lu ticks after the first turn\n",
           vm->id, t->turns, t->charged, t->ended_at - start);
}

/* The fairness figure: each VM's share of the time charged while all of
 * them still ran (until the first one stopped), in tenths of a percent. */
static void print_shares(struct vm *const *vms, unsigned n, const uint64_t *charged, const struct vm *first)
{
    uint64_t all = 0;
    for (unsigned i = 0; i < n; i++)
        all += charged[i];
    printf("hv: schedule: while all %u ran, until vm%u stopped, each was charged:", n, first->id);
    for (unsigned i = 0; i < n; i++) {
        uint64_t permille = all ? (charged[i] * 1000 + all / 2) / all : 0;
        printf(" vm%u %lu.%lu%%", vms[i]->id, permille / 10, permille % 10);
    }
    printf("\n");
}

void sched_run(struct vm *const *vms, unsigned n, uint64_t quantum_tsc, uint64_t tsc_hz, bool trace,
               void (*ended)(struct vm *vm))
{
    struct turns turns[VMS_MAX] = { 0 };
    struct schedule s = { .trace = trace ? kmalloc(TRACE_TURNS * sizeof(struct turn_record)) : NULL };
    uint64_t charged_while_all_ran[VMS_MAX] = { 0 };
    struct vm *current = NULL, *first_stopped = NULL;
    uint64_t start = rdtsc(), yielded = 0;   /* the last turn's end, if it yielded */
    printf("hv: schedule: %u VMs on one CPU, round robin, turns of %lu TSC ticks\n", n, quantum_tsc);
    for (unsigned last = n - 1;;) {
        struct vm *vm = pick(vms, n, last);
        if (!vm)
            break;
        if (every_vm_waits_on_others(vms, n)) {
            for (unsigned i = 0; i < n; i++) {
                if (vms[i]->vcpu.stopped)
                    continue;
                if (!first_stopped)             /* the shares were taken at the last turn */
                    first_stopped = vms[i];
                stop_waiting_vm(vms[i]);
                turns[vms[i]->id].ended_at = rdtsc();
                ended(vms[i]);
            }
            continue;
        }
        struct vcpu *v = &vm->vcpu;
        struct turns *t = &turns[vm->id];
        vcpu_load(v);
        bool switching = vm != current;
        if (switching)
            vm_switch_cpu_state(current, vm);
        current = vm;
        bool first = !t->started;      /* its devices start: not a switch's cost */
        if (first) {
            vm_interrupts_start(v, tsc_hz, false);    /* a VM in turns halts with an exit anyway */
            pv_events_start(v, tsc_hz);
            t->started = true;
        }
        uint64_t entered = rdtsc();
        if (switching && yielded && !first)
            count_switch(&s, entered - yielded);
        vm_interrupts_set_quantum(v, entered, entered + quantum_tsc);
        console_vm_turn((int)vm->id);
        vcpu_run(v);
        uint64_t left = v->stopped ? rdtsc() : vm_interrupts_left_at(v);
        yielded = v->stopped ? 0 : left;
        t->charged += left - entered;
        t->turns++;
        record_turn(&s, vm->id, entered, left);
        last = vm->id;
        if (v->stopped) {
            t->ended_at = left;
            ended(vm);
        }
        if (!first_stopped) {
            for (unsigned i = 0; i < n; i++)
                charged_while_all_ran[i] = turns[vms[i]->id].charged;
            if (v->stopped)
                first_stopped = vm;
        }
    }
    console_vm_turn(CONSOLE_NO_VM);
    print_schedule(&s);
    for (unsigned i = 0; i < n; i++)
        print_turns(vms[i], &turns[i], start);
    if (first_stopped)
        print_shares(vms, n, charged_while_all_ran, first_stopped);
    kfree(s.trace);
}
