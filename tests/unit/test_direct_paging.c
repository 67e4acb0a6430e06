/*
 * test_direct_paging.c: hv/guest/direct_paging.c, Xen's direct paging (lab
 * 5), on a pretend machine of 1280 frames in a malloc'd block: frames
 * 0..1023 (one 4 MiB page's worth, VM A's), 1024..1151 VM A's, 1152..1215
 * VM B's, the rest nobody's (1279 is the hypervisor's M2P table). Each rule
 * of lib/pv_abi.h section 5 has its friendly case and its hostile ones (the
 * attacks of Xen's security history); every refused call is checked to
 * change nothing (the frame table, every frame's bytes, vm->flush), and
 * dp_check recomputes every count after every step.
 */
#include "unit.h"
#include <stdio.h>
#include <string.h>
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv_abi.h"

#define NFRAMES  1280u
#define HV_M2P   1279u              /* the hypervisor's table in slot 1008 */
#define A_FIRST  1024u
#define B_FIRST  1152u
#define B_END    1216u
/* VM A's frames by role. */
#define L2   1024u
#define L1A  1025u
#define L1B  1026u
#define D1   1027u
#define D2   1028u
#define L2B  1029u
#define L1C  1030u
#define L1D  1031u
#define FREE 1240u                  /* nobody's, free */
#define B_L2 1152u                  /* VM B's directory and table */
#define B_L1 1153u
#define B_D  1154u
#define P    GPTE_P
#define RW   GPTE_W
#define US   GPTE_U
#define PS   GPTE_PS

static uint32_t (*mem)[1024];
static struct dp_frame frames[NFRAMES];
static struct dp_tally tally[NFRAMES];
static struct dp_machine machine;
static struct dp_vm a, b;
static uint32_t base_a, base_b;

/* What a refused call must leave as it was. */
static struct {
    uint32_t (*mem)[1024];
    struct dp_frame frames[NFRAMES];
    bool flush_a, flush_b;
} before;

static void *frame_ptr(void *ctx, uint32_t mfn)
{
    (void)ctx;
    if (mfn >= NFRAMES)
        fail_msg("direct paging read frame 0x%x, outside the machine", mfn);
    return mem[mfn];
}

static uint32_t pte(uint32_t mfn, uint32_t flags)
{
    return mfn << 12 | flags;
}

/* The machine address of entry slot of frame mfn, as mmu_update takes it. */
static uint32_t at(uint32_t mfn, unsigned slot)
{
    return mfn << 12 | slot * 4;
}

static void check(void)
{
    uint32_t bases[] = { base_a, base_b };
    char why[200];
    if (!dp_check(&machine, bases, 2, tally, why, sizeof(why)))
        fail_msg("dp_check: %s", why);
}

static void remember(void)
{
    memcpy(before.mem, mem, NFRAMES * 4096ull);
    memcpy(before.frames, frames, sizeof(frames));
    before.flush_a = a.flush;
    before.flush_b = b.flush;
}

static void assert_unchanged(void)
{
    for (uint32_t mfn = 0; mfn < NFRAMES; mfn++) {
        if (memcmp(&before.frames[mfn], &frames[mfn], sizeof(frames[mfn])))
            fail_msg("a refused call changed frame 0x%x's counts", mfn);
        if (memcmp(before.mem[mfn], mem[mfn], 4096))
            fail_msg("a refused call changed frame 0x%x's bytes", mfn);
    }
    assert_true(before.flush_a == a.flush && before.flush_b == b.flush);
}

/* A call that must succeed; a call that must be refused with err and change nothing. */
#define OK(call)                      \
    do {                              \
        assert_int_equal((call), 0);  \
        check();                      \
    } while (0)
#define REFUSED(call, err)                   \
    do {                                     \
        remember();                          \
        assert_int_equal((call), -(err));    \
        assert_unchanged();                  \
        check();                             \
    } while (0)

static int setup(void **state)
{
    (void)state;
    memset(mem, 0, NFRAMES * 4096ull);
    memset(frames, 0, sizeof(frames));
    machine = (struct dp_machine){ frames, NFRAMES, frame_ptr, NULL };
    a = (struct dp_vm){ .m = &machine, .owner = 1 };
    b = (struct dp_vm){ .m = &machine, .owner = 2 };
    a.hv_pde[0] = b.hv_pde[0] = pte(HV_M2P, P);   /* read-only, supervisor: the M2P */
    base_a = base_b = PV_INVALID_MFN;
    for (uint32_t mfn = 0; mfn < B_FIRST; mfn++)
        assert_int_equal(dp_claim(&a, mfn), 0);
    for (uint32_t mfn = B_FIRST; mfn < B_END; mfn++)
        assert_int_equal(dp_claim(&b, mfn), 0);
    check();
    return 0;
}

