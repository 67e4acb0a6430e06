/*
 * attacks_bt_spaces.c: the shadows bt=1 keeps across CR3 loads, one per
 * address space (hv/guest/shadow_spaces.h). A CR3 load there switches to
 * the shadow kept for that CR3 instead of emptying one, which is right only
 * if every write to a page table or directory a kept shadow was made from
 * is seen before that shadow is loaded again. The bare CPU reads through
 * the tables as they are after a MOV to CR3 (SDM vol. 3, 4.10.4.1: the
 * load invalidates every non-global translation), and after INVLPG or a
 * change of CR4.PGE for global ones too. Each attack changes the tables of
 * an address space that is not loaded, or of the one loaded without INVLPG,
 * then loads it and reads. `spaces`: under bt the run must show CR3 loads
 * that found their shadow kept.
 */
#include "attack.h"
#include "recover.h"

#define SPACE  0x00400000u       /* the second 4 MiB: each address space's own table */
#define GLOBAL 0x00800000u       /* the third: one table of global entries, in every space */
#define SPACES 12                /* more than bt=1 keeps (shadows=, at most 8) */

static uint32_t pd[SPACES][1024] __attribute__((aligned(4096)));
static uint32_t pt[SPACES][1024] __attribute__((aligned(4096)));
static uint32_t pt_other[1024] __attribute__((aligned(4096)));
static uint32_t pt_global[1024] __attribute__((aligned(4096)));
static uint32_t frames[SPACES + 1][1024] __attribute__((aligned(4096)));   /* first words differ */

static inline void load_cr3(const uint32_t *dir) { __asm__ volatile("mov %0, %%cr3" : : "r"(dir) : "memory"); }
static inline uint32_t read_at(uint32_t va) { return *(volatile uint32_t *)va; }
static inline uint32_t mapping(unsigned f) { return (uint32_t)frames[f] | PG_P | PG_W; }
static inline uint32_t value(unsigned f) { return 0xDA7A0000 + f; }

/* n address spaces: the first 4 MiB as paging_on maps it, SPACE to
 * frames[s] through pt[s]; GLOBAL through pt_global in all of them. */
static void make_spaces(unsigned n)
{
    paging_on(0);
    for (unsigned f = 0; f <= SPACES; f++)
        frames[f][0] = value(f);
    pt_other[0] = mapping(SPACES);
    pt_global[0] = mapping(0) | PG_G;
    for (unsigned s = 0; s < n; s++) {
        for (unsigned i = 0; i < 1024; i++)
            pd[s][i] = page_dir[i];
        pd[s][1] = (uint32_t)pt[s] | PG_P | PG_W;
        pd[s][2] = (uint32_t)pt_global | PG_P | PG_W;
        pt[s][0] = mapping(s);
    }
    load_cr3(pd[0]);
}

/* Space 0 loaded and va read, then space 1: how many reads were not v0, v1. */
static unsigned read_in_both(uint32_t va, uint32_t v0, uint32_t v1)
{
    load_cr3(pd[0]);
    unsigned bad = read_at(va) != v0;
    load_cr3(pd[1]);
    return bad + (read_at(va) != v1);
}

ATTACK(bt_spaces_pte_written_away, "bt-spaces-pte-written-away", "all spaces", "native",
       "a PTE of an address space written while another is loaded, or while it is loaded (then CR3 "
       "loaded again), 500 rounds: every read through the new entry")
{
    make_spaces(2);
    unsigned bad = 0, now = 0;
    for (unsigned r = 0; r < 500; r++) {
        bad += read_in_both(SPACE, value(now), value(1));
        now = now ? 0 : SPACES;
        pt[0][0] = mapping(now);            /* space 0's, from space 1 */
        load_cr3(pd[1]);
        bad += read_at(SPACE) != value(1);
        load_cr3(pd[0]);
        bad += read_at(SPACE) != value(now);
        now = now ? 0 : SPACES;
        pt[0][0] = mapping(now);            /* its own, loaded */
        load_cr3(pd[0]);
        bad += read_at(SPACE) != value(now);
    }
    load_cr3(page_dir);
    result("%u of 2500 reads saw an old translation", bad);
}

ATTACK(bt_spaces_pde_written_away, "bt-spaces-pde-written-away", "all spaces", "native",
       "a directory entry of an address space moved to another page table while another space is "
       "loaded, 500 rounds: every read through the new table")
{
    make_spaces(2);
    unsigned bad = 0;
    for (unsigned r = 0; r < 500; r++) {
        bool other = r % 2;                 /* space 0's table moved at the end of the last round */
        bad += read_in_both(SPACE, value(other ? SPACES : 0), value(1));
        pd[0][1] = (uint32_t)(other ? pt[0] : pt_other) | PG_P | PG_W;
    }
    load_cr3(page_dir);
    result("%u of 1000 reads saw an old translation", bad);
}

