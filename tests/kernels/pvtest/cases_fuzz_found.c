/*
 * cases_fuzz_found.c: what the fuzzer with a partner (case=fuzz peer=1)
 * found, each bug replayed as one directed pair of VMs (vm0 the first case,
 * vm1 the second; tests/integration/pv_gaps_cases.py).
 *
 * A stale grant record (lib/pv_abi.h section 10): a grantee's L1 holding a
 * grant's entry may be released; the entry's references go with it, and
 * the grant's record stays mapped until its unmap, which then has nothing
 * to remove. But the record still named the entry's machine address: once
 * the grantee cleaned the entry and made the frame its L1 again, a second
 * grant of the same frame (the same entry, to the bit) mapped there was
 * taken away by the first's unmap, and would have been by its revocation.
 */
#include "fuzz.h"
#include "pvtest.h"

#define GIVEN 0x61766947u
#define DONE  0x656E6F44u

static uint32_t l1[1024] __attribute__((aligned(4096)));      /* vm0's: the L1 released and hooked again */
static uint32_t given[1024] __attribute__((aligned(4096)));   /* vm1's: the frame granted twice */

static int32_t hook(uint32_t pde)
{
    struct pv_mmu_update u = { virt_to_mfn((const void *)start_info->pt_base) << 12 | SPARE_SLOT * 4, pde };
    return vmcall5(PV_mmu_update, (uint32_t)&u, 1, 0, PV_DOMID_SELF, 0);
}

static int32_t update_va(const void *va, uint32_t pte)
{
    return vmcall3(PV_update_va_mapping, (uint32_t)va, pte, PV_UVMF_INVLPG);
}

static int32_t map(uint32_t va, uint32_t ref, uint32_t *handle)
{
    struct pv_gnttab_map_grant_ref op = { va, 0, ref, PEER_ID, 99, 0 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_map_grant_ref, (uint32_t)&op, 1);
    *handle = op.handle;
    return r ? r : op.status;
}

static int32_t unmap(uint32_t va, uint32_t handle)
{
    struct pv_gnttab_unmap_grant_ref op = { va, handle, 99 };
    int32_t r = vmcall3(PV_grant_table_op, PV_GNTTABOP_unmap_grant_ref, (uint32_t)&op, 1);
    return r ? r : op.status;
}

/* The read's vector (NO_FAULT: none) and the word. */
static uint32_t probe(volatile uint32_t *p, uint32_t *seen)
{
    uint32_t v = 0;
    recovered_vector = NO_FAULT;
    TRY("movl (%1), %0", : "=r"(v) : "r"(p) : "memory");
    *seen = v;
    return recovered_vector;
}

PV_CASE(grant_stale_take, "grant-stale-take", "vm0: a grant mapped in an L1 released under it, the entry cleaned, "
        "the L1 hooked again and the frame's other grant mapped there: the first's unmap must leave it")
{
    uint32_t mfn = virt_to_mfn(l1), va = SPARE_SLOT << 22, first, second, seen, tries = 0;
    read_only(l1);
    int32_t hooked = hook(mfn << 12 | P | RW), mapped;
    while ((mapped = map(va, 0, &first)) == PV_GNTST_bad_gntref && ++tries < 200000)
        meet_yield();                       /* vm1 has not granted yet */
    int32_t unhooked = hook(0);             /* the L1 released: the entry's references with it */
    int32_t writable = update_va(l1, mfn << 12 | P | RW | A);
    l1[0] = 0;
    int32_t read_only_again = update_va(l1, mfn << 12 | P | A), hooked_again = hook(mfn << 12 | P | RW);
    int32_t other;                          /* vm1 grants ref 1 after ref 0: it may not have yet */
    for (tries = 0; (other = map(va, 1, &second)) == PV_GNTST_bad_gntref && ++tries < 200000;)
        meet_yield();
    int32_t stale = unmap(va, first);
    bool kept = l1[0] & P;
    uint32_t vector = probe((volatile uint32_t *)va, &seen);
    int32_t last = unmap(va, second), remap = map(va, 0, &first);
    if (remap == 0)
        ((volatile uint32_t *)va)[1] = DONE, unmap(va, first);
    result("stale-take: hook %d, map %d, unhook %d, cleaned %d %d, hook again %d, the other grant mapped there %d; "
           "the first's unmap %d; the other's entry %s, a read through it %s (0x%x); its unmap %d", hooked, mapped,
           unhooked, writable, read_only_again, hooked_again, other, stale, kept ? "kept" : "gone",
           vector == NO_FAULT ? "reads" : "faults", seen, last);
}

PV_CASE(grant_twice_give, "grant-twice-give", "vm1: one frame granted to vm0 twice (refs 0 and 1, writable), "
        "kept until vm0 is done")
{
    uint32_t mfn = virt_to_mfn(given), i;
    given[0] = GIVEN;
    int32_t a = meet_grant(0, SELF_ID, mfn, 0), b = meet_grant(1, SELF_ID, mfn, 0);
    for (i = 0; i < 200000 && ((volatile uint32_t *)given)[1] != DONE; i++)
        meet_yield();
    result("twice: granted %d and %d; vm0 %s", a, b, given[1] == DONE ? "done" : "never done");
}