/* VM A's start of day, as the builder makes it: a directory L2 whose slot 0
 * names L1A, which maps D1 writable and the tables read-only (its own
 * directory and itself), pinned and loaded. */
static void build_a(void)
{
    mem[L2][0] = pte(L1A, P | RW | US);
    mem[L1A][0] = pte(D1, P | RW | US);
    mem[L1A][1] = pte(L2, P);
    mem[L1A][2] = pte(L1A, P);
    OK(dp_pin(&a, L2, DP_L2));
    OK(dp_set_base(&a, &base_a, L2));
    a.flush = false;
}

static void build_b(void)
{
    mem[B_L2][0] = pte(B_L1, P | RW);
    mem[B_L1][0] = pte(B_D, P | RW);
    OK(dp_pin(&b, B_L2, DP_L2));
    OK(dp_set_base(&b, &base_b, B_L2));
}

static void test_claim_and_release(void **state)
{
    (void)state;
    OK(dp_claim(&a, FREE));
    REFUSED(dp_claim(&a, FREE), PV_EBUSY);
    REFUSED(dp_claim(&b, FREE), PV_EBUSY);               /* another VM's */
    REFUSED(dp_claim(&a, NFRAMES), PV_EINVAL);          /* past the machine */
    REFUSED(dp_release(&b, FREE), PV_EINVAL);           /* not B's to give back */
    OK(dp_release(&a, FREE));
    REFUSED(dp_release(&a, FREE), PV_EINVAL);
    build_a();
    REFUSED(dp_release(&a, D1), PV_EBUSY);               /* mapped */
    REFUSED(dp_release(&a, L1A), PV_EBUSY);              /* a table */
    REFUSED(dp_release(&a, L2), PV_EBUSY);               /* the base, pinned */
    OK(dp_release(&a, D2));                             /* nothing holds it */
    OK(dp_claim(&b, D2));                               /* and B may have it */
}

static void test_validation_counts_every_reference(void **state)
{
    (void)state;
    build_a();
    assert_int_equal(frames[L2].type, DP_L2);
    assert_int_equal(frames[L2].type_count, 2);          /* the pin, the base */
    assert_int_equal(frames[L2].refs, 3);                /* and L1A's read-only mapping */
    assert_int_equal(frames[L1A].type, DP_L1);
    assert_int_equal(frames[L1A].type_count, 1);         /* L2's slot 0 */
    assert_int_equal(frames[L1A].refs, 2);               /* and its own read-only mapping */
    assert_int_equal(frames[D1].type, DP_WRITABLE);
    assert_int_equal(frames[D1].type_count, 1);
    assert_int_equal(frames[D2].type, DP_NONE);
    assert_int_equal(frames[D2].refs, 0);
}

/* Read-only over anything of the VM's; writable, never a table, by any path. */
static void test_no_writable_mapping_of_a_table(void **state)
{
    (void)state;
    build_a();
    OK(dp_mmu_update(&a, at(L1A, 3), pte(D2, P | RW)));
    OK(dp_mmu_update(&a, at(L1A, 4), pte(L2, P | US)));
    REFUSED(dp_mmu_update(&a, at(L1A, 5), pte(L2, P | RW)), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L1A, 5), pte(L1A, P | RW)), PV_EINVAL);   /* itself */
    /* A second path: another L1 in use maps the first one writable. */
    OK(dp_pin(&a, L1B, DP_L1));
    REFUSED(dp_mmu_update(&a, at(L1B, 0), pte(L1A, P | RW)), PV_EINVAL);
    REFUSED(dp_update_va(&a, L2, 5 << 12, pte(L1B, P | RW)), PV_EINVAL);
    /* A table to be whose entries map itself writable is no table. */
    mem[L1C][9] = pte(L1C, P | RW);
    REFUSED(dp_pin(&a, L1C, DP_L1), PV_EINVAL);
    mem[L1C][9] = pte(L1C, P);
    OK(dp_pin(&a, L1C, DP_L1));
}

