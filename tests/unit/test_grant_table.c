/*
 * test_grant_table.c: hv/pv/grant_table.c, grants between VMs (lib/pv_abi.h
 * section 10), over direct paging (hv/guest/direct_paging.c) on a pretend
 * machine of 64 frames: VM A (domid 0) owns 8..31, VM B (domid 1) 32..55,
 * VM C (domid 2) 56..59, the rest nobody's (63 the hypervisor's M2P). Each
 * VM has a directory whose slot 0 names an L1; A's L1 maps its data frames
 * D and G writable. Every step is followed by dp_check (the counts
 * recomputed from the tables, grant entries included), and every refused
 * op is checked to change nothing (the frame table, every frame's bytes,
 * the grant tables, the flush flags).
 */
#include "unit.h"
#include <string.h>
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv/grant_table.h"
#include "pv_abi.h"

#define NFRAMES 64u
#define HV_M2P  63u
#define A_L2 8u
#define A_L1 9u
#define A_D  10u
#define A_G  11u                    /* the frame A grants */
#define A_T  12u                    /* an L1 of A's, pinned: a page table */
#define B_L2 32u
#define B_L1 33u
#define C_L2 56u
#define C_L1 57u
#define VA   0x5000u                /* B's (and C's) page to map at: slot 5 of its L1, empty */
#define P    GPTE_P
#define RW   GPTE_W

static uint32_t mem[NFRAMES][1024];
static struct dp_frame frames[NFRAMES];
static struct dp_tally tally[NFRAMES];
static struct dp_machine machine;
static struct dp_vm dp[3];
static uint32_t bases[3];
static struct gnt_domain doms[3];
static struct gnt_machine gm;

static struct {
    uint32_t mem[NFRAMES][1024];
    struct dp_frame frames[NFRAMES];
    struct gnt_domain doms[3];
    bool flush[3];
} before;

static void *frame_ptr(void *ctx, uint32_t mfn)
{
    (void)ctx;
    if (mfn >= NFRAMES)
        fail_msg("read frame 0x%x, outside the machine", mfn);
    return mem[mfn];
}

static uint32_t pte(uint32_t mfn, uint32_t flags)
{
    return mfn << 12 | flags;
}

static void check(void)
{
    char why[200];
    if (!dp_check(&machine, bases, 3, tally, why, sizeof(why)))
        fail_msg("dp_check: %s", why);
}

static void remember(void)
{
    memcpy(before.mem, mem, sizeof(mem));
    memcpy(before.frames, frames, sizeof(frames));
    memcpy(before.doms, doms, sizeof(doms));
    for (unsigned i = 0; i < 3; i++)
        before.flush[i] = dp[i].flush;
}

static void assert_unchanged(void)
{
    assert_memory_equal(before.frames, frames, sizeof(frames));
    assert_memory_equal(before.mem, mem, sizeof(mem));
    assert_memory_equal(before.doms, doms, sizeof(doms));
    for (unsigned i = 0; i < 3; i++)
        assert_true(before.flush[i] == dp[i].flush);
}

#define OK(call)                                  \
    do {                                          \
        assert_int_equal((call), PV_GNTST_okay);  \
        check();                                  \
    } while (0)
#define REFUSED(call, status)                \
    do {                                     \
        remember();                          \
        assert_int_equal((call), (status));  \
        assert_unchanged();                  \
        check();                             \
    } while (0)

/* A VM: its frames claimed, directory l2 with slot 0 naming l1, pinned and loaded. */
static void build(unsigned id, uint32_t first, uint32_t end, uint32_t l2, uint32_t l1)
{
    dp[id] = (struct dp_vm){ .m = &machine, .owner = (uint8_t)(id + 1) };
    dp[id].hv_pde[0] = pte(HV_M2P, P);
    for (uint32_t mfn = first; mfn < end; mfn++)
        assert_int_equal(dp_claim(&dp[id], mfn), 0);
    mem[l2][0] = pte(l1, P | RW);
    assert_int_equal(dp_pin(&dp[id], l2, DP_L2), 0);
    assert_int_equal(dp_set_base(&dp[id], &bases[id], l2), 0);
    dp[id].flush = false;
    doms[id] = (struct gnt_domain){ .dp = &dp[id], .base = &bases[id] };
    gm.dom[id] = &doms[id];
}

