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
 * charged the TSC from its entry to its yield, exits included: the time
 * the lecture's bookkeeping charges to a guest.
 */
#include "sched.h"
#include "exit.h"
#include "exit/vm_interrupts.h"
#include "printf.h"
#include "x86/x86.h"

struct turns {
    uint64_t charged;      /* TSC ticks it ran, its exits included */
    uint64_t turns;        /* times it was entered */
    uint64_t ended_at;     /* the TSC when it stopped (since the first turn) */
    bool started;
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

void sched_run(struct vm *const *vms, unsigned n, uint64_t quantum_tsc, uint64_t tsc_hz,
               void (*ended)(struct vm *vm))
{
    struct turns turns[VMS_MAX] = { 0 };
    uint64_t charged_while_all_ran[VMS_MAX] = { 0 };
    struct vm *current = NULL, *first_stopped = NULL;
    uint64_t start = rdtsc();
    printf("hv: schedule: %u VMs on one CPU, round robin, turns of %lu TSC ticks\n", n, quantum_tsc);
    for (unsigned last = n - 1;;) {
        struct vm *vm = pick(vms, n, last);
        if (!vm)
            break;
        struct vcpu *v = &vm->vcpu;
        struct turns *t = &turns[vm->id];
        vcpu_load(v);
        if (vm != current)
            vm_switch_cpu_state(current, vm);
        current = vm;
        if (!t->started) {
            vm_interrupts_start(v, tsc_hz);
            t->started = true;
        }
        uint64_t entered = rdtsc();
        vm_interrupts_set_quantum(v, entered + quantum_tsc);
        vcpu_run(v);
        t->charged += rdtsc() - entered;
        t->turns++;
        last = vm->id;
        if (v->stopped) {
            t->ended_at = rdtsc();
            ended(vm);
        }
        if (!first_stopped) {
            for (unsigned i = 0; i < n; i++)
                charged_while_all_ran[i] = turns[vms[i]->id].charged;
            if (v->stopped)
                first_stopped = vm;
        }
    }
    for (unsigned i = 0; i < n; i++)
        print_turns(vms[i], &turns[i], start);
    if (first_stopped)
        print_shares(vms, n, charged_while_all_ran, first_stopped);
}
