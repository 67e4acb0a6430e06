/* exit_stats.c: exit counts, cycles and the trace ring (see exit_stats.h). */
#include "guest/exit_stats.h"
#include "vmx/exit_reasons.h"
#include "printf.h"

void exit_stats_print(const struct exit_stats *s, const char *tag)
{
    uint64_t all_cycles = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        all_cycles += s->reason[r].cycles;
    printf("hv: %sexits: %llu in all, %llu cycles in the hypervisor\n", tag,
           (unsigned long long)s->total, (unsigned long long)all_cycles);
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
        uint64_t n = s->reason[r].count, c = s->reason[r].cycles;
        if (n)
            printf("hv: %sexits: %-34s %10llu exits %12llu cycles %8llu per exit\n", tag,
                   exit_reason_name(r), (unsigned long long)n, (unsigned long long)c,
                   (unsigned long long)(c / n));
    }
}

void exit_trace_print(const struct exit_stats *s, const char *tag)
{
    uint64_t n = s->total < EXIT_TRACE_SIZE ? s->total : EXIT_TRACE_SIZE;
    printf("hv: %sthe last %llu VM exits, oldest first:\n", tag, (unsigned long long)n);
    for (uint64_t i = s->total - n; i < s->total; i++) {
        const struct exit_record *e = &s->trace[i % EXIT_TRACE_SIZE];
        printf("hv: %s  #%llu %s (%u%s) rip=0x%llx qualification=0x%llx\n", tag,
               (unsigned long long)i, exit_reason_name(e->reason & 0xFFFF), e->reason & 0xFFFF,
               e->reason & (1u << 31) ? ", VM-entry failure" : "", (unsigned long long)e->rip,
               (unsigned long long)e->qualification);
    }
}