ATTACK(bt_spaces_more_spaces, "bt-spaces-more-spaces", "all spaces", "native",
       "12 address spaces (more than bt=1 keeps), every other load one of three, one of their PTEs "
       "moved every third load, 1200 loads: each read through its own space's tables as they are")
{
    make_spaces(SPACES);
    unsigned bad = 0, at[SPACES];
    for (unsigned s = 0; s < SPACES; s++)
        at[s] = s;
    for (unsigned i = 0; i < 1200; i++) {
        unsigned s = i % 2 ? i / 2 % 3 : i * 5 % SPACES;   /* half of them among three: kept */
        load_cr3(pd[s]);
        bad += read_at(SPACE) != value(at[s]);
        if (i % 3 == 0) {
            unsigned t = i % 2 ? i * 7 % 3 : i * 7 % SPACES;
            at[t] = at[t] == t ? (t + 1) % SPACES : t;
            pt[t][0] = mapping(at[t]);
        }
    }
    load_cr3(page_dir);
    result("%u of 1200 reads saw an old translation", bad);
}

ATTACK(bt_spaces_global_dropped, "bt-spaces-global-dropped", "all spaces", "native",
       "a global PTE changed in one address space, then INVLPG, or CR4.PGE cleared and set, 300 rounds "
       "each: the other space reads through the new entry too")
{
    write_cr4(read_cr4() | CR4_PGE);
    make_spaces(2);
    unsigned bad = 0, now = 0;
    for (unsigned r = 0; r < 600; r++) {
        bad += read_in_both(GLOBAL, value(now), value(now));
        now = now ? 0 : SPACES;
        pt_global[0] = mapping(now) | PG_G;
        if (r % 2) {
            invlpg(GLOBAL);
        } else {
            write_cr4(read_cr4() & ~CR4_PGE);
            write_cr4(read_cr4() | CR4_PGE);
        }
        bad += read_at(GLOBAL) != value(now);
    }
    load_cr3(page_dir);
    write_cr4(read_cr4() & ~CR4_PGE);
    result("%u of 1800 reads saw an old translation", bad);
}

/* A write through SPACE in space 0, which faults (vector 14) or not. */
static bool write_faults(void)
{
    recovered_vector = NO_FAULT;
    TRY("movl $1, (%0)", : : "r"(SPACE) : "memory");
    return recovered_vector == 14;
}

ATTACK(bt_spaces_pde_rights, "bt-spaces-pde-rights", "all spaces", "native",
       "a directory entry of an address space made read-only and writable again while another space is "
       "loaded, 500 rounds: each write through it faults as its rights are then")
{
    make_spaces(2);
    write_cr0(read_cr0() | CR0_WP);         /* the kernel's writes too obey R/W (SDM 4.6.1) */
    unsigned bad = 0;
    for (unsigned r = 0; r < 500; r++) {
        bool read_only = r % 2;             /* as the end of the last round left it */
        load_cr3(pd[0]);
        bad += write_faults() != read_only;
        load_cr3(pd[1]);
        pd[0][1] = (uint32_t)pt[0] | PG_P | (read_only ? PG_W : 0);
    }
    load_cr3(page_dir);
    write_cr0(read_cr0() & ~CR0_WP);
    result("%u of 500 writes were not as the tables say", bad);
}

/* Code at the second page of directory slot `slot`, global in both
 * spaces through table t: MOV $n, %eax; RET, written through that page. */
static uint32_t (*global_code(unsigned slot))(void) { return (uint32_t (*)(void))(slot << 22 | 0x1000); }

static void write_code(unsigned slot, uint32_t n)
{
    volatile uint8_t *c = (volatile uint8_t *)(slot << 22 | 0x1000);
    c[0] = 0xB8;
    for (unsigned i = 0; i < 4; i++)
        c[1 + i] = (uint8_t)(n >> (8 * i));
    c[5] = 0xC3;
}

static uint32_t pt_code[4][1024] __attribute__((aligned(4096)));
static uint8_t code_frames[4][4096] __attribute__((aligned(4096)));

ATTACK(bt_spaces_copied_code, "bt-spaces-copied-code", "all spaces", "native",
       "kernel code in a global page, run and rewritten in one address space, then its directory slot "
       "first used in another, where it runs, is rewritten and runs again, in 4 slots: each run the code "
       "as last written")
{
    write_cr4(read_cr4() | CR4_PGE);
    make_spaces(2);
    for (unsigned k = 0; k < 4; k++) {
        pt_code[k][0] = mapping(k) | PG_G;
        pt_code[k][1] = (uint32_t)code_frames[k] | PG_P | PG_W | PG_G;
        pd[0][3 + k] = pd[1][3 + k] = (uint32_t)pt_code[k] | PG_P | PG_W;
    }
    unsigned wrong = 0;
    for (unsigned k = 0; k < 4; k++) {
        unsigned slot = 3 + k;
        load_cr3(pd[0]);
        write_code(slot, 1);
        wrong += global_code(slot)() != 1;      /* translated */
        write_code(slot, 2);                    /* its translation dropped: the page writable */
        load_cr3(pd[1]);
        wrong += read_at(slot << 22) != value(k);   /* the slot's first global entry in this space */
        wrong += global_code(slot)() != 2;      /* translated again */
        write_code(slot, 3);
        wrong += global_code(slot)() != 3;
    }
    load_cr3(page_dir);
    write_cr4(read_cr4() & ~CR4_PGE);
    result("%u of 16 runs and reads were not as last written", wrong);
}

