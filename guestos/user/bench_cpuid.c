/* bench cpuid: the cost of CPUID. Natively it is one instruction; under a
 * hypervisor every CPUID exits (SDM vol. 3, 26.1.2), so this measures the
 * round trip guest -> VM exit -> handler -> VM entry -> guest. */
#include "ulib.h"
#define N 5000

static inline void cpuid0(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

int main(void)
{
    cpuid0();
    uint64_t t = rdtsc();
    for (int i = 0; i < N; i++)
        cpuid0();
    bench_report("cpuid", rdtsc() - t, N);
    return 0;
}
