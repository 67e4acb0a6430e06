/*
 * pv_check.c: the hypervisor's recount of direct paging (64-bit, VMX
 * root). See pv_check.h. The counts are the machine's (one frame table
 * for every VM), so the recount takes every PV VM's base pointer: a base
 * holds a reference to its L2 like an entry does.
 */
#include "pv/pv_check.h"
#include "cpu/panic.h"
#include "guest/machine_frames.h"
#include "mem/memory.h"
#include "pv/pv_domain.h"
#include "boot/options.h"
#include "printf.h"

#define PAGE 4096ull

static uint32_t *bases[OPTIONS_VMS_MAX];     /* each PV VM's pv_domain.base, by VM id */
static struct dp_tally *tally;               /* dp_check's scratch: a count per machine frame */
static unsigned every, calls, checks;

void pv_check_setup(struct vm *vm, unsigned dpcheck)
{
    bases[vm->id] = &vm->pv->base;
    every = dpcheck;
}

void pv_check_counts(struct vcpu *v, const char *when)
{
    const struct dp_machine *m = v->guest->dp.m;
    if (!tally) {
        uint64_t pages = ((uint64_t)m->nframes * sizeof(*tally) + PAGE - 1) / PAGE;
        tally = (struct dp_tally *)pmm_alloc_contiguous(&hv_pmm, pages, PAGE);
        if (!tally)
            panic("no room for the direct paging recount's %lu pages", pages);
    }
    uint32_t now[OPTIONS_VMS_MAX];
    size_t n = 0;
    for (unsigned i = 0; i < OPTIONS_VMS_MAX; i++)
        if (bases[i])
            now[n++] = *bases[i];
    char why[160];
    if (!dp_check(m, now, n, tally, why, sizeof(why)))
        panic("direct paging's counts do not add up %s (%shypercall %u): %s", when, v->guest->tag, calls,
              why);
    checks++;
}

void pv_check_at_shutdown(struct vcpu *v)
{
    if (!every)
        return;
    pv_check_counts(v, "at shutdown");
    printf("hv: %sdirect paging: %u recounts (every %u hypercalls, and at shutdown), all as kept\n",
           v->guest->tag, checks, every);
}

void pv_check_after_hypercall(struct vcpu *v)
{
    calls++;
    if (every && calls % every == 0)
        pv_check_counts(v, "after a hypercall");
}
