/* apf: pseudo page faults (issue 20). A toucher process walks more memory
 * than the hypervisor keeps resident (resident=), twice, every page checked
 * against what it wrote; meanwhile the parent computes work units until the
 * toucher has exited. Under an unmodified guest each fault on a page the
 * hypervisor paged out holds the whole VM; with apf=1 the toucher alone
 * blocks and the parent's work goes on, so the units done while the pages
 * came in are the pseudo page fault's gain. Everything counted here is
 * exact under Bochs (its TSC counts instructions).
 *   APF pages=P passes=N units=U not_present=X ready=Y woken=Z
 * Natively, or with no resident=, it passes too (X = Y = Z = 0). */
#include "ulib.h"
#include "../kernel/syscall.h"

const char *test_name = "apf";

#define PAGES  1024         /* 4 MiB: the toucher's heap */
#define PASSES 2            /* reads after the write */
#define STRIDE 64           /* words checked per page: every 64th */
#define UNIT   2000         /* loop steps in one work unit */

static uint32_t pattern(uint32_t page, uint32_t i)
{
    return (page * 2654435761u) ^ (i * 40503u) ^ 0x5a5a0000u;
}

static void toucher(void)
{
    uint32_t *mem = sbrk(PAGES * 4096);
    if (mem == (void *)-1)
        exit(2);
    for (uint32_t p = 0; p < PAGES; p++)
        for (uint32_t i = 0; i < 1024; i += STRIDE)
            mem[p * 1024 + i] = pattern(p, i);
    uint32_t bad = 0;
    for (int pass = 0; pass < PASSES; pass++)
        for (uint32_t p = 0; p < PAGES; p++)
            for (uint32_t i = 0; i < 1024; i += STRIDE)
                bad += mem[p * 1024 + i] != pattern(p, i);
    exit(bad ? 1 : 0);
}

int main(void)
{
    int pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0)
        toucher();
    uint32_t units = 0;
    int status = 0, got;
    while ((got = trywait(&status)) == 0) {
        for (volatile int k = 0; k < UNIT; k++)
            ;
        units++;
    }
    CHECK(got == pid, "trywait gave %d, not the toucher %d", got, pid);
    CHECK(status == 0, "the toucher found %s (status %d)",
          status == 1 ? "a word it wrote changed" : status == 2 ? "no memory" : "itself killed", status);
    struct apf_stat s;
    CHECK(apfstat(&s) == 0, "apfstat");
    printf("APF pages=%u passes=%u units=%u not_present=%u ready=%u woken=%u\n", PAGES, PASSES, units,
           s.not_present, s.ready, s.woken);
    CHECK(s.woken <= s.ready && s.ready <= s.not_present, "more woken or ready than pseudo page faults");
    test_pass();
}