/* Every entry is validated and released wherever it sits: a pin skips the
 * empty ones in groups (next_present), and an entry at a group's edge, or
 * alone at either end of the table, must not be skipped with them. */
static void test_every_slot_is_validated(void **state)
{
    (void)state;
    build_a();
    static const unsigned slots[] = { 0, 1, 7, 8, 9, 15, 16, 17, 511, 1006, 1007, 1015, 1016, 1022, 1023 };
    for (unsigned k = 0; k < sizeof(slots) / sizeof(slots[0]); k++) {
        unsigned s = slots[k];
        mem[L1C][s] = pte(L2, P | RW);                   /* a table, writable: refused */
        REFUSED(dp_pin(&a, L1C, DP_L1), PV_EINVAL);
        mem[L1C][s] = pte(D2, P | RW);
        OK(dp_pin(&a, L1C, DP_L1));
        assert_int_equal(frames[D2].type_count, 1);      /* taken ... */
        OK(dp_unpin(&a, L1C));
        assert_int_equal(frames[D2].type_count, 0);      /* ... and given back */
        mem[L1C][s] = 0;
        if (s >= DP_FIRST_HV_SLOT)
            continue;                                    /* an L2's are the hypervisor's */
        mem[L2B][s] = pte(L2, P | RW);                   /* an L2 as an L1: refused */
        REFUSED(dp_pin(&a, L2B, DP_L2), PV_EINVAL);
        mem[L2B][s] = pte(L1D, P | RW);
        OK(dp_pin(&a, L2B, DP_L2));
        assert_int_equal(frames[L1D].type, DP_L1);
        OK(dp_unpin(&a, L2B));
        assert_int_equal(frames[L1D].type, DP_NONE);
        mem[L2B][s] = 0;
    }
}

/* And the other way round: a frame mapped writable (or kept) is no table. */
static void test_no_table_of_a_writable_frame(void **state)
{
    (void)state;
    build_a();
    REFUSED(dp_pin(&a, D1, DP_L1), PV_EINVAL);
    REFUSED(dp_pin(&a, D1, DP_L2), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(D1, P | RW)), PV_EINVAL);
    REFUSED(dp_set_base(&a, &base_a, D1), PV_EINVAL);
    OK(dp_mmu_update(&a, at(L1A, 0), 0));                /* the mapping goes */
    assert_true(a.flush);
    OK(dp_pin(&a, D1, DP_L1));
}

/* XSA-182: only bits that take no reference skip validation. */
static void test_fast_path_is_not_a_way_to_rw(void **state)
{
    (void)state;
    build_a();
    OK(dp_pin(&a, L1B, DP_L1));
    OK(dp_mmu_update(&a, at(L1A, 3), pte(L1B, P)));
    REFUSED(dp_mmu_update(&a, at(L1A, 3), pte(L1B, P | RW | GPTE_A)), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L1A, 3), pte(L1B, P | RW)), PV_EINVAL);
    OK(dp_mmu_update(&a, at(L1A, 3), pte(L1B, P | GPTE_A | GPTE_D | US)));
    assert_false(a.flush);                               /* rights added: no flush */
    OK(dp_mmu_update(&a, at(L1A, 3), pte(L1B, P | GPTE_A)));
    assert_true(a.flush);                                /* U/S taken away */
}

/* XSA-240: a directory is never named as a page table. */
static void test_no_l2_as_l1(void **state)
{
    (void)state;
    build_a();
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(L2, P | RW)), PV_EINVAL);       /* itself */
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(L2, P)), PV_EINVAL);
    mem[L2B][0] = pte(L1A, P);
    OK(dp_pin(&a, L2B, DP_L2));
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(L2B, P)), PV_EINVAL);           /* another one */
    REFUSED(dp_pin(&a, L2, DP_L1), PV_EINVAL);
    REFUSED(dp_pin(&a, L1A, DP_L2), PV_EINVAL);
    REFUSED(dp_set_base(&a, &base_a, L1A), PV_EINVAL);
}

