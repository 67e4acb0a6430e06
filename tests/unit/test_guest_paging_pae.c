/*
 * test_guest_paging_pae.c: hv/guest/guest_paging_pae.c, the software walk
 * of the guest's PAE and 4-level page tables, on a pretend guest of 16
 * pages. Each test builds tables by hand and checks the translation, the
 * #PF error code and the accessed and dirty flags against what SDM vol. 3
 * says the CPU does: 4.4 (PAE), 4.5 (4-level), 4.6 (rights: XD, SMEP,
 * SMAP, CR0.WP), 4.7 (error codes, RSVD and I/D), 4.8 (A/D flags).
 */
#include "unit.h"
#include <string.h>
#include "guest/guest_paging_pae.h"

#define PAGES 16
#define PML4 0x1000u        /* guest-physical addresses in the pretend RAM */
#define PDPT 0x2000u
#define PD   0x3000u
#define PT   0x4000u
#define PAGE 0x5000u
/* PML4E 1, PDPTE 2, PDE 3, PTE 4, offset 0x123. */
#define VA   ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x123)
#define RWU  (GPTE_P | GPTE_W | GPTE_U)
#define M    36             /* MAXPHYADDR */

static uint64_t ram[PAGES][512];

static uint32_t *table(void *ctx, uint64_t gpa)
{
    (void)ctx;
    assert_int_equal(gpa & 0xFFF, 0);
    return gpa < PAGES * 4096ull ? (uint32_t *)(void *)ram[gpa / 4096] : NULL;
}

static const struct gpt_mem mem = { table, NULL };
static uint64_t *pml4e = &ram[PML4 / 4096][1];
static uint64_t *pdpte = &ram[PDPT / 4096][2];
static uint64_t *pde = &ram[PD / 4096][3];
static uint64_t *pte = &ram[PT / 4096][4];

static struct gpt_pae_regs regs(uint32_t ctl)
{
    return (struct gpt_pae_regs){ .levels = GPT_4LEVEL, .cr3 = PML4, .ctl = ctl | GPT_1G, .maxphyaddr = M };
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    *pml4e = PDPT | RWU;
    *pdpte = PD | RWU;
    *pde = PT | RWU;
    *pte = PAGE | RWU;
    return 0;
}

static struct gpt_pae_walk walk(uint64_t va, uint32_t access, uint32_t ctl)
{
    struct gpt_pae_regs r = regs(ctl);
    struct gpt_pae_walk w;
    gpt_walk_pae(&w, &mem, &r, va, access);
    return w;
}

static void test_4level_read_translates_and_sets_accessed_everywhere(void **state)
{
    (void)state;
    struct gpt_pae_walk w = walk(VA, 0, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, PAGE | 0x123);
    assert_int_equal(w.page_size, 4096);
    assert_int_equal(w.used, 4);
    uint64_t *const all[] = { pml4e, pdpte, pde, pte };
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(*all[i] & (GPTE_A | GPTE_D), GPTE_A);
}

