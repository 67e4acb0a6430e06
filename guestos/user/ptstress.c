/* ptstress: page-table stress, for a hypervisor's shadow page tables (lab 2).
 * Each part runs in a child and prints "PTSTRESS <part>: ok" or
 * "PTSTRESS <part>: FAIL <why>"; a shadow bug shows as exactly one of them:
 *   accessed-dirty  the CPU's A and D flags, set afresh after the kernel
 *                   clears them (and invalidates the page): lost A/D bits
 *   invlpg          the kernel swaps two pages' frames and invalidates both:
 *                   a missed INVLPG reads the old page
 *   sbrk-stale      freed heap pages come back zeroed, never with old data:
 *                   a stale shadow entry
 *   cr3-switch      two processes, one address, different data, switching
 *                   back and forth: a missed CR3 switch shows the other's */
#include "ulib.h"

const char *test_name = "ptstress";
#define PTE_A 0x20
#define PTE_D 0x40
#define PAGES 16
#define ROUNDS 40

static volatile uint32_t *page(char *base, int i) { return (volatile uint32_t *)(base + i * 4096); }

static void part_fail(const char *part, const char *why, int i, int want, int got)
{
    printf("PTSTRESS %s: FAIL %s (page %d: expected 0x%x, got 0x%x)\n", part, why, i, want, got);
    exit(1);
}

static void accessed_dirty(void)
{
    char *heap = sbrk(PAGES * 4096);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < PAGES; i++) {
            (void)*page(heap, i);
            int f = pteflags((void *)page(heap, i), 0) & (PTE_A | PTE_D);
            if (round == 0 && f != PTE_A)
                part_fail("accessed-dirty", "after the first read", i, PTE_A, f);
            *page(heap, i) = round;
            if ((f = pteflags((void *)page(heap, i), PTE_A | PTE_D) & (PTE_A | PTE_D)) != (PTE_A | PTE_D))
                part_fail("accessed-dirty", "after a write", i, PTE_A | PTE_D, f);
            if ((f = pteflags((void *)page(heap, i), 0) & (PTE_A | PTE_D)) != 0)
                part_fail("accessed-dirty", "after clearing them", i, 0, f);
            (void)*page(heap, i);
            if ((f = pteflags((void *)page(heap, i), 0) & (PTE_A | PTE_D)) != PTE_A)
                part_fail("accessed-dirty", "after a read of a cleared page", i, PTE_A, f);
        }
    }
    printf("PTSTRESS accessed-dirty: ok\n");
}

static void invlpg_swap(void)
{
    char *heap = sbrk(2 * 4096);
    volatile uint32_t *a = page(heap, 0), *b = page(heap, 1);
    *a = 0xA, *b = 0xB;
    for (int round = 0; round < 4 * ROUNDS; round++) {
        uint32_t was_a = *a, was_b = *b;     /* both in the TLB (and the shadow) */
        if (ptswap((void *)a, (void *)b) < 0)
            part_fail("invlpg", "ptswap refused", 0, 0, -1);
        if (*a != was_b || *b != was_a)
            part_fail("invlpg", "a swapped page still shows its old frame", 0, (int)was_b, (int)*a);
        *a += 0x10;                          /* a write, to the new frame */
    }
    printf("PTSTRESS invlpg: ok\n");
}

static void sbrk_stale(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        char *heap = sbrk(PAGES * 4096);
        for (int i = 0; i < PAGES; i++)
            if (*page(heap, i) != 0)
                part_fail("sbrk-stale", "a fresh heap page holds old data", i, 0, (int)*page(heap, i));
        for (int i = 0; i < PAGES; i++)
            *page(heap, i) = 0x5000 + round;
        sbrk(-PAGES * 4096);                 /* the kernel unmaps them and INVLPGs each */
    }
    printf("PTSTRESS sbrk-stale: ok\n");
}

static uint32_t shared[PAGES * 1024];        /* .bss: copy-on-write after fork */

static void cr3_switch(void)
{
    for (int i = 0; i < PAGES; i++)
        shared[i * 1024] = 1;                /* mapped, in the TLB */
    int child = fork();
    uint32_t mine = child == 0 ? 0xC0DE : 0xBEEF;
    for (int i = 0; i < PAGES; i++)
        shared[i * 1024] = mine;             /* each side breaks COW: its own pages */
    for (int round = 0; round < 4 * ROUNDS; round++) {
        yield();                             /* the other process runs: CR3 loads */
        for (int i = 0; i < PAGES; i++)
            if (shared[i * 1024] != mine)
                part_fail("cr3-switch", child == 0 ? "the child sees other data" :
                          "the parent sees other data", i, (int)mine, (int)shared[i * 1024]);
    }
    if (child == 0)
        exit(0);
    int status;
    wait(&status);
    if (status != 0)
        exit(1);
    printf("PTSTRESS cr3-switch: ok\n");
}

int main(void)
{
    void (*parts[])(void) = { accessed_dirty, invlpg_swap, sbrk_stale, cr3_switch };
    int failed = 0;
    for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (run_child(parts[i]) != 0)
            failed++;
    CHECK(failed == 0, "%d of 4 parts failed (PTSTRESS lines above)", failed);
    test_pass();
}