static void test_superpages(void **state)
{
    (void)state;
    build_a();
    OK(dp_mmu_update(&a, at(L2, 1), pte(0, P | RW | PS)));
    for (uint32_t mfn = 0; mfn < 1024; mfn++)
        assert_true(frames[mfn].type == DP_WRITABLE && frames[mfn].type_count == 1);
    REFUSED(dp_pin(&a, 5, DP_L1), PV_EINVAL);            /* a frame of it, made a table */
    OK(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS)));     /* made read-only */
    assert_true(a.flush);
    OK(dp_pin(&a, 5, DP_L1));
    OK(dp_mmu_update(&a, at(L2, 2), pte(0, P | PS)));     /* read-only over a table: fine */
    OK(dp_mmu_update(&a, at(L2, 1), 0));
    /* XSA-148: a writable superpage over a page table. */
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | RW | PS)), PV_EINVAL);
    OK(dp_unpin(&a, 5));
    /* Bits 21:13 reserved: a 4 MiB page above 4 GiB (PSE-36), or misaligned. */
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS) | 1u << 13), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS) | 1u << 21), PV_EINVAL);
    OK(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS) | 1u << 12));   /* PAT */
    OK(dp_mmu_update(&a, at(L2, 1), 0));
    /* Every one of the 1024 frames must be the VM's. */
    OK(dp_mmu_update(&a, at(L2, 2), 0));
    OK(dp_release(&a, 777));
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS)), PV_EINVAL);
    OK(dp_claim(&b, 777));
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | PS)), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(1024, P | PS)), PV_EINVAL);     /* half outside */
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0xFFC00, P | PS)), PV_EINVAL);  /* past the machine */
}

/* Slots 1008..1023 hold the hypervisor's entries; the guest writes only 0. */
static void test_hypervisor_slots(void **state)
{
    (void)state;
    mem[L2B][DP_FIRST_HV_SLOT] = pte(D2, P | RW | US);   /* left by the guest before validation */
    mem[L2B][1023] = pte(L2B, P | RW);
    build_a();
    OK(dp_pin(&a, L2B, DP_L2));
    for (unsigned i = 0; i < DP_HV_SLOTS; i++) {
        assert_int_equal(mem[L2][DP_FIRST_HV_SLOT + i], a.hv_pde[i]);
        assert_int_equal(mem[L2B][DP_FIRST_HV_SLOT + i], a.hv_pde[i]);
    }
    assert_int_equal(frames[D2].refs, 0);                /* not counted */
    REFUSED(dp_mmu_update(&a, at(L2, DP_FIRST_HV_SLOT), pte(D2, P | RW)), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, 1023), pte(L1A, P)), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, DP_FIRST_HV_SLOT + 1), 1), PV_EINVAL);
    OK(dp_mmu_update(&a, at(L2, DP_FIRST_HV_SLOT), 0));
    assert_int_equal(mem[L2][DP_FIRST_HV_SLOT], a.hv_pde[0]);   /* unchanged */
    REFUSED(dp_update_va(&a, L2, PV_M2P_VIRT, pte(D2, P | RW)), PV_EINVAL);
}

/* Only the VM's own frames, whatever names them. */
static void test_only_own_frames(void **state)
{
    (void)state;
    build_a();
    build_b();
    uint32_t hostile[] = { B_D, B_L1, B_L2, FREE, HV_M2P, NFRAMES, 0xFFFFF };
    for (unsigned i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        uint32_t mfn = hostile[i];
        REFUSED(dp_mmu_update(&a, at(L1A, 3), pte(mfn, P)), PV_EINVAL);
        REFUSED(dp_mmu_update(&a, at(L1A, 3), pte(mfn, P | RW)), PV_EINVAL);
        REFUSED(dp_mmu_update(&a, at(L2, 1), pte(mfn, P)), PV_EINVAL);
        REFUSED(dp_mmu_update(&a, at(mfn, 0), pte(D2, P)), PV_EINVAL);       /* the entry's frame */
        REFUSED(dp_pin(&a, mfn, DP_L1), PV_EINVAL);
        REFUSED(dp_pin(&a, mfn, DP_L2), PV_EINVAL);
        REFUSED(dp_unpin(&a, mfn), PV_EINVAL);
        REFUSED(dp_keep(&a, mfn), PV_EINVAL);
        REFUSED(dp_set_base(&a, &base_a, mfn), PV_EINVAL);
        REFUSED(dp_update_va(&a, mfn, 0, pte(D2, P)), PV_EINVAL);
        REFUSED(dp_release(&a, mfn), PV_EINVAL);
    }
    OK(dp_mmu_update(&a, at(L1A, 3), 0xFFFFF000u | RW));   /* not present: anything goes */
    REFUSED(dp_mmu_update(&a, at(L1A, 3) | 2, 0), PV_EINVAL);   /* not 4-byte aligned */
    REFUSED(dp_mmu_update(&a, at(D2, 3), 0), PV_EINVAL);        /* no table */
    REFUSED(dp_pin(&a, L1B, DP_WRITABLE), PV_EINVAL);
}

