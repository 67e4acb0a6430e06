/* exit_stats.c: exit counts, cycles and the trace ring (see exit_stats.h). */
#include "guest/exit_stats.h"
#include "vmx/exit_reasons.h"
#include "printf.h"

struct exit_stats exit_stats;

void exit_stats_print(void)
{
    uint64_t all_cycles = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        all_cycles += exit_stats.reason[r].cycles;
    printf("hv: exits: %llu in all, %llu cycles in the hypervisor\n",
           (unsigned long long)exit_stats.total, (unsigned long long)all_cycles);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        uint64_t n = exit_stats.reason[r].count, c = exit_stats.reason[r].cycles;
        if (n)
            printf("hv: exits: %-34s %10llu exits %12llu cycles %8llu per exit\n",
                   exit_reason_name(r), (unsigned long long)n, (unsigned long long)c,
                   (unsigned long long)(c / n));
    }
}

void exit_trace_print(void)
{
    uint64_t n = exit_stats.total < EXIT_TRACE_SIZE ? exit_stats.total : EXIT_TRACE_SIZE;
    printf("hv: the last %llu VM exits, oldest first:\n", (unsigned long long)n);
    for (uint64_t i = exit_stats.total - n; i < exit_stats.total; i++) {
        const struct exit_record *e = &exit_stats.trace[i % EXIT_TRACE_SIZE];
        printf("hv:   #%llu %s (%u%s) rip=0x%llx qualification=0x%llx\n", (unsigned long long)i,
               exit_reason_name(e->reason & 0xFFFF), e->reason & 0xFFFF,
               e->reason & (1u << 31) ? ", VM-entry failure" : "", (unsigned long long)e->rip,
               (unsigned long long)e->qualification);
    }
}