static void test_write_sets_dirty_in_the_leaf_only(void **state)
{
    (void)state;
    struct gpt_pae_walk w = walk(VA, PFEC_W | PFEC_U, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_true(w.dirty && w.writable && w.user);
    assert_int_equal(*pte & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
    assert_int_equal((*pml4e | *pdpte | *pde) & GPTE_D, 0);
}

static void test_observer_sets_no_flag(void **state)
{
    (void)state;
    struct gpt_pae_walk w = walk(VA, PFEC_W, GPT_WP | GPT_OBSERVE);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal((*pml4e | *pdpte | *pde | *pte) & (GPTE_A | GPTE_D), 0);
}

/* 4.7: a not-present entry at any level is #PF with P=0, W/R and U/S the
 * access's; nothing is marked accessed. */
static void test_not_present_at_each_level(void **state)
{
    (void)state;
    uint64_t *const all[] = { pml4e, pdpte, pde, pte };
    for (unsigned i = 0; i < 4; i++) {
        setup(NULL);
        *all[i] &= ~(uint64_t)GPTE_P;
        struct gpt_pae_walk w = walk(VA, PFEC_W | PFEC_U, GPT_WP);
        assert_int_equal(w.result, GPT_FAULT);
        assert_int_equal(w.error_code, PFEC_W | PFEC_U);
        assert_int_equal(w.used, i + 1);
        assert_int_equal((*pml4e | *pdpte | *pde | *pte) & GPTE_A, 0);
    }
}

/* 4.5.4, tables 4-18 and 4-17: PS in a PDE maps 2 MiB, in a PDPTE 1 GiB
 * (only on a CPU with 1 GiB pages: else PS there is reserved, 4.7). */
static void test_large_pages(void **state)
{
    (void)state;
    *pde = 0x00600000u | GPTE_P | GPTE_W | GPTE_PS | (1u << 12);      /* PAT bit 12: not address */
    struct gpt_pae_walk w = walk(VA, PFEC_W, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.page_size, 2u << 20);
    assert_int_equal(w.gpa, 0x00600000u | (VA & 0x1FFFFF));
    assert_int_equal(*pde & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
    assert_int_equal(*pte & GPTE_A, 0);                    /* no PTE used */

    *pdpte = 0x40000000u | GPTE_P | GPTE_PS;
    w = walk(VA, 0, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.page_size, 1u << 30);
    assert_int_equal(w.gpa, 0x40000000u | (VA & 0x3FFFFFFF));
    struct gpt_pae_regs r = regs(GPT_WP);
    r.ctl &= ~(uint32_t)GPT_1G;
    gpt_walk_pae(&w, &mem, &r, VA, 0);
    assert_int_equal(w.result, GPT_FAULT);
    assert_int_equal(w.error_code, PFEC_P | PFEC_RSVD);
}

/* 4.7 "RSVD flag", tables 4-15 to 4-20: bits 51:MAXPHYADDR, PS in a PML4E,
 * bits 20:13 of a 2 MiB PDE and 29:13 of a 1 GiB PDPTE, XD without NXE:
 * #PF with P=1 and RSVD=1. Bits 62:52 are ignored (no protection keys). */
static void test_reserved_bits_4level(void **state)
{
    (void)state;
    struct { uint64_t *e; uint64_t bit; } cases[] = {
        { pte, 1ull << M }, { pte, 1ull << 51 }, { pde, 1ull << 40 }, { pml4e, GPTE_PS },
        { pte, GPTE_XD }, { pml4e, GPTE_XD },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        *cases[i].e |= cases[i].bit;
        struct gpt_pae_walk w = walk(VA, PFEC_W, GPT_WP);
        assert_int_equal(w.result, GPT_FAULT);
        assert_int_equal(w.error_code, PFEC_P | PFEC_RSVD | PFEC_W);
        assert_int_equal((*pml4e | *pdpte | *pde | *pte) & GPTE_A, 0);
    }
    setup(NULL);
    *pde = 0x00600000u | GPTE_P | GPTE_PS | (1u << 13);
    assert_int_equal(walk(VA, 0, 0).error_code, PFEC_P | PFEC_RSVD);
    *pdpte = 0x40000000u | GPTE_P | GPTE_PS | (1u << 29);
    assert_int_equal(walk(VA, 0, 0).error_code, PFEC_P | PFEC_RSVD);
    setup(NULL);
    *pte |= 0x7FFull << 52;                                 /* ignored */
    *pml4e |= GPTE_XD;                                      /* with NXE: XD, not reserved */
    assert_int_equal(walk(VA, 0, GPT_NXE).result, GPT_OK);
}

/* 4.6.1: XD at any level refuses fetches (with NXE); I/D is reported with
 * NXE or SMEP only (4.7). */
static void test_execute_disable(void **state)
{
    (void)state;
    *pdpte |= GPTE_XD;
    struct gpt_pae_walk w = walk(VA, PFEC_I, GPT_NXE);
    assert_int_equal(w.result, GPT_FAULT);
    assert_int_equal(w.error_code, PFEC_P | PFEC_I);
    assert_int_equal(walk(VA, 0, GPT_NXE).result, GPT_OK);   /* a read is allowed */
    *pdpte &= ~GPTE_XD;
    *pte &= ~(uint64_t)GPTE_P;
    assert_int_equal(walk(VA, PFEC_I, GPT_NXE).error_code, PFEC_I);
    assert_int_equal(walk(VA, PFEC_I, 0).error_code, 0);       /* neither NXE nor SMEP: no I/D */
}

/* 4.6.1: supervisor accesses to user pages under SMEP (fetch) and SMAP
 * (data, unless RFLAGS.AC); user accesses to supervisor pages; CR0.WP. */
static void test_rights(void **state)
{
    (void)state;
    assert_int_equal(walk(VA, PFEC_I, GPT_SMEP).error_code, PFEC_P | PFEC_I);
    assert_int_equal(walk(VA, 0, GPT_SMAP).error_code, PFEC_P);
    assert_int_equal(walk(VA, PFEC_W, GPT_SMAP).error_code, PFEC_P | PFEC_W);
    assert_int_equal(walk(VA, PFEC_W, GPT_SMAP | GPT_AC).result, GPT_OK);
    assert_int_equal(walk(VA, PFEC_U, GPT_SMAP | GPT_SMEP).result, GPT_OK);
    *pdpte &= ~(uint64_t)GPTE_U;                          /* one level says supervisor */
    assert_int_equal(walk(VA, PFEC_U, 0).error_code, PFEC_P | PFEC_U);
    assert_int_equal(walk(VA, PFEC_I, GPT_SMEP).result, GPT_OK);
    *pde &= ~(uint64_t)GPTE_W;                            /* one level says read-only */
    *pte &= ~(uint64_t)GPTE_D;
    assert_int_equal(walk(VA, PFEC_W, 0).result, GPT_OK);  /* supervisor, WP=0 */
    assert_int_equal(*pte & GPTE_D, GPTE_D);
    *pte &= ~(uint64_t)GPTE_D;
    assert_int_equal(walk(VA, PFEC_W, GPT_WP).error_code, PFEC_P | PFEC_W);
    assert_int_equal(*pte & GPTE_D, 0);
}

/* 3.3.7.1: bits 63:47 all equal, else no walk (#GP or #SS); the upper
 * half's addresses index from PML4E 256. */
static void test_canonical(void **state)
{
    (void)state;
    assert_int_equal(walk(0x0000800000000000ull, 0, 0).result, GPT_NONCANONICAL);
    assert_int_equal(walk(0xFFFF7FFFFFFFFFFFull, 0, 0).result, GPT_NONCANONICAL);
    ram[PML4 / 4096][256] = PDPT | RWU;
    struct gpt_pae_walk w = walk(0xFFFF800000000000ull | (VA & ((1ull << 39) - 1)), 0, 0);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, PAGE | 0x123);
}

/* Tables outside guest RAM, at every level: never read, named. */
static void test_tables_outside_ram(void **state)
{
    (void)state;
    struct gpt_pae_regs r = regs(0);
    r.cr3 = 0xF0000000u;
    struct gpt_pae_walk w;
    gpt_walk_pae(&w, &mem, &r, VA, 0);
    assert_int_equal(w.result, GPT_BAD_TABLE);
    assert_int_equal(w.bad_gpa, 0xF0000000u);
    uint64_t *const all[] = { pml4e, pdpte, pde };
    for (unsigned i = 0; i < 3; i++) {
        setup(NULL);
        *all[i] = 0xF0001000u | RWU;
        w = walk(VA, 0, 0);
        assert_int_equal(w.result, GPT_BAD_TABLE);
        assert_int_equal(w.bad_gpa, 0xF0001000u);
    }
}

/* A PML4E that points at its own PML4 (the recursive slot kernels use):
 * each level reads the same page, and the walk ends after four. */
static void test_self_referencing_pml4(void **state)
{
    (void)state;
    ram[PML4 / 4096][0] = PML4 | RWU;
    struct gpt_pae_walk w = walk(0x8, PFEC_W, 0);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.used, 4);
    assert_int_equal(w.gpa, PML4 | 0x8);
    assert_int_equal(ram[PML4 / 4096][0], PML4 | RWU | GPTE_A | GPTE_D);
}

/* PAE (4.4): four PDPTEs, from the CPU's registers when given (loaded at
 * CR3's load: memory changed since is not what the CPU uses), else from
 * the 32-byte table at CR3; they have no A flag and no rights; bits 62:M
 * are reserved in PDEs and PTEs (tables 4-10, 4-11). */
static void test_pae(void **state)
{
    (void)state;
    uint64_t *mem_pdpte = &ram[PDPT / 4096][4 + 2];          /* the table at CR3 = PDPT + 0x20 */
    *mem_pdpte = PD | GPTE_P;
    uint64_t loaded[4] = { 0, 0, PD | GPTE_P, 0 };
    struct gpt_pae_regs r = { .levels = GPT_PAE, .cr3 = PDPT + 0x20, .pdptes = loaded, .ctl = GPT_WP, .maxphyaddr = M };
    uint32_t va = (2u << 30) | (3u << 21) | (4u << 12) | 0x321;
    struct gpt_pae_walk w;
    gpt_walk_pae(&w, &mem, &r, va, PFEC_W | PFEC_U);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, PAGE | 0x321);
    assert_int_equal(w.used, 3);
    assert_int_equal(*pde & GPTE_A, GPTE_A);
    assert_int_equal(*pte & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
    assert_int_equal(loaded[2], PD | GPTE_P);

    *mem_pdpte = 0;                                         /* memory changed, not reloaded */
    gpt_walk_pae(&w, &mem, &r, va, 0);
    assert_int_equal(w.result, GPT_OK);
    r.pdptes = NULL;                                        /* read at CR3 */
    gpt_walk_pae(&w, &mem, &r, va, PFEC_U);
    assert_int_equal(w.result, GPT_FAULT);
    assert_int_equal(w.error_code, PFEC_U);
    *mem_pdpte = PD | GPTE_P | GPTE_W;                      /* bit 1: reserved in a PAE PDPTE */
    gpt_walk_pae(&w, &mem, &r, va, 0);
    assert_int_equal(w.error_code, PFEC_P | PFEC_RSVD);

    r.pdptes = loaded;
    *pte |= 1ull << 62;                                     /* ignored with 4 levels, not here */
    gpt_walk_pae(&w, &mem, &r, va, 0);
    assert_int_equal(w.error_code, PFEC_P | PFEC_RSVD);
    *pte &= ~(1ull << 62);
    *pde = 0x00600000u | GPTE_P | GPTE_PS;                  /* 2 MiB */
    gpt_walk_pae(&w, &mem, &r, va | 0xFFFFFFFF00000000ull, 0);   /* a 32-bit address */
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, 0x00600000u | (va & 0x1FFFFF));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_4level_read_translates_and_sets_accessed_everywhere),
        T(test_write_sets_dirty_in_the_leaf_only),
        T(test_observer_sets_no_flag),
        T(test_not_present_at_each_level),
        T(test_large_pages),
        T(test_reserved_bits_4level),
        T(test_execute_disable),
        T(test_rights),
        T(test_canonical),
        T(test_tables_outside_ram),
        T(test_self_referencing_pml4),
        T(test_pae),
    };
    return RUN_UNIT_TESTS("guest_paging_pae", tests);
}
