/* exit_stats.c: exit counts, cycles and the trace ring (see exit_stats.h). */
#include "exit_stats.h"
#include "exit_reasons.h"
#include "printf.h"

static uint64_t counts[EXIT_REASON_COUNT];
static uint64_t cycles[EXIT_REASON_COUNT];
static struct exit_record trace[EXIT_TRACE_SIZE];
static uint64_t total_exits;

static unsigned basic(uint32_t reason)
{
    unsigned b = reason & 0xFFFF;
    return b < EXIT_REASON_COUNT ? b : 0;
}

void exit_stats_record(uint32_t reason, uint64_t rip, uint64_t qualification)
{
    counts[basic(reason)]++;
    trace[total_exits % EXIT_TRACE_SIZE] = (struct exit_record){ reason, rip, qualification };
    total_exits++;
}

void exit_stats_add_cycles(uint32_t reason, uint64_t c)
{
    cycles[basic(reason)] += c;
}

void exit_stats_print(void)
{
    uint64_t all_cycles = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        all_cycles += cycles[r];
    printf("hv: exits: %llu in all, %llu cycles in the hypervisor\n",
           (unsigned long long)total_exits, (unsigned long long)all_cycles);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        if (counts[r])
            printf("hv: exits: %-34s %10llu exits %12llu cycles %8llu per exit\n",
                   exit_reason_name(r), (unsigned long long)counts[r],
                   (unsigned long long)cycles[r], (unsigned long long)(cycles[r] / counts[r]));
}

void exit_trace_print(void)
{
    uint64_t n = total_exits < EXIT_TRACE_SIZE ? total_exits : EXIT_TRACE_SIZE;
    printf("hv: the last %llu VM exits, oldest first:\n", (unsigned long long)n);
    for (uint64_t i = total_exits - n; i < total_exits; i++) {
        const struct exit_record *e = &trace[i % EXIT_TRACE_SIZE];
        printf("hv:   #%llu %s (%u%s) rip=0x%llx qualification=0x%llx\n", (unsigned long long)i,
               exit_reason_name(e->reason & 0xFFFF), e->reason & 0xFFFF,
               e->reason & (1u << 31) ? ", VM-entry failure" : "", (unsigned long long)e->rip,
               (unsigned long long)e->qualification);
    }
}
