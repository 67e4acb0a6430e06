/*
 * test_pmm.c: hv/mem/pmm.c, the physical page allocator, on bitmaps of a
 * pretend machine with NPAGES pages.
 */
#include "unit.h"
#include "mem/pmm.h"

#define NPAGES 256
#define PAGE PMM_PAGE_SIZE

static uint64_t ram[PMM_BITMAP_WORDS(NPAGES)];
static uint64_t free_map[PMM_BITMAP_WORDS(NPAGES)];
static struct pmm p;

static int setup(void **state)
{
    (void)state;
    pmm_init(&p, ram, free_map, NPAGES);
    return 0;
}

static void test_starts_empty(void **state)
{
    (void)state;
    assert_int_equal(pmm_free_count(&p), 0);
    assert_int_equal(pmm_usable_count(&p), 0);
    assert_int_equal(pmm_alloc_page(&p), 0);
}

static void test_usable_rounds_inwards(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0x1800, 0x5000);   /* pages 2, 3, 4 only */
    assert_int_equal(pmm_usable_count(&p), 3);
    assert_int_equal(pmm_alloc_page(&p), 2 * PAGE);
    assert_int_equal(pmm_alloc_page(&p), 3 * PAGE);
    assert_int_equal(pmm_alloc_page(&p), 4 * PAGE);
    assert_int_equal(pmm_alloc_page(&p), 0);
}

static void test_overlapping_regions_count_once(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 10 * PAGE);
    pmm_add_usable(&p, 5 * PAGE, 15 * PAGE);
    assert_int_equal(pmm_usable_count(&p), 15);
    assert_int_equal(pmm_free_count(&p), 15);
}

static void test_memory_beyond_bitmap_is_ignored(void **state)
{
    (void)state;
    pmm_add_usable(&p, (NPAGES - 2) * PAGE, (NPAGES + 100) * PAGE);
    assert_int_equal(pmm_usable_count(&p), 2);
}

static void test_reserve_rounds_outwards(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 16 * PAGE);
    pmm_reserve(&p, 0, PAGE);                   /* page 0 */
    pmm_reserve(&p, 4 * PAGE + 1, 5 * PAGE + 1);  /* touches pages 4 and 5 */
    assert_int_equal(pmm_free_count(&p), 13);
    assert_int_equal(pmm_usable_count(&p), 16);   /* still "usable per map" */
    for (uint64_t a; (a = pmm_alloc_page(&p)) != 0; ) {
        assert_true(a != 4 * PAGE && a != 5 * PAGE);
        assert_int_equal(a % PAGE, 0);
    }
    assert_int_equal(pmm_free_count(&p), 0);
}

static void test_alloc_gives_distinct_pages_until_exhausted(void **state)
{
    (void)state;
    pmm_add_usable(&p, PAGE, 65 * PAGE);   /* 64 pages across a word boundary */
    static bool seen[NPAGES];
    for (int i = 0; i < 64; i++) {
        uint64_t a = pmm_alloc_page(&p);
        assert_true(a >= PAGE && a < 65 * PAGE);
        assert_false(seen[a / PAGE]);
        seen[a / PAGE] = true;
    }
    assert_int_equal(pmm_alloc_page(&p), 0);
    assert_int_equal(pmm_free_count(&p), 0);
}

static void test_free_makes_page_available_again(void **state)
{
    (void)state;
    pmm_add_usable(&p, PAGE, 4 * PAGE);
    uint64_t a = pmm_alloc_page(&p), b = pmm_alloc_page(&p), c = pmm_alloc_page(&p);
    assert_int_equal(pmm_alloc_page(&p), 0);
    assert_true(pmm_free_page(&p, b));
    assert_int_equal(pmm_free_count(&p), 1);
    assert_int_equal(pmm_alloc_page(&p), b);   /* found by wrapping around */
    (void)a;
    (void)c;
}

static void test_bad_frees_are_refused(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 8 * PAGE);
    pmm_reserve(&p, 0, PAGE);
    uint64_t a = pmm_alloc_page(&p);
    assert_true(pmm_free_page(&p, a));
    assert_false(pmm_free_page(&p, a));            /* double free */
    assert_false(pmm_free_page(&p, 0));            /* reserved */
    assert_false(pmm_free_page(&p, 20 * PAGE));    /* never RAM */
    assert_false(pmm_free_page(&p, a + 8));        /* unaligned */
    assert_false(pmm_free_page(&p, (uint64_t)NPAGES * PAGE));  /* past the end */
    assert_int_equal(pmm_free_count(&p), 7);
}

/* pmm_is_free: managed RAM that is free now; not reserved, allocated,
 * never-RAM or out-of-range pages. */
static void test_is_free(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 8 * PAGE);
    pmm_reserve(&p, 0, PAGE);
    assert_false(pmm_is_free(&p, 0));               /* reserved */
    assert_true(pmm_is_free(&p, PAGE));
    uint64_t a = pmm_alloc_page(&p);
    assert_false(pmm_is_free(&p, a));
    assert_true(pmm_free_page(&p, a));
    assert_true(pmm_is_free(&p, a));
    assert_false(pmm_is_free(&p, 20 * PAGE));       /* never RAM */
    assert_false(pmm_is_free(&p, (uint64_t)NPAGES * PAGE));    /* past the end */
}

static void test_contiguous_respects_alignment(void **state)
{
    (void)state;
    pmm_add_usable(&p, PAGE, 64 * PAGE);
    uint64_t a = pmm_alloc_contiguous(&p, 4, 16 * PAGE);
    assert_int_equal(a, 16 * PAGE);
    assert_int_equal(pmm_free_count(&p), 63 - 4);
    uint64_t b = pmm_alloc_contiguous(&p, 3, PAGE);
    assert_int_equal(b, PAGE);
}

static void test_contiguous_skips_holes(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 10 * PAGE);
    pmm_reserve(&p, 3 * PAGE, 4 * PAGE);   /* free: 0-2, 4-9 */
    assert_int_equal(pmm_alloc_contiguous(&p, 4, PAGE), 4 * PAGE);
    assert_int_equal(pmm_alloc_contiguous(&p, 4, PAGE), 0);   /* only 3+2 left */
    assert_int_equal(pmm_alloc_contiguous(&p, 3, PAGE), 0 * PAGE);
}

static void test_contiguous_rejects_bad_arguments(void **state)
{
    (void)state;
    pmm_add_usable(&p, 0, 64 * PAGE);
    assert_int_equal(pmm_alloc_contiguous(&p, 0, PAGE), 0);
    assert_int_equal(pmm_alloc_contiguous(&p, 1, 3 * PAGE), 0);   /* not a power of two */
    assert_int_equal(pmm_alloc_contiguous(&p, 1, 512), 0);        /* below a page */
    assert_int_equal(pmm_alloc_contiguous(&p, 65, PAGE), 0);      /* too many */
    assert_int_equal(pmm_free_count(&p), 64);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_starts_empty),
        T(test_usable_rounds_inwards),
        T(test_overlapping_regions_count_once),
        T(test_memory_beyond_bitmap_is_ignored),
        T(test_reserve_rounds_outwards),
        T(test_alloc_gives_distinct_pages_until_exhausted),
        T(test_free_makes_page_available_again),
        T(test_bad_frees_are_refused),
        T(test_is_free),
        T(test_contiguous_respects_alignment),
        T(test_contiguous_skips_holes),
        T(test_contiguous_rejects_bad_arguments),
    };
    return RUN_UNIT_TESTS("pmm", tests);
}