static int setup(void **state)
{
    (void)state;
    memset(mem, 0, sizeof(mem));
    memset(frames, 0, sizeof(frames));
    memset(&gm, 0, sizeof(gm));
    machine = (struct dp_machine){ frames, NFRAMES, frame_ptr, NULL };
    bases[0] = bases[1] = bases[2] = PV_INVALID_MFN;
    mem[A_L1][0] = pte(A_D, P | RW);
    mem[A_L1][1] = pte(A_G, P | RW);
    build(0, 8, 32, A_L2, A_L1);
    build(1, 32, 56, B_L2, B_L1);
    build(2, 56, 60, C_L2, C_L1);
    assert_int_equal(dp_pin(&dp[0], A_T, DP_L1), 0);
    check();
    return 0;
}

static uint32_t b_entry(void)
{
    return mem[B_L1][VA >> 12];
}

/* A frame granted writable, mapped by B, revoked: B's entry gone (its TLB
 * to flush), the frame A's alone again. */
static void test_share_and_revoke(void **state)
{
    (void)state;
    uint32_t handle = 0;
    OK(gnt_grant(&gm, 0, 3, 1, A_G, 0));
    OK(gnt_map(&gm, 1, VA, 0, 3, 0, &handle));
    assert_int_equal(b_entry(), pte(A_G, P | RW | GPTE_A | GPTE_D | PV_GNTTAB_PTE));
    assert_int_equal(frames[A_G].refs, 2);             /* A's own mapping and B's */
    assert_int_equal(frames[A_G].type, DP_WRITABLE);
    /* While mapped, the frame neither leaves A nor becomes a table. */
    assert_int_equal(dp_mmu_update(&dp[0], pte(A_L1, 4), 0), 0);   /* A's own mapping of it gone */
    assert_int_equal(dp_release(&dp[0], A_G), -PV_EBUSY);
    assert_int_equal(dp_pin(&dp[0], A_G, DP_L1), -PV_EINVAL);
    check();
    dp[1].flush = false;
    OK(gnt_end(&gm, 0, 3));
    assert_int_equal(b_entry(), 0);
    assert_true(dp[1].flush);
    assert_int_equal(frames[A_G].refs, 0);
    REFUSED(gnt_unmap(&gm, 1, VA, handle), PV_GNTST_bad_handle);
    REFUSED(gnt_map(&gm, 1, VA, 0, 3, 0, &handle), PV_GNTST_bad_gntref);
    assert_int_equal(dp_release(&dp[0], A_G), 0);
    check();
}

/* The grantee unmaps: its entry gone, the grant still there to map again. */
static void test_unmap(void **state)
{
    (void)state;
    uint32_t handle = 0, h2 = 0;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, PV_GNTMAP_readonly));
    OK(gnt_map(&gm, 1, VA, PV_GNTMAP_readonly, 0, 0, &handle));
    assert_int_equal(b_entry(), pte(A_G, P | GPTE_A | GPTE_D | PV_GNTTAB_PTE));
    REFUSED(gnt_map(&gm, 1, VA + 0x1000, PV_GNTMAP_readonly, 0, 0, &h2), PV_GNTST_no_device_space);
    REFUSED(gnt_unmap(&gm, 1, VA + 0x1000, handle), PV_GNTST_bad_virt_addr);
    REFUSED(gnt_unmap(&gm, 1, VA, 0xFFFFFFFFu), PV_GNTST_bad_handle);
    REFUSED(gnt_unmap(&gm, 1, VA, 1 * PV_NR_GRANT_REFS), PV_GNTST_bad_handle);   /* B's own table */
    REFUSED(gnt_unmap(&gm, 2, VA, handle), PV_GNTST_bad_handle);                 /* not C's mapping */
    dp[1].flush = false;
    OK(gnt_unmap(&gm, 1, VA, handle));
    assert_int_equal(b_entry(), 0);
    assert_true(dp[1].flush);
    REFUSED(gnt_unmap(&gm, 1, VA, handle), PV_GNTST_bad_handle);
    OK(gnt_map(&gm, 1, VA, PV_GNTMAP_readonly, 0, 0, &handle));
    OK(gnt_end(&gm, 0, 0));
}

