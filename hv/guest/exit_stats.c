/* exit_stats.c: exit counts, cycles and the trace ring (see exit_stats.h). */
#include "guest/exit_stats.h"
#include "vmx/exit_reasons.h"
#include "printf.h"

void exit_stats_print(const struct exit_stats *s, const char *tag)
{
    uint64_t all_cycles = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        all_cycles += s->reason[r].cycles;
    printf("hv: %sexits: %lu in all, %lu cycles in the hypervisor\n", tag,
           s->total, all_cycles);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        uint64_t n = s->reason[r].count, c = s->reason[r].cycles;
        if (n)
            printf("hv: %sexits: %-34s %10lu exits %12lu cycles %8lu per exit\n", tag,
                   exit_reason_name(r), n, c,
                   c / n);
    }
}

void exit_trace_print(const struct exit_stats *s, const char *tag)
{
    uint64_t n = s->total < EXIT_TRACE_SIZE ? s->total : EXIT_TRACE_SIZE;
    printf("hv: %sthe last %lu VM exits, oldest first:\n", tag, n);
    for (uint64_t i = s->total - n; i < s->total; i++) {
        const struct exit_record *e = &s->trace[i % EXIT_TRACE_SIZE];
        printf("hv: %s  #%lu %s (%u%s) rip=0x%lx qualification=0x%lx\n", tag,
               i, exit_reason_name(e->reason & 0xFFFF), e->reason & 0xFFFF,
               e->reason & (1u << 31) ? ", VM-entry failure" : "", e->rip,
               e->qualification);
    }
}
