/* vm_clock.c: a VM's time from the TSC (see vm_clock.h). */
#include "exit/vm_clock.h"
#include "dev/pit.h"

void vm_clock_start(struct vm_clock *c, uint64_t tsc_hz, uint64_t tsc_now)
{
    c->tsc_start = tsc_now;
    c->pit_per_tsc = ((uint64_t)PIT_HZ << 32) / tsc_hz;
    /* (tsc_hz << 32) / PIT_HZ without a 128-bit division: the whole part,
     * then the remainder (below 2^21, so shifting it by 32 fits). */
    c->tsc_per_pit = ((tsc_hz / PIT_HZ) << 32) + ((tsc_hz % PIT_HZ) << 32) / PIT_HZ;
}

void vm_clock_stand_still(struct vm_clock *c, uint64_t ticks)
{
    c->tsc_start += ticks;
}

uint64_t vm_clock_pit_at(const struct vm_clock *c, uint64_t tsc)
{
    if (tsc <= c->tsc_start)
        return 0;
    return (uint64_t)(((unsigned __int128)(tsc - c->tsc_start) * c->pit_per_tsc) >> 32);
}

uint64_t vm_clock_tsc_at(const struct vm_clock *c, uint64_t pit_clocks)
{
    uint64_t tsc = c->tsc_start + (uint64_t)(((unsigned __int128)pit_clocks * c->tsc_per_pit) >> 32);
    /* Both factors are truncated: the estimate can be a few ticks early
     * (one in 2^32 of the time passed), never late: step up to the first. */
    while (vm_clock_pit_at(c, tsc) < pit_clocks)
        tsc++;
    return tsc;
}
