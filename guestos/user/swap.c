/* swap: the guest OS's own paging (swap=N, kernel/swap.c), and with it,
 * under the hypervisor's paging (resident=), double paging (issue 20;
 * lecture slide 8). A process writes PAGES pages, has the kernel write them
 * all to its swap (pageout), then reads every word back: each page comes
 * back from the swap on its first touch. Under a hypervisor that paged
 * some of them out already, the kernel's copy of those brings them back
 * only to write them out again (the hypervisor counts them: "written
 * twice"). Prints
 *   SWAP pages=P paged_out=O swapped_out=X swapped_in=Y
 * Without swap=, nothing is paged out and it passes too. */
#include "ulib.h"
#include "../kernel/syscall.h"

const char *test_name = "swap";

#define PAGES  1024
#define STRIDE 64

static uint32_t pattern(uint32_t page, uint32_t i)
{
    return (page * 2246822519u) ^ (i * 3266489917u) ^ 0x00c0ffeeu;
}

int main(void)
{
    uint32_t *mem = sbrk(PAGES * 4096);
    CHECK(mem != (void *)-1, "sbrk");
    for (uint32_t p = 0; p < PAGES; p++)
        for (uint32_t i = 0; i < 1024; i += STRIDE)
            mem[p * 1024 + i] = pattern(p, i);
    int out = pageout(mem, PAGES);
    uint32_t bad = 0;
    for (uint32_t p = 0; p < PAGES; p++)
        for (uint32_t i = 0; i < 1024; i += STRIDE)
            bad += mem[p * 1024 + i] != pattern(p, i);
    struct apf_stat s;
    CHECK(apfstat(&s) == 0, "apfstat");
    printf("SWAP pages=%u paged_out=%d swapped_out=%u swapped_in=%u\n", PAGES, out, s.swapped_out, s.swapped_in);
    CHECK(bad == 0, "%u words changed", bad);
    CHECK(out >= 0 && (uint32_t)out == s.swapped_out && s.swapped_in == s.swapped_out, "swap counts unmatched");
    test_pass();
}
