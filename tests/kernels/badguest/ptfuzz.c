/*
 * ptfuzz.c: do=ptfuzz=SEED: random page tables, the same answers. The guest
 * turns paging on and, thousands of times, rewrites a random page-directory
 * or page-table entry of a 16 MiB playground (present or not, writable or
 * not, a 4 KiB page table or a 4 MiB page, accessed and dirty set or clear,
 * global or not, any frame of an 8 MiB target area; 8 pages of each 4 MiB
 * are used, so that an entry a hypervisor failed to invalidate is met
 * again), invalidates as the SDM
 * requires (INVLPG or a CR3 load after a PTE change, a CR4.PGE toggle after a
 * PDE change), flips CR0.WP, and reads and writes random addresses of the
 * playground, from ring 0 or from ring 3. Each access leaves its result
 * in a checksum: the value read (each word of the target holds its own
 * physical address, so a wrong frame shows), or the fault's vector, error
 * code and CR2; then the PDE and PTE with their accessed and dirty flags.
 *
 * Natively the CPU's own paging answers; with EPT too; under shadow paging
 * (lab 2) the hypervisor's shadow tables must give every answer the CPU
 * would, A/D flags included. tests/integration/hv_cases.py compares the
 * checksum of the three. Line:
 *   badguest: ptfuzz seed=S: N steps, R reads, W writes, F page faults, U from ring 3, checksum 0x...
 */
#include <stdbool.h>
#include <stdint.h>
#include "badguest.h"
#include "printf.h"
#include "recover.h"

#define STEPS       4000
#define PLAY_VA     0x40000000u              /* the playground: 4 PDEs, 16 MiB */
#define PLAY_PDES   4
#define TARGET_PA   0x00800000u              /* the target: 8 MiB of frames */
#define TARGET_SIZE 0x00800000u
#define NPT         4                        /* page tables the PDEs choose from */
#define HOT         8                        /* the pages of each 4 MiB that are used: few,
                                                so that a stale entry is met again soon */

/* ---- Ring 3: an access as a user program makes it (ring3.c) ------------
 * user_access_stub does one access inside TRY; an exception resumes after
 * it, still in ring 3. */
uint32_t user_va, user_value, user_write;     /* the stub's (global: asm uses them) */
void user_access_stub(void);

__asm__(
    ".text\n"
    ".globl user_access_stub\n"
    "user_access_stub:\n"
    "    movl user_va, %ecx\n"
    "    movl user_value, %eax\n"
    "    movl $2f, recover_eip\n"
    "    cmpl $0, user_write\n"
    "    je 1f\n"
    "    movl %eax, (%ecx)\n"
    "    jmp 2f\n"
    "1:  movl (%ecx), %eax\n"
    "    movl %eax, user_value\n"
    "2:  movl $0, recover_eip\n"
    "    ret\n");

/* ---- The page tables ------------------------------------------------- */

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

static void load_cr3(void) { __asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory"); }

/* Random flags: P most of the time, G now and then; W, U, A, D at random. */
static uint32_t flags(void)
{
    uint32_t f = rnd();
    return ((f & 7) ? PG_P : 0) | (f & (PG_W | PG_U | PG_A | PG_D)) | ((f >> 12) % 4 ? 0 : PG_G);
}

/* Every TLB entry, global ones too: a MOV to CR4 that changes PGE (SDM vol.
 * 3, 4.10.4.1). A CR3 load would leave global entries, which the CPU may
 * then use stale, and which a hypervisor may drop: an answer the SDM leaves
 * open, so the fuzzer never asks it. */
static void flush_all(void)
{
    write_cr4(read_cr4() & ~CR4_PGE);
    write_cr4(read_cr4() | CR4_PGE);
}

static void new_pde(unsigned i)
{
    uint32_t r = rnd() % 3;
    if (r == 0)                               /* a 4 MiB page of the target */
        pd[(PLAY_VA >> 22) + i] = (TARGET_PA + (rnd() % 2) * 0x400000u) | PG_PS | flags();
    else                                      /* one of the page tables */
        pd[(PLAY_VA >> 22) + i] = (uint32_t)pts[rnd() % NPT] | flags();
    flush_all();                              /* a PDE change: flush it all */
}

/* A PTE of page table t changed: invalidate every address that maps through
 * it, with INVLPG, or, when neither the old entry nor the new one is global,
 * with a CR3 load, which drops every non-global entry (SDM 4.10.4.1). */
static void new_pte(unsigned t, unsigned j)
{
    uint32_t old = pts[t][j];
    pts[t][j] = (TARGET_PA + (rnd() % (TARGET_SIZE >> 12)) * 4096u) | flags();
    if (!((old | pts[t][j]) & PG_G) && rnd() % 4) {
        load_cr3();
        return;
    }
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
    for (uint32_t i = 0; i < 1024; i++)       /* this kernel: the first 4 MiB, identity, */
        low_pt[i] = i << 12 | PG_P | PG_W | PG_U;                 /* user too (the stub) */
    pd[0] = (uint32_t)low_pt | PG_P | PG_W | PG_U;
    ring3_setup();
    for (unsigned t = 0; t < NPT; t++)
        for (unsigned j = 0; j < 1024; j++)
            pts[t][j] = (TARGET_PA + (rnd() % (TARGET_SIZE >> 12)) * 4096u) | flags();
    for (unsigned i = 0; i < PLAY_PDES; i++)
        pd[(PLAY_VA >> 22) + i] = (uint32_t)pts[i % NPT] | PG_P | PG_W;
    write_cr4(read_cr4() | CR4_PSE | CR4_PGE);
    load_cr3();
    write_cr0(read_cr0() | CR0_PG | CR0_WP);

    unsigned reads = 0, writes = 0, faults = 0, users = 0;
    for (unsigned step = 0; step < STEPS; step++) {
        uint32_t r = rnd() % 64;             /* CR3 loads rare: stale entries live long */
        if (r == 0) {
            new_pde(rnd() % PLAY_PDES);
        } else if (r == 1) {
            write_cr0(read_cr0() ^ CR0_WP);
            flush_all();
        } else if (r < 18) {
            new_pte(rnd() % NPT, rnd() % HOT);
        } else {
            uint32_t va = PLAY_VA + (rnd() % PLAY_PDES) * 0x400000u + (rnd() % HOT) * 4096u +
                          (rnd() % 4096 & ~3u), v = 0;
            bool write = rnd() % 2, user = rnd() % 2;
            recovered_vector = NO_FAULT;
            if (user) {
                user_va = va;
                user_value = step;
                user_write = write;
                run_at_ring3(user_access_stub);
                v = user_value;
                users++;
            } else if (write) {
                TRY("movl %1, (%0)", : : "r"(va), "r"(step) : "memory");
            } else {
                TRY("movl (%1), %0", : "=r"(v) : "r"(va) : "memory");
            }
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
    printf("badguest: ptfuzz seed=%u: %u steps, %u reads, %u writes, %u page faults, %u from ring 3, "
           "checksum 0x%08x\n", seed, STEPS, reads, writes, faults, users, sum);
}