static void test_grant_refusals(void **state)
{
    (void)state;
    REFUSED(gnt_grant(&gm, 0, 0, 1, A_G, 1), PV_GNTST_general_error);
    REFUSED(gnt_grant(&gm, 0, 0, 0, A_G, 0), PV_GNTST_bad_domain);          /* itself */
    REFUSED(gnt_grant(&gm, 0, 0, 3, A_G, 0), PV_GNTST_bad_domain);          /* no such VM */
    REFUSED(gnt_grant(&gm, 0, 0, GNT_DOMAINS_MAX, A_G, 0), PV_GNTST_bad_domain);
    REFUSED(gnt_grant(&gm, 0, 0, 0xFFFFFFFFu, A_G, 0), PV_GNTST_bad_domain);
    REFUSED(gnt_grant(&gm, 0, PV_NR_GRANT_REFS, 1, A_G, 0), PV_GNTST_bad_gntref);
    REFUSED(gnt_grant(&gm, 0, 0, 1, B_L1 + 1, 0), PV_GNTST_bad_page);      /* B's */
    REFUSED(gnt_grant(&gm, 0, 0, 1, 61, PV_GNTMAP_readonly), PV_GNTST_bad_page);   /* nobody's */
    REFUSED(gnt_grant(&gm, 0, 0, 1, HV_M2P, PV_GNTMAP_readonly), PV_GNTST_bad_page);
    REFUSED(gnt_grant(&gm, 0, 0, 1, NFRAMES, PV_GNTMAP_readonly), PV_GNTST_bad_page);
    REFUSED(gnt_grant(&gm, 0, 0, 1, 0xFFFFFFFFu, 0), PV_GNTST_bad_page);
    REFUSED(gnt_grant(&gm, 0, 0, 1, A_T, 0), PV_GNTST_bad_page);            /* a table, writable */
    REFUSED(gnt_grant(&gm, 0, 0, 1, A_L2, 0), PV_GNTST_bad_page);
    assert_int_equal(dp_keep(&dp[0], A_D), 0);
    REFUSED(gnt_grant(&gm, 0, 0, 1, A_D, PV_GNTMAP_readonly), PV_GNTST_bad_page);   /* kept */
    OK(gnt_grant(&gm, 0, 0, 1, A_T, PV_GNTMAP_readonly));                    /* a table, read-only */
    REFUSED(gnt_grant(&gm, 0, 0, 1, A_G, 0), PV_GNTST_bad_gntref);          /* ref in use */
    REFUSED(gnt_end(&gm, 0, 1), PV_GNTST_bad_gntref);
    REFUSED(gnt_end(&gm, 0, PV_NR_GRANT_REFS), PV_GNTST_bad_gntref);
    REFUSED(gnt_end(&gm, 1, 0), PV_GNTST_bad_gntref);                       /* B ends A's grant */
}