/* The caller's batch (mmu_update): requests run in order until one fails. */
static void test_batch_stops_at_the_failing_request(void **state)
{
    (void)state;
    build_a();
    struct pv_mmu_update req[] = {
        { at(L1A, 3), pte(D2, P | RW) },
        { at(L1A, 4), pte(L1B, P) },
        { at(L1A, 5), pte(L1A, P | RW) },                 /* refused */
        { at(L1A, 6), pte(D2, P) },
    };
    unsigned done = 0;
    int rc = 0;
    for (; done < 4; done++) {
        if (done == 2)
            remember();
        if ((rc = dp_mmu_update(&a, req[done].ptr, req[done].val)))
            break;
        check();
    }
    assert_int_equal(rc, -PV_EINVAL);
    assert_int_equal(done, 2);
    assert_unchanged();                                  /* nothing of request 2's */
    check();
    assert_int_equal(mem[L1A][3], req[0].val);
    assert_int_equal(mem[L1A][4], req[1].val);
    assert_int_equal(mem[L1A][6], 0);
}

/* A validation refused half-way gives back all it took, nested ones too. */
static void test_failed_validation_rolls_back(void **state)
{
    (void)state;
    build_a();
    for (unsigned i = 0; i < 10; i++)
        mem[L1C][i] = pte(1100 + i, P | RW);
    mem[L1C][11] = pte(L1A, P);
    mem[L1C][700] = pte(B_D, P);                         /* B's frame */
    REFUSED(dp_pin(&a, L1C, DP_L1), PV_EINVAL);
    /* A directory whose slot 0 names L1A (in use), slot 1 L1D (fine, and
     * validated on the way), slot 2 L1C (refused at entry 700). */
    mem[L1D][0] = pte(D2, P | RW);
    mem[L2B][0] = pte(L1A, P);
    mem[L2B][1] = pte(L1D, P);
    mem[L2B][2] = pte(L1C, P);
    REFUSED(dp_set_base(&a, &base_a, L2B), PV_EINVAL);
    REFUSED(dp_pin(&a, L2B, DP_L2), PV_EINVAL);
    REFUSED(dp_mmu_update(&a, at(L2, 3), pte(L1C, P)), PV_EINVAL);
    /* A writable superpage refused at its 601st frame. */
    mem[600][0] = 0;
    OK(dp_pin(&a, 600, DP_L1));
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(0, P | RW | PS)), PV_EINVAL);
    /* Once the bad entry is gone, the same directory validates. */
    mem[L1C][700] = 0;
    OK(dp_set_base(&a, &base_a, L2B));
    assert_int_equal(frames[L1C].type, DP_L1);
    assert_int_equal(frames[L1D].type, DP_L1);
    assert_int_equal(frames[L2].type_count, 1);          /* its pin: no longer the base */
}

/* A table still referenced stays one; it is released with its last reference. */
static void test_unpin_and_release_of_a_referenced_table(void **state)
{
    (void)state;
    build_a();
    OK(dp_pin(&a, L1A, DP_L1));
    OK(dp_unpin(&a, L1A));
    assert_int_equal(frames[L1A].type, DP_L1);           /* L2's slot 0 still holds it */
    REFUSED(dp_unpin(&a, L1A), PV_EINVAL);
    REFUSED(dp_release(&a, L1A), PV_EBUSY);
    OK(dp_unpin(&a, L2));                                /* still the base */
    assert_int_equal(frames[L2].type, DP_L2);
    REFUSED(dp_release(&a, L2), PV_EBUSY);
    OK(dp_mmu_update(&a, at(L2, 0), 0));                 /* L1A's last reference */
    assert_true(a.flush);
    assert_int_equal(frames[L1A].type, DP_NONE);
    assert_int_equal(frames[L1A].refs, 0);               /* its own mapping released with it */
    assert_int_equal(frames[D1].type, DP_NONE);          /* D1's mapping too */
    OK(dp_release(&a, L1A));
    OK(dp_release(&a, D1));
}

