/*
 * ptfuzz.c: do=ptfuzz=SEED: random page tables, the same answers. The guest
 * turns paging on and, thousands of times, rewrites a random page-directory
 * or page-table entry of a 16 MiB playground (of which it uses 8 pages per
 * 4 MiB, so that an entry a hypervisor failed to invalidate is met again) (present or not, writable or
 * not, a 4 KiB page table or a 4 MiB page, accessed and dirty set or clear,
 * any frame of an 8 MiB target area), invalidates as the SDM requires
 * (INVLPG, or a CR3 load after a PDE change), flips CR0.WP, and reads and
 * writes random addresses of the playground. Each access leaves its result
 * in a checksum: the value read (each word of the target holds its own
 * physical address, so a wrong frame shows), or the fault's vector, error
 * code and CR2; then the PDE and PTE with their accessed and dirty flags.
 *
 * Natively the CPU's own paging answers; with EPT too; under shadow paging
 * (lab 2) the hypervisor's shadow tables must give every answer the CPU
 * would, A/D flags included. tests/integration/hv_cases.py compares the
 * checksum of the three. Line:
 *   badguest: ptfuzz seed=S: N steps, R reads, W writes, F page faults, checksum 0x...
 */
#include <stdbool.h>
#include <stdint.h>
#include "badguest.h"
#include "printf.h"
#include "recover.h"

#define STEPS       4000
#define PG_P        0x001u
#define PG_W        0x002u
#define PG_U        0x004u
#define PG_A        0x020u
#define PG_D        0x040u
#define PG_PS       0x080u
#define CR0_WP      (1u << 16)
#define CR0_PG      0x80000000u
#define CR4_PSE     (1u << 4)
#define PLAY_VA     0x40000000u              /* the playground: 4 PDEs, 16 MiB */
#define PLAY_PDES   4
#define TARGET_PA   0x00800000u              /* the target: 8 MiB of frames */
#define TARGET_SIZE 0x00800000u
#define NPT         4                        /* page tables the PDEs choose from */
#define HOT         8                        /* the pages of each 4 MiB that are used: few,
                                                so that a stale entry is met again soon */

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));
static uint32_t pts[NPT][1024] __attribute__((aligned(4096)));
static uint32_t state, sum = 2166136261u;   /* FNV-1a */

static uint32_t rnd(void) { return xorshift32(&state); }

static void mix(uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        sum = (sum ^ (v & 0xFF)) * 16777619u;
}

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static void load_cr3(void) { __asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory"); }
static void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* Random flags: P most of the time; W, U, A, D at random. */
static uint32_t flags(void)
{
    uint32_t f = rnd();
    return ((f & 7) ? PG_P : 0) | (f & (PG_W | PG_U | PG_A | PG_D));
}

static void new_pde(unsigned i)
{
    uint32_t r = rnd() % 3;
    if (r == 0)                               /* a 4 MiB page of the target */
        pd[(PLAY_VA >> 22) + i] = (TARGET_PA + (rnd() % 2) * 0x400000u) | PG_PS | flags();
    else                                      /* one of the page tables */
        pd[(PLAY_VA >> 22) + i] = (uint32_t)pts[rnd() % NPT] | flags();
    load_cr3();                               /* a PDE change: flush it all (SDM 4.10.4.1) */
}

/* A PTE of page table t changed: invalidate every address that maps through it. */
static void new_pte(unsigned t, unsigned j)
{
    pts[t][j] = (TARGET_PA + (rnd() % (TARGET_SIZE >> 12)) * 4096u) | flags();
    for (unsigned i = 0; i < PLAY_PDES; i++)
        if ((pd[(PLAY_VA >> 22) + i] & ~0xFFFu) == (uint32_t)pts[t] && !(pd[(PLAY_VA >> 22) + i] & PG_PS))
            invlpg(PLAY_VA + i * 0x400000u + j * 4096u);
}

/* The PDE and (if it maps one) the PTE of va, as the guest sees them now. */
static void mix_entries(uint32_t va)
{
    uint32_t pde = pd[va >> 22];
    mix(pde);
    if ((pde & PG_P) && !(pde & PG_PS))
        mix(((uint32_t *)(pde & ~0xFFFu))[(va >> 12) & 0x3FF]);
}

void do_ptfuzz(const char *arg)
{
    uint32_t seed = parse_uint(arg);
    state = seed ? seed : 1;
    for (uint32_t pa = TARGET_PA; pa < TARGET_PA + TARGET_SIZE; pa += 4)
        *(volatile uint32_t *)pa = pa;        /* paging off: linear = physical */
    for (uint32_t i = 0; i < 1024; i++)
        low_pt[i] = i << 12 | PG_P | PG_W;    /* this kernel: the first 4 MiB, identity */
    pd[0] = (uint32_t)low_pt | PG_P | PG_W;
    for (unsigned t = 0; t < NPT; t++)
        for (unsigned j = 0; j < 1024; j++)
            pts[t][j] = (TARGET_PA + (rnd() % (TARGET_SIZE >> 12)) * 4096u) | flags();
    for (unsigned i = 0; i < PLAY_PDES; i++)
        pd[(PLAY_VA >> 22) + i] = (uint32_t)pts[i % NPT] | PG_P | PG_W;
    __asm__ volatile("mov %0, %%cr4" : : "r"(read_cr4() | CR4_PSE) : "memory");
    load_cr3();
    write_cr0(read_cr0() | CR0_PG | CR0_WP);

    unsigned reads = 0, writes = 0, faults = 0;
    for (unsigned step = 0; step < STEPS; step++) {
        uint32_t r = rnd() % 64;             /* CR3 loads rare: stale entries live long */
        if (r == 0) {
            new_pde(rnd() % PLAY_PDES);
        } else if (r == 1) {
            write_cr0(read_cr0() ^ CR0_WP);
            load_cr3();
        } else if (r < 18) {
            new_pte(rnd() % NPT, rnd() % HOT);
        } else {
            uint32_t va = PLAY_VA + (rnd() % PLAY_PDES) * 0x400000u + (rnd() % HOT) * 4096u +
                          (rnd() % 4096 & ~3u), v = 0;
            bool write = rnd() % 2;
            recovered_vector = NO_FAULT;
            if (write)
                TRY("movl %1, (%0)", : : "r"(va), "r"(step) : "memory");
            else
                TRY("movl (%1), %0", : "=r"(v) : "r"(va) : "memory");
            if (recovered_vector != NO_FAULT) {
                faults++;
                mix(recovered_vector << 24 | recovered_error);
                mix(read_cr2());
            } else if (write) {
                writes++;
                TRY("movl (%1), %0", : "=r"(v) : "r"(va) : "memory");   /* the value stuck */
                mix(v);
            } else {
                reads++;
                mix(v);
            }
            mix_entries(va);
        }
    }
    write_cr0(read_cr0() & ~CR0_PG);
    printf("badguest: ptfuzz seed=%u: %u steps, %u reads, %u writes, %u page faults, checksum 0x%08x\n",
           seed, STEPS, reads, writes, faults, sum);
}