static void test_map_refusals(void **state)
{
    (void)state;
    uint32_t handle = 0;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, PV_GNTMAP_readonly));
    OK(gnt_grant(&gm, 0, 1, 2, A_G, 0));                                     /* to C */
    OK(gnt_grant(&gm, 0, 2, 1, A_T, PV_GNTMAP_readonly));
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, 0, &handle), PV_GNTST_permission_denied);
    REFUSED(gnt_map(&gm, 1, VA, 0, 2, 0, &handle), PV_GNTST_permission_denied);   /* a table */
    REFUSED(gnt_map(&gm, 1, VA, 0, 1, 0, &handle), PV_GNTST_bad_gntref);    /* C's */
    REFUSED(gnt_map(&gm, 1, VA, 0, 5, 0, &handle), PV_GNTST_bad_gntref);    /* never granted */
    REFUSED(gnt_map(&gm, 1, VA, 0, PV_NR_GRANT_REFS, 0, &handle), PV_GNTST_bad_gntref);
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, 1, &handle), PV_GNTST_bad_domain);    /* itself */
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, 7, &handle), PV_GNTST_bad_domain);
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, PV_DOMID_SELF, &handle), PV_GNTST_bad_domain);
    REFUSED(gnt_map(&gm, 1, VA, 2, 0, 0, &handle), PV_GNTST_general_error);
    REFUSED(gnt_map(&gm, 1, VA + 4, PV_GNTMAP_readonly, 0, 0, &handle), PV_GNTST_bad_virt_addr);
    REFUSED(gnt_map(&gm, 1, 0x400000, PV_GNTMAP_readonly, 0, 0, &handle), PV_GNTST_bad_virt_addr);   /* no L1 */
    REFUSED(gnt_map(&gm, 1, PV_M2P_VIRT, PV_GNTMAP_readonly, 0, 0, &handle), PV_GNTST_bad_virt_addr);
    mem[B_L1][7] = 0;
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 7 * 4), pte(B_L1 + 2, P | RW)), 0);
    REFUSED(gnt_map(&gm, 1, 0x7000, PV_GNTMAP_readonly, 0, 0, &handle), PV_GNTST_bad_virt_addr);   /* present */
    /* A writable grant whose frame became a table before the map. */
    OK(gnt_grant(&gm, 0, 3, 1, A_G, 0));
    assert_int_equal(dp_mmu_update(&dp[0], pte(A_L1, 4), 0), 0);
    assert_int_equal(dp_pin(&dp[0], A_G, DP_L1), 0);
    REFUSED(gnt_map(&gm, 1, VA, 0, 3, 0, &handle), PV_GNTST_bad_page);
}

/* B's own MMU calls cannot change, clear or forge a grant's entry. */
static void test_mmu_calls_leave_grant_entries_alone(void **state)
{
    (void)state;
    uint32_t handle = 0, e;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, PV_GNTMAP_readonly));
    OK(gnt_map(&gm, 1, VA, PV_GNTMAP_readonly, 0, 0, &handle));
    e = b_entry();
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, (VA >> 12) * 4), e | RW), -PV_EBUSY);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, (VA >> 12) * 4), e & ~GPTE_A), -PV_EBUSY);
    assert_int_equal(dp_update_va(&dp[1], bases[1], VA, 0), -PV_EBUSY);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 9 * 4), pte(A_G, P)), -PV_EINVAL);   /* A's frame */
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 9 * 4), pte(A_G, P | PV_GNTTAB_PTE)), -PV_EINVAL);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 9 * 4), pte(B_L1 + 2, P | PV_GNTTAB_PTE)), -PV_EINVAL);
    /* The mark through the fast path (an AVL bit, on a present entry). */
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 9 * 4), pte(B_L1 + 2, P | RW)), 0);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L1, 9 * 4), pte(B_L1 + 2, P | RW | PV_GNTTAB_PTE)), -PV_EINVAL);
    /* A table holding a forged entry is not validated. */
    mem[B_L1 + 3][0] = pte(A_G, P | PV_GNTTAB_PTE);
    assert_int_equal(dp_pin(&dp[1], B_L1 + 3, DP_L1), -PV_EINVAL);
    assert_int_equal(b_entry(), e);
    check();
}

/* B releases the table holding the grant's entry: the references go with
 * the table, and the unmap and the revocation that follow find nothing to
 * remove (they must not drop the references twice, nor clear an entry
 * that is no longer the grant's). */