static void test_pin_twice_and_wrong_level(void **state)
{
    (void)state;
    build_a();
    REFUSED(dp_pin(&a, L2, DP_L2), PV_EEXIST);
    REFUSED(dp_pin(&a, L2, DP_L1), PV_EINVAL);
    OK(dp_pin(&a, L1B, DP_L1));
    REFUSED(dp_pin(&a, L1B, DP_L1), PV_EEXIST);
    REFUSED(dp_pin(&a, L1B, DP_L2), PV_EINVAL);
    REFUSED(dp_pin(&a, L1C, DP_NONE), PV_EINVAL);
    REFUSED(dp_unpin(&a, L1C), PV_EINVAL);               /* not pinned */
    OK(dp_unpin(&a, L1B));
    assert_int_equal(frames[L1B].type, DP_NONE);
    assert_true(a.flush);                                /* a table released */
}

/* The builder's pages: held, never a table, never leaving. */
static void test_keep(void **state)
{
    (void)state;
    build_a();
    OK(dp_keep(&a, D2));
    REFUSED(dp_keep(&a, D2), PV_EEXIST);
    REFUSED(dp_keep(&a, L1A), PV_EINVAL);                /* a table */
    REFUSED(dp_pin(&a, D2, DP_L1), PV_EINVAL);           /* the hypervisor writes it */
    REFUSED(dp_mmu_update(&a, at(L2, 1), pte(D2, P)), PV_EINVAL);
    REFUSED(dp_release(&a, D2), PV_EBUSY);
    OK(dp_mmu_update(&a, at(L1A, 3), pte(D2, P | RW)));   /* the guest may write it */
    OK(dp_unkeep(&a, D2));
    REFUSED(dp_unkeep(&a, D2), PV_EINVAL);
    REFUSED(dp_unkeep(&a, D1), PV_EINVAL);
}

static void test_set_base(void **state)
{
    (void)state;
    build_a();
    mem[L2B][0] = pte(L1A, P);
    mem[L2B][4] = pte(L1B, P);                           /* validated on the way */
    OK(dp_set_base(&a, &base_a, L2B));
    assert_int_equal(base_a, L2B);
    assert_int_equal(frames[L1B].type, DP_L1);
    assert_int_equal(frames[L2].type_count, 1);          /* its pin */
    OK(dp_set_base(&a, &base_a, L2B));                   /* the same again */
    assert_int_equal(frames[L2B].type_count, 1);
    OK(dp_unpin(&a, L2));
    assert_int_equal(frames[L2].type, DP_NONE);          /* released */
    assert_int_equal(frames[L1A].type_count, 1);         /* L2B's slot 0 */
    assert_true(a.flush);
    REFUSED(dp_set_base(&a, &base_a, PV_INVALID_MFN), PV_EINVAL);
    REFUSED(dp_set_base(&a, &base_a, L1A), PV_EINVAL);
}

static void test_update_va(void **state)
{
    (void)state;
    build_a();
    OK(dp_mmu_update(&a, at(L2, 2), pte(L1B, P | RW)));
    OK(dp_update_va(&a, L2, 0x00805000u, pte(D2, P | RW)));     /* slot 2, entry 5 */
    assert_int_equal(mem[L1B][5], pte(D2, P | RW));
    OK(dp_update_va(&a, L2, 0x00003000u, pte(D2, P)));          /* slot 0: L1A's entry 3 */
    assert_int_equal(mem[L1A][3], pte(D2, P));
    OK(dp_pin(&a, 0, DP_L1));                            /* the first frame of a 4 MiB page ... */
    OK(dp_mmu_update(&a, at(L2, 3), pte(0, P | PS)));
    REFUSED(dp_update_va(&a, L2, 0x00C05000u, pte(D2, P)), PV_EINVAL);   /* ... is not its L1 */
    REFUSED(dp_update_va(&a, L2, 0x01000000u, pte(D2, P)), PV_EINVAL);   /* not present */
    REFUSED(dp_update_va(&a, L1A, 0, pte(D2, P)), PV_EINVAL);            /* no directory */
    REFUSED(dp_update_va(&a, L2, 0x00006000u, pte(L1A, P | RW)), PV_EINVAL);
}

