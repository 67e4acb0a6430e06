/*
 * test_guest_paging.c: hv/guest/guest_paging.c, the software walk of the
 * guest's 32-bit page tables, on a pretend guest of 16 pages. Each test
 * builds a directory and a table, walks, and checks the translation, the
 * page-fault error code and the accessed and dirty flags (SDM vol. 3, 4.3,
 * 4.6-4.8).
 */
#include "unit.h"
#include <string.h>
#include "guest/guest_paging.h"

#define PAGES 16
#define PD  0x1000u     /* guest-physical addresses in the pretend RAM */
#define PT  0x2000u
#define PAGE 0x5000u
#define VA  0x00403123u /* PDE 1, PTE 3, offset 0x123 */

static uint32_t ram[PAGES][1024];

static uint32_t *table(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return gpa < PAGES * 4096ull ? ram[gpa / 4096] : NULL;
}

static const struct gpt_mem mem = { table, NULL };
static uint32_t *pde = &ram[PD / 4096][1];
static uint32_t *pte = &ram[PT / 4096][3];

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    *pde = PT | GPTE_P | GPTE_W | GPTE_U;
    *pte = PAGE | GPTE_P | GPTE_W | GPTE_U;
    return 0;
}

static void test_read_translates_and_sets_accessed(void **state)
{
    (void)state;
    struct gpt_walk w;
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, PAGE | 0x123);
    assert_true(w.writable && w.user && !w.dirty && !w.global);
    assert_int_equal(*pde & (GPTE_A | GPTE_D), GPTE_A);
    assert_int_equal(*pte & (GPTE_A | GPTE_D), GPTE_A);
}

static void test_write_sets_dirty_in_the_leaf_only(void **state)
{
    (void)state;
    struct gpt_walk w;
    gpt_walk(&w, &mem, PD, VA, PFEC_W | PFEC_U, GPT_WP);
    assert_int_equal(w.result, GPT_OK);
    assert_true(w.dirty);
    assert_int_equal(*pte & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
    assert_int_equal(*pde & GPTE_D, 0);
}

static void test_not_present_faults_without_touching_flags(void **state)
{
    (void)state;
    struct gpt_walk w;
    *pte &= ~GPTE_P;
    gpt_walk(&w, &mem, PD, VA, PFEC_W | PFEC_U, GPT_WP);
    assert_int_equal(w.result, GPT_FAULT);
    assert_int_equal(w.error_code, PFEC_W | PFEC_U);
    assert_int_equal(*pte & GPTE_A, 0);
    *pde &= ~GPTE_P;
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP);
    assert_int_equal(w.error_code, 0);
}

static void test_rights_combine_both_levels(void **state)
{
    (void)state;
    struct gpt_walk w;
    *pde &= ~GPTE_U;                                     /* supervisor-only directory entry */
    gpt_walk(&w, &mem, PD, VA, PFEC_U, GPT_WP);
    assert_int_equal(w.result, GPT_FAULT);
    assert_int_equal(w.error_code, PFEC_P | PFEC_U);
    *pde |= GPTE_U;
    *pte &= ~GPTE_W;                                     /* read-only page */
    gpt_walk(&w, &mem, PD, VA, PFEC_W | PFEC_U, GPT_WP);
    assert_int_equal(w.error_code, PFEC_P | PFEC_W | PFEC_U);
    gpt_walk(&w, &mem, PD, VA, PFEC_W, GPT_WP);         /* the kernel, CR0.WP set */
    assert_int_equal(w.error_code, PFEC_P | PFEC_W);
    gpt_walk(&w, &mem, PD, VA, PFEC_W, 0);              /* the kernel, CR0.WP clear */
    assert_int_equal(w.result, GPT_OK);
    assert_false(w.writable);
}

static void test_global_needs_pge(void **state)
{
    (void)state;
    struct gpt_walk w;
    *pte |= GPTE_G;
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP);
    assert_false(w.global);
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP | GPT_PGE);
    assert_true(w.global);
}

static void test_large_page_needs_pse(void **state)
{
    (void)state;
    struct gpt_walk w;
    *pde = 0x00400000u | GPTE_P | GPTE_W | GPTE_PS;      /* 4 MiB page at 4 MiB */
    gpt_walk(&w, &mem, PD, VA, PFEC_W, GPT_WP | GPT_PSE);
    assert_int_equal(w.result, GPT_OK);
    assert_int_equal(w.gpa, 0x00400000u | (VA & 0x3FFFFF));
    assert_int_equal(*pde & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP);              /* without PSE: PS ignored, a table */
    assert_int_equal(w.result, GPT_BAD_TABLE);
    assert_int_equal(w.bad_gpa, 0x00400000u);
}

static void test_tables_outside_ram_are_never_read(void **state)
{
    (void)state;
    struct gpt_walk w;
    gpt_walk(&w, &mem, 0xF0000000u, VA, 0, GPT_WP);
    assert_int_equal(w.result, GPT_BAD_TABLE);
    assert_int_equal(w.bad_gpa, 0xF0000000u);
    *pde = 0xF0000000u | GPTE_P | GPTE_W;
    gpt_walk(&w, &mem, PD, VA, 0, GPT_WP);
    assert_int_equal(w.result, GPT_BAD_TABLE);
    assert_int_equal(w.bad_gpa, 0xF0000000u);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_read_translates_and_sets_accessed),
        T(test_write_sets_dirty_in_the_leaf_only),
        T(test_not_present_faults_without_touching_flags),
        T(test_rights_combine_both_levels),
        T(test_global_needs_pge),
        T(test_large_page_needs_pse),
        T(test_tables_outside_ram_are_never_read),
    };
    return RUN_UNIT_TESTS("guest_paging", tests);
}