static void test_released_table(void **state)
{
    (void)state;
    uint32_t handle = 0;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, 0));
    OK(gnt_map(&gm, 1, VA, 0, 0, 0, &handle));
    assert_int_equal(frames[A_G].refs, 2);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), 0), 0);       /* B's L1 released */
    check();
    assert_int_equal(frames[A_G].refs, 1);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), pte(B_L1, P | RW)), -PV_EINVAL);   /* not again */
    OK(gnt_unmap(&gm, 1, VA, handle));
    assert_int_equal(frames[A_G].refs, 1);
    OK(gnt_end(&gm, 0, 0));
    assert_int_equal(frames[A_G].refs, 1);
    /* A stale record does not clear an entry someone else made there. */
    OK(gnt_grant(&gm, 0, 1, 1, A_G, 0));
    mem[B_L1][VA >> 12] = 0;
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), pte(B_L1, P | RW)), 0);
    OK(gnt_map(&gm, 1, VA, 0, 1, 0, &handle));
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), 0), 0);
    mem[B_L1][VA >> 12] = pte(B_L1 + 2, P | RW);
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), pte(B_L1, P | RW)), 0);
    OK(gnt_end(&gm, 0, 1));
    assert_int_equal(b_entry(), pte(B_L1 + 2, P | RW));
    check();
}

/* A stale record (its table released) and a new mapping at its entry,
 * the same to the bit (A's frame granted twice): neither the stale one's
 * unmap nor its revocation takes the new one away. */
static void test_stale_record_same_entry(void **state)
{
    (void)state;
    uint32_t first = 0, second = 0;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, 0));
    OK(gnt_grant(&gm, 0, 1, 1, A_G, 0));
    OK(gnt_grant(&gm, 0, 2, 1, A_G, 0));
    OK(gnt_map(&gm, 1, VA, 0, 0, 0, &first));
    uint32_t mapped = b_entry();
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), 0), 0);       /* B's L1 released */
    mem[B_L1][VA >> 12] = 0;                                            /* B cleans it, */
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), pte(B_L1, P | RW)), 0);   /* hooks it again */
    OK(gnt_map(&gm, 1, VA, 0, 1, 0, &second));
    assert_int_equal(b_entry(), mapped);
    OK(gnt_unmap(&gm, 1, VA, first));                                   /* nothing left to remove */
    assert_int_equal(b_entry(), mapped);
    assert_int_equal(frames[A_G].refs, 2);
    OK(gnt_unmap(&gm, 1, VA, second));
    assert_int_equal(b_entry(), 0);
    /* The same with the revocation of the stale one. */
    OK(gnt_map(&gm, 1, VA, 0, 1, 0, &first));
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), 0), 0);
    mem[B_L1][VA >> 12] = 0;
    assert_int_equal(dp_mmu_update(&dp[1], pte(B_L2, 0), pte(B_L1, P | RW)), 0);
    OK(gnt_map(&gm, 1, VA, 0, 2, 0, &second));
    OK(gnt_end(&gm, 0, 1));
    assert_int_equal(b_entry(), mapped);
    assert_int_equal(frames[A_G].refs, 2);
    OK(gnt_end(&gm, 0, 2));
    assert_int_equal(b_entry(), 0);
    assert_int_equal(frames[A_G].refs, 1);
}

/* The grant takes no reference: its frame may leave the granter while
 * unmapped, and then is no longer mappable, whoever holds it. */
static void test_frame_given_back(void **state)
{
    (void)state;
    uint32_t handle = 0;
    OK(gnt_grant(&gm, 0, 0, 1, A_G, 0));
    assert_int_equal(dp_mmu_update(&dp[0], pte(A_L1, 4), 0), 0);
    assert_int_equal(dp_release(&dp[0], A_G), 0);
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, 0, &handle), PV_GNTST_bad_page);
    assert_int_equal(dp_claim(&dp[2], A_G), 0);                         /* C has it now */
    REFUSED(gnt_map(&gm, 1, VA, 0, 0, 0, &handle), PV_GNTST_bad_page);
    OK(gnt_end(&gm, 0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_share_and_revoke, setup),
        cmocka_unit_test_setup(test_unmap, setup),
        cmocka_unit_test_setup(test_grant_refusals, setup),
        cmocka_unit_test_setup(test_map_refusals, setup),
        cmocka_unit_test_setup(test_mmu_calls_leave_grant_entries_alone, setup),
        cmocka_unit_test_setup(test_released_table, setup),
        cmocka_unit_test_setup(test_stale_record_same_entry, setup),
        cmocka_unit_test_setup(test_frame_given_back, setup),
    };
    return RUN_UNIT_TESTS("grant_table", tests);
}