/* The TLB is flushed when a right goes, not when one comes. */
static void test_flush_when_a_mapping_weakens(void **state)
{
    (void)state;
    build_a();
    struct { uint32_t val; bool flush; } steps[] = {
        { pte(D2, P), false },                           /* added */
        { pte(D2, P | RW | US), false },                 /* more rights */
        { pte(D2, P | US), true },                       /* read-only */
        { pte(D1, P | US), true },                       /* pointed elsewhere */
        { pte(D1, P | US | GPTE_A), false },             /* fast path, nothing taken */
        { pte(D1, P), true },                            /* U/S taken */
        { 0, true },                                     /* removed */
        { pte(D2, 0), false },                           /* not present to not present */
    };
    for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        a.flush = false;
        OK(dp_mmu_update(&a, at(L1A, 3), steps[i].val));
        if (a.flush != steps[i].flush)
            fail_msg("step %u (0x%x): flush %d", i, steps[i].val, a.flush);
    }
}

/* dp_check itself: each kind of broken bookkeeping is found. */
static void test_check_finds_broken_counts(void **state)
{
    (void)state;
    build_a();
    uint32_t bases[] = { base_a };
    char why[200];
    struct { struct dp_frame *f; struct dp_frame bad; const char *what; } breaks[] = {
        { &frames[D1], { 1, DP_WRITABLE, 0, 1, 2 }, "references" },
        { &frames[D1], { 1, DP_WRITABLE, 0, 2, 1 }, "type" },
        { &frames[D1], { 1, DP_L1, 0, 1, 1 }, "type" },
        { &frames[D2], { 1, DP_NONE, DP_PINNED, 0, 1 }, "pinned" },
        { &frames[FREE], { 0, DP_NONE, 0, 0, 1 }, "references" },
        { &frames[L1A], { 2, DP_L1, 0, 1, 2 }, "not its owner's" },
    };
    for (unsigned i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
        struct dp_frame good = *breaks[i].f;
        *breaks[i].f = breaks[i].bad;
        assert_false(dp_check(&machine, bases, 1, tally, why, sizeof(why)));
        if (!strstr(why, breaks[i].what))
            fail_msg("break %u: \"%s\" does not say %s", i, why, breaks[i].what);
        *breaks[i].f = good;
        check();
    }
    mem[L1A][7] = pte(L1A, P | RW);                      /* written behind the rules' back */
    assert_false(dp_check(&machine, bases, 1, tally, why, sizeof(why)));
    assert_non_null(strstr(why, "is used as 2 types"));
    mem[L1A][7] = 0;
    mem[L2][DP_FIRST_HV_SLOT + 2] = pte(D2, P);
    assert_false(dp_check(&machine, bases, 1, tally, why, sizeof(why)));
    assert_non_null(strstr(why, "hypervisor slot"));
    mem[L2][DP_FIRST_HV_SLOT + 2] = 0;
    uint32_t bad_base[] = { base_a, D2 };
    assert_false(dp_check(&machine, bad_base, 2, tally, why, sizeof(why)));
    check();
}

int main(void)
{
    mem = malloc(NFRAMES * 4096ull);
    before.mem = malloc(NFRAMES * 4096ull);
    if (!mem || !before.mem)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_claim_and_release, setup),
        cmocka_unit_test_setup(test_validation_counts_every_reference, setup),
        cmocka_unit_test_setup(test_no_writable_mapping_of_a_table, setup),
        cmocka_unit_test_setup(test_every_slot_is_validated, setup),
        cmocka_unit_test_setup(test_no_table_of_a_writable_frame, setup),
        cmocka_unit_test_setup(test_fast_path_is_not_a_way_to_rw, setup),
        cmocka_unit_test_setup(test_no_l2_as_l1, setup),
        cmocka_unit_test_setup(test_superpages, setup),
        cmocka_unit_test_setup(test_hypervisor_slots, setup),
        cmocka_unit_test_setup(test_only_own_frames, setup),
        cmocka_unit_test_setup(test_batch_stops_at_the_failing_request, setup),
        cmocka_unit_test_setup(test_failed_validation_rolls_back, setup),
        cmocka_unit_test_setup(test_unpin_and_release_of_a_referenced_table, setup),
        cmocka_unit_test_setup(test_pin_twice_and_wrong_level, setup),
        cmocka_unit_test_setup(test_keep, setup),
        cmocka_unit_test_setup(test_set_base, setup),
        cmocka_unit_test_setup(test_update_va, setup),
        cmocka_unit_test_setup(test_flush_when_a_mapping_weakens, setup),
        cmocka_unit_test_setup(test_check_finds_broken_counts, setup),
    };
    int rc = RUN_UNIT_TESTS("direct_paging", tests);
    free(mem);
    free(before.mem);
    return rc;
}
