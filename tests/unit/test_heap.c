/*
 * test_heap.c: hv/mem/heap.c, the first-fit heap, on a static arena.
 */
#include "unit.h"
#include "mem/heap.h"
#include <string.h>

#define ARENA_SIZE 8192

static _Alignas(16) unsigned char arena[ARENA_SIZE];
static struct heap h;

static int setup(void **state)
{
    (void)state;
    heap_init(&h);
    memset(arena, 0xEE, sizeof(arena));
    return 0;
}

static bool inside_arena(const void *p, size_t size)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p + size <= arena + ARENA_SIZE;
}

static void test_empty_heap_gives_nothing(void **state)
{
    (void)state;
    assert_null(heap_alloc(&h, 1));
}

static void test_region_is_trimmed_to_alignment(void **state)
{
    (void)state;
    assert_true(heap_add_region(&h, arena + 3, 1000));
    assert_int_equal(h.total_bytes, 976);   /* [arena+16, arena+1000) */
    assert_int_equal(h.free_bytes, 976);
    assert_false(heap_add_region(&h, arena + 2000, 20));   /* too small for a block */
    assert_int_equal(h.regions, 1);
}

static void test_allocations_are_aligned_and_disjoint(void **state)
{
    (void)state;
    heap_add_region(&h, arena, ARENA_SIZE);
    unsigned char *p[20];
    for (int i = 0; i < 20; i++) {
        size_t size = 1 + (size_t)i * 13;
        p[i] = heap_alloc(&h, size);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % HEAP_ALIGN, 0);
        assert_true(inside_arena(p[i], size));
        memset(p[i], i, size);
    }
    for (int i = 0; i < 20; i++)
        for (size_t k = 0; k < 1 + (size_t)i * 13; k++)
            assert_int_equal(p[i][k], i);
}

static void test_freeing_everything_coalesces_to_one_block(void **state)
{
    (void)state;
    heap_add_region(&h, arena, ARENA_SIZE);
    void *a = heap_alloc(&h, 100), *b = heap_alloc(&h, 200), *c = heap_alloc(&h, 300);
    assert_true(heap_free(&h, b));          /* a hole in the middle */
    assert_int_equal(heap_free_block_count(&h), 2);
    assert_true(heap_free(&h, a));          /* merges with the hole */
    assert_int_equal(heap_free_block_count(&h), 2);
    assert_true(heap_free(&h, c));          /* merges with both sides */
    assert_int_equal(heap_free_block_count(&h), 1);
    assert_int_equal(h.free_bytes, ARENA_SIZE);
    assert_non_null(heap_alloc(&h, ARENA_SIZE - 16));   /* all of it again */
}

static void test_first_fit_reuses_a_freed_hole(void **state)
{
    (void)state;
    heap_add_region(&h, arena, ARENA_SIZE);
    void *a = heap_alloc(&h, 256);
    heap_alloc(&h, 64);
    heap_free(&h, a);
    assert_ptr_equal(heap_alloc(&h, 200), a);
}

static void test_exhaustion_returns_null_then_recovers(void **state)
{
    (void)state;
    heap_add_region(&h, arena, 1024);
    void *blocks[64];
    int n = 0;
    while ((blocks[n] = heap_alloc(&h, 48)) != NULL)
        n++;
    assert_int_equal(n, 1024 / 64);   /* 48 + 16-byte header each */
    assert_int_equal(h.free_bytes, 0);
    assert_true(heap_free(&h, blocks[3]));
    assert_ptr_equal(heap_alloc(&h, 48), blocks[3]);
}

static void test_absurd_sizes_fail_cleanly(void **state)
{
    (void)state;
    heap_add_region(&h, arena, ARENA_SIZE);
    assert_null(heap_alloc(&h, ARENA_SIZE));
    assert_null(heap_alloc(&h, SIZE_MAX));
    assert_null(heap_alloc(&h, SIZE_MAX - 8));
    assert_int_equal(h.free_bytes, ARENA_SIZE);
}

static void test_bad_frees_are_refused(void **state)
{
    (void)state;
    heap_add_region(&h, arena, ARENA_SIZE);
    unsigned char *a = heap_alloc(&h, 64);
    heap_alloc(&h, 64);
    assert_false(heap_free(&h, NULL));
    assert_false(heap_free(&h, a + 8));    /* unaligned */
    assert_false(heap_free(&h, a + 32));   /* inside a block, not its start */
    assert_true(heap_free(&h, a));
    assert_false(heap_free(&h, a));        /* double free */
    assert_int_equal(h.free_bytes, ARENA_SIZE - 80);
}

static void test_grows_with_a_second_region(void **state)
{
    (void)state;
    heap_add_region(&h, arena, 256);
    assert_null(heap_alloc(&h, 1000));
    size_t need = heap_region_needed(1000);
    assert_true(heap_add_region(&h, arena + 4096 + 8, need));   /* unaligned start */
    void *p = heap_alloc(&h, 1000);
    assert_non_null(p);
    assert_true((unsigned char *)p >= arena + 4096);
    assert_int_equal(h.regions, 2);
}

static void test_adjacent_regions_merge(void **state)
{
    (void)state;
    heap_add_region(&h, arena + 1024, 1024);
    heap_add_region(&h, arena, 1024);
    assert_int_equal(heap_free_block_count(&h), 1);
    assert_non_null(heap_alloc(&h, 2000));
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_heap_gives_nothing),
        T(test_region_is_trimmed_to_alignment),
        T(test_allocations_are_aligned_and_disjoint),
        T(test_freeing_everything_coalesces_to_one_block),
        T(test_first_fit_reuses_a_freed_hole),
        T(test_exhaustion_returns_null_then_recovers),
        T(test_absurd_sizes_fail_cleanly),
        T(test_bad_frees_are_refused),
        T(test_grows_with_a_second_region),
        T(test_adjacent_regions_merge),
    };
    return RUN_UNIT_TESTS("heap", tests);
}
