/*
 * test_machine_frames.c: hv/guest/machine_frames.c's two gates under
 * direct paging: machine_frames_ptr gives a VM's own frames and nothing
 * else; machine_frames_hv_ptr gives the hypervisor's frames its tables
 * reach (the L1 its slot 1008 names, the M2P's run that L1 maps) for
 * reads, and no frame beside them.
 */
#include "unit.h"
#include "guest/machine_frames.h"
#include "mem/memory.h"

struct pmm hv_pmm;      /* memory.h's; machine_frames() is not called here */

#define PAGE 4096u
#define OWNER 1
#define M2P_L1 40u      /* the L1 of slot 1008 */
#define RUN 100u        /* the M2P: frames 100..102 */
#define RUN_FRAMES 3u

static struct dp_frame frames[200];
static struct dp_machine machine = { frames, 200, NULL, NULL };

static struct dp_vm vm(void)
{
    struct dp_vm v = { .m = &machine, .owner = OWNER, .hv_run = RUN, .hv_run_frames = RUN_FRAMES };
    v.hv_pde[0] = M2P_L1 << 12 | 0x21;      /* P, A: read-only, supervisor */
    v.hv_pde[3] = 60u << 12;                /* not present: no frame of it */
    return v;
}

static bool readable(const struct dp_vm *v, uint64_t ma, uint64_t len)
{
    const void *p = machine_frames_hv_ptr(v, ma, len);
    if (p)
        assert_ptr_equal(p, (const void *)ma);
    return p != NULL;
}

static void test_hv_run_and_l1(void **state)
{
    (void)state;
    struct dp_vm v = vm();
    for (uint32_t f = RUN; f < RUN + RUN_FRAMES; f++)
        assert_true(readable(&v, (uint64_t)f * PAGE + 8, 4));
    assert_true(readable(&v, (uint64_t)RUN * PAGE, RUN_FRAMES * PAGE));     /* the whole run */
    assert_true(readable(&v, (uint64_t)M2P_L1 * PAGE + 4092, 4));
}

static void test_hv_nothing_beside(void **state)
{
    (void)state;
    struct dp_vm v = vm();
    assert_false(readable(&v, (uint64_t)(RUN - 1) * PAGE + 4092, 4));      /* just below */
    assert_false(readable(&v, (uint64_t)(RUN + RUN_FRAMES) * PAGE, 4));     /* just past */
    assert_false(readable(&v, (uint64_t)(RUN + RUN_FRAMES) * PAGE - 2, 4)); /* across its end */
    assert_false(readable(&v, (uint64_t)RUN * PAGE - 2, 4));                /* across its start */
    assert_false(readable(&v, (uint64_t)(M2P_L1 + 1) * PAGE, 4));
    assert_false(readable(&v, 60ull * PAGE, 4));                            /* a PDE not present */
    assert_false(readable(&v, 0, 4));
    assert_false(readable(&v, ~0ull - 2, 8));                               /* wraps */
    v.hv_run_frames = 0;                                                    /* no run: none of it */
    assert_false(readable(&v, (uint64_t)RUN * PAGE, 4));
}

static void test_own_frames_only(void **state)
{
    (void)state;
    struct dp_vm v = vm();
    frames[10].owner = frames[11].owner = OWNER;
    frames[12].owner = OWNER + 1;
    assert_ptr_equal(machine_frames_ptr(&v, 10 * PAGE, 2 * PAGE), (void *)(10ul * PAGE));
    assert_null(machine_frames_ptr(&v, 11 * PAGE, PAGE + 1));               /* into another VM's */
    assert_null(machine_frames_ptr(&v, (uint64_t)RUN * PAGE, 4));            /* the M2P: not for writes */
    assert_null(machine_frames_ptr(&v, 200ull * PAGE, 4));                   /* past the table */
    v.owner = DP_OWNER_NONE;
    frames[13].owner = DP_OWNER_NONE;
    assert_null(machine_frames_ptr(&v, 13 * PAGE, 4));                       /* free frames: nobody's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hv_run_and_l1),
        cmocka_unit_test(test_hv_nothing_beside),
        cmocka_unit_test(test_own_frames_only),
    };
    return RUN_UNIT_TESTS("machine_frames", tests);
}
