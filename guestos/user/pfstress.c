/* pfstress: many demand-zero and copy-on-write page faults, from
 * several processes, with every byte checked and no page leaked. */
#include "ulib.h"

const char *test_name = "pfstress";
#define PAGES 512       /* 2 MiB of heap: 8 MiB with the workers' copies */
#define WORKERS 3

static uint32_t *heap;

static int check_pattern(uint32_t seed)
{
    for (int p = 0; p < PAGES; p++)
        for (int w = 0; w < 1024; w += 256)
            if (heap[p * 1024 + w] != seed + p * 1024 + w)
                return 0;
    return 1;
}

static void write_pattern(uint32_t seed)
{
    /* a scattered order, so faults do not come in address order */
    for (int i = 0; i < PAGES; i++) {
        int p = (i * 389) % PAGES;
        for (int w = 0; w < 1024; w += 256)
            heap[p * 1024 + w] = seed + p * 1024 + w;
    }
}

int main(void)
{
    int before = freemem();
    heap = sbrk(PAGES * 4096);
    CHECK(heap != (void *)-1, "sbrk of %d pages failed", PAGES);
    for (int p = 0; p < PAGES; p++)
        CHECK(heap[p * 1024 + 17] == 0, "a fresh heap page is not zero");
    write_pattern(1000);
    CHECK(check_pattern(1000), "the heap lost data");
    for (int i = 0; i < WORKERS; i++)
        if (fork() == 0) {
            if (!check_pattern(1000))
                exit(2);
            write_pattern(5000 * (i + 1));      /* every page copied */
            exit(check_pattern(5000 * (i + 1)) ? 0 : 3);
        }
    for (int i = 0; i < WORKERS; i++) {
        int status = -1;
        CHECK(wait(&status) > 0 && status == 0, "a worker failed with status %d", status);
    }
    CHECK(check_pattern(1000), "the workers' writes reached the parent");
    CHECK(sbrk(-PAGES * 4096) != (void *)-1, "sbrk shrink failed");
    CHECK(freemem() >= before - 4, "%d pages leaked", before - freemem());
    test_pass();
}
