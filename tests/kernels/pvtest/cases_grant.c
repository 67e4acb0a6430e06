/*
 * cases_grant.c: grants between two (or three) PV VMs (lib/pv_abi.h
 * section 10; hv/pv/grant_table.c). Each case is a pair: vm0 runs the
 * granter's half (grant-give-*), vm1 the grantee's (grant-take-*), on the
 * same machine at once (vms=2, pv_cases.py). They meet in the shared frame
 * itself: each waits, yielding the CPU, for the other's word to appear; a
 * grantee retries its map until the granter has granted.
 *
 * The granter's frame and the grantee's page to map it at are free pages
 * near the top of each VM (as cases_balloon.c's); the grantee unmaps its
 * own page there first, so that the entry is not present. The shared words
 * are even (bit 0 clear): the granter pins the frame as an L1 after the
 * revocation, and its words then validate as not-present entries.
 */
#include "pvtest.h"

#define P      0x001u
#define RW     0x002u
#define TRIES  20000u

#define GIVEN  0x6A6A0000u       /* the granter's first word */
#define MARK   0x7B7B0000u       /* the grantee's */
#define REPLY  0x6A6A0002u
#define ACK    0x7B7B0002u

static volatile uint32_t *page_of(uint32_t pfn)
{
    return (volatile uint32_t *)(PV_VIRT_BASE + pfn * 4096);
}

/* A free page near the top of the VM (cases_balloon.c's). */
static uint32_t top_pfn(unsigned i)
{
    return start_info->nr_pages - 2 - i;
}

static uint32_t mfn_of(uint32_t pfn)
{
    return ((const uint32_t *)start_info->mfn_list)[pfn];
}

static void yield(void)
{
    vmcall3(PV_sched_op, PV_SCHEDOP_yield, 0, 0);
}

/* Until *w is value (the other VM's), yielding: whether it came. */
static int wait_for(volatile uint32_t *w, uint32_t value)
{
    for (uint32_t i = 0; i < TRIES; i++) {
        if (*w == value)
            return 1;
        yield();
    }
    return 0;
}

/* grant_table_op with one op: the call's error, else the op's status. */
static int32_t gnttab(uint32_t cmd, void *op, volatile int32_t *status)
{
    int32_t r = vmcall3(PV_grant_table_op, cmd, (uint32_t)op, 1);
    return r ? r : *status;
}

static int32_t grant(uint32_t ref, uint32_t domid, uint32_t mfn, uint32_t flags)
{
    struct pv_gnttab_grant_foreign_access op = { ref, domid, mfn, flags, 99 };
    return gnttab(PV_GNTTABOP_grant_foreign_access, &op, &op.status);
}

static int32_t end_grant(uint32_t ref)
{
    struct pv_gnttab_end_foreign_access op = { ref, 99 };
    return gnttab(PV_GNTTABOP_end_foreign_access, &op, &op.status);
}

static int32_t map(uint32_t va, uint32_t flags, uint32_t ref, uint32_t dom, uint32_t *handle)
{
    struct pv_gnttab_map_grant_ref op = { va, flags, ref, dom, 99, 0 };
    int32_t r = gnttab(PV_GNTTABOP_map_grant_ref, &op, &op.status);
    *handle = op.handle;
    return r;
}

static int32_t unmap(uint32_t va, uint32_t handle)
{
    struct pv_gnttab_unmap_grant_ref op = { va, handle, 99 };
    return gnttab(PV_GNTTABOP_unmap_grant_ref, &op, &op.status);
}

/* The map retried (yielding) while the granter has not granted yet: the
 * tries it took in *tries. */
static int32_t map_when_granted(uint32_t va, uint32_t flags, uint32_t ref, uint32_t *handle, uint32_t *tries)
{
    int32_t r = PV_GNTST_bad_gntref;
    for (*tries = 1; *tries <= TRIES; ++*tries) {
        r = map(va, flags, ref, 0, handle);
        if (r != PV_GNTST_bad_gntref)
            break;
        yield();
    }
    return r;
}

static int32_t update_va(uint32_t va, uint32_t pte)
{
    return vmcall3(PV_update_va_mapping, va, pte, PV_UVMF_INVLPG);
}

/* The grantee's page to map at: its own page there unmapped first. */
static uint32_t map_at(unsigned i)
{
    uint32_t va = (uint32_t)page_of(top_pfn(i));
    if (update_va(va, 0))
        breach("could not unmap its own page at 0x%x", va);
    return va;
}

static int32_t decrease(uint32_t mfn)
{
    struct pv_memory_reservation r = { (uint32_t)&mfn, 1, 0, PV_DOMID_SELF };
    return vmcall3(PV_memory_op, PV_XENMEM_decrease_reservation, (uint32_t)&r, 0);
}

static int32_t mmuext(uint32_t cmd, uint32_t mfn)
{
    struct pv_mmuext_op op = { cmd, mfn, 0 };
    return vmcall5(PV_mmuext_op, (uint32_t)&op, 1, 0, PV_DOMID_SELF, 0);
}

/* The vector a read (write: 1) of *p faults with, NO_FAULT if none; the
 * word read in *seen. */
static uint32_t probe(volatile uint32_t *p, int write, uint32_t *seen)
{
    uint32_t v = 0;
    recovered_vector = NO_FAULT;
    if (write)
        TRY("movl %%eax, (%0)", : : "r"(p), "a"(MARK | 0x10u) : "memory");
    else
        TRY("movl (%1), %0", : "=r"(v) : "r"(p) : "memory");
    if (seen)
        *seen = v;
    return recovered_vector;
}

/* The granter's start: its frame (a free page's) holds GIVEN, granted to
 * vm1 writable as ref 0 (the grant's status in *granted); then it waits
 * for vm1's MARK (whether it came in *seen). */
static volatile uint32_t *offer(uint32_t *mfn, int32_t *granted, int *seen)
{
    uint32_t pfn = top_pfn(0);
    volatile uint32_t *w = page_of(pfn);
    *mfn = mfn_of(pfn);
    w[0] = GIVEN;
    *granted = grant(0, 1, *mfn, 0);
    *seen = wait_for(&w[1], MARK);
    return w;
}

/* ---- friendly ---- */

/* vm0: grants a frame writable; while vm1 maps it, the frame can neither
 * leave the VM nor become a page table; the revocation takes it back, and
 * then both can. */
PV_CASE(grant_give, "grant-give", "vm0: a frame granted to vm1 writable, shared, then revoked")
{
    uint32_t mfn;
    int32_t granted;
    int seen;
    volatile uint32_t *w = offer(&mfn, &granted, &seen);
    w[2] = REPLY;
    int acked = wait_for(&w[3], ACK);
    int32_t unmapped = update_va((uint32_t)w, 0);       /* its own mapping gone: vm1's is the last */
    int32_t leave = decrease(mfn), pin = mmuext(PV_MMUEXT_PIN_L1_TABLE, mfn);
    int32_t ended = end_grant(0), again = end_grant(0);
    int32_t pin_after = mmuext(PV_MMUEXT_PIN_L1_TABLE, mfn), unpin = mmuext(PV_MMUEXT_UNPIN_TABLE, mfn);
    int32_t leave_after = decrease(mfn);
    result("give: granted %d, saw the mark %d, ack %d; unmapped %d; while mapped: decrease %d, pin %d; "
           "end %d, again %d; then pin %d, unpin %d, decrease %d", granted, seen, acked, unmapped, leave, pin,
           ended, again, pin_after, unpin, leave_after);
}

/* vm1: maps vm0's grant, both see each other's words; once vm0 revokes,
 * the mapping is gone: a read faults, the handle is stale. */
PV_CASE(grant_take, "grant-take", "vm1: vm0's grant mapped, written, read, then revoked under it")
{
    uint32_t va = map_at(0), handle, tries, seen, vector = NO_FAULT;
    volatile uint32_t *w = (volatile uint32_t *)va;
    int32_t mapped = map_when_granted(va, 0, 0, &handle, &tries);
    if (mapped)
        breach("map_grant_ref: %d", mapped);
    uint32_t given = w[0];
    w[1] = MARK;
    int replied = wait_for(&w[2], REPLY);
    w[3] = ACK;
    uint32_t polls;
    for (polls = 0; polls < TRIES && (vector = probe(w, 0, &seen)) == NO_FAULT; polls++)
        yield();
    int32_t stale = unmap(va, handle), again = map(va, 0, 0, 0, &handle);
    result("take: mapped %d, read 0x%x, reply %d; after the revocation read vector %u (%s), unmap %d, "
           "map %d", mapped, given, replied, vector, polls < TRIES ? "in time" : "never", stale, again);
}

/* vm0: a read-only grant, its frame's first word its own MFN. */
PV_CASE(grant_give_ro, "grant-give-ro", "vm0: a frame granted to vm1 read-only")
{
    uint32_t pfn = top_pfn(0);
    page_of(pfn)[0] = mfn_of(pfn) << 12;
    result("give read-only: granted %d", grant(0, 1, mfn_of(pfn), PV_GNTMAP_readonly));
}

/* vm1: the read-only grant is never writable: not mapped so, not written
 * through, not made writable by the MMU calls (nor cleared by them). */
PV_CASE(grant_take_ro, "grant-take-ro", "vm1: vm0's read-only grant: mapped read-only, writes refused")
{
    uint32_t va = map_at(0), handle, tries, seen;
    int32_t writable = map_when_granted(va, 0, 0, &handle, &tries);
    int32_t mapped = map(va, PV_GNTMAP_readonly, 0, 0, &handle);
    volatile uint32_t *w = (volatile uint32_t *)va;
    uint32_t read = probe(w, 0, &seen), write = probe(w, 1, NULL);
    int32_t made_rw = update_va(va, (seen & ~0xFFFu) | P | RW), cleared = update_va(va, 0);
    uint32_t write_after = probe(w, 1, NULL);
    int32_t unmapped = unmap(va, handle);
    uint32_t read_after = probe(w, 0, NULL);
    result("take read-only: writable map %d, read-only map %d; read vector %u (0x%x), write vector %u; "
           "made writable %d, cleared %d, write vector %u; unmap %d, then read vector %u", writable, mapped,
           read, seen, write, made_rw, cleared, write_after, unmapped, read_after);
}

/* ---- hostile ---- */

/* vm0 (vms=3): every refusal of grant_foreign_access and
 * end_foreign_access, and of the call itself; then ref 0 granted to vm1
 * read-only (its first word the frame's MFN), ref 2 to vm2. */
PV_CASE(grant_give_bad, "grant-give-bad", "vm0: grants refused (not its frame, a table, a kept page, "
        "itself, bad refs and domains), then two granted")
{
    uint32_t pfn = top_pfn(0), mfn = mfn_of(pfn), pd = virt_to_mfn((const void *)start_info->pt_base);
    uint32_t shared = virt_to_mfn((const void *)start_info->shared_info);
    page_of(pfn)[0] = mfn << 12;
    printf("pvtest: grant: not its own %d %d %d, page table %d, kept %d; to itself %d, domid 9 %d, self %d; "
           "ref 32 %d, flags 1 %d\n", grant(0, 1, 1, 0), grant(0, 1, 0xFFFFF, PV_GNTMAP_readonly),
           grant(0, 1, 0xFFFFFFFFu, 0), grant(0, 1, pd, 0), grant(0, 1, shared, PV_GNTMAP_readonly),
           grant(0, 0, mfn, 0), grant(0, 9, mfn, 0), grant(0, PV_DOMID_SELF, mfn, 0), grant(32, 1, mfn, 0),
           grant(0, 1, mfn, 1));
    struct pv_gnttab_grant_foreign_access op = { 0, 1, mfn, PV_GNTMAP_readonly, 99 };
    int32_t cmd = vmcall3(PV_grant_table_op, 99, (uint32_t)&op, 1);
    int32_t none = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)&op, 0);
    int32_t many = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)&op,
                           PV_GNTTAB_MAX_OPS + 1);
    int32_t unmapped = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, 0x1000, 1);
    /* A good op in a page mapped read-only: refused before it is done
       (its status could not be written). */
    uint32_t page = top_pfn(3);
    struct pv_gnttab_grant_foreign_access *in_ro = (void *)page_of(page);
    *in_ro = (struct pv_gnttab_grant_foreign_access){ 3, 1, mfn, PV_GNTMAP_readonly, 99 };
    int32_t made_ro = update_va((uint32_t)in_ro, mfn_of(page) << 12 | P);
    int32_t read_only = vmcall3(PV_grant_table_op, PV_GNTTABOP_grant_foreign_access, (uint32_t)in_ro, 1);
    int32_t not_granted = end_grant(3);
    printf("pvtest: call: cmd 99 %d, count 0 %d, count %u %d, unmapped %d, read-only %d (made so %d, then "
           "end %d)\n", cmd, none, PV_GNTTAB_MAX_OPS + 1, many, unmapped, read_only, made_ro, not_granted);
    /* Ref 0 last: vm1 waits for it, and finds refs 1 and 2 made. */
    int32_t third = grant(2, 2, mfn_of(top_pfn(1)), 0), table_ro = grant(1, 1, pd, PV_GNTMAP_readonly);
    int32_t ro = grant(0, 1, mfn, PV_GNTMAP_readonly), twice = grant(0, 1, mfn, PV_GNTMAP_readonly);
    result("give bad: end of ref 5 %d, of ref 32 %d; granted %d, twice %d, a table read-only %d, to vm2 %d",
           end_grant(5), end_grant(32), ro, twice, table_ro, third);
}

/* vm1: every refusal of map_grant_ref and unmap_grant_ref, and of the MMU
 * calls on a grant's entry or with its mark. */
PV_CASE(grant_take_bad, "grant-take-bad", "vm1: maps refused (refs never granted or granted to vm2, "
        "bad refs, domains, addresses, writable of read-only), forged and changed entries, unmap twice")
{
    uint32_t va = map_at(0), other = map_at(1), handle, h2, tries;
    int32_t writable = map_when_granted(va, 0, 0, &handle, &tries);
    int32_t ro = map(va, PV_GNTMAP_readonly, 0, 0, &handle);
    uint32_t vm0_mfn = *(volatile uint32_t *)va >> 12;
    /* The grant's page as a hypercall's buffer: not a frame of the VM's. */
    int32_t buffer = vmcall3(PV_grant_table_op, PV_GNTTABOP_unmap_grant_ref, va, 1);
    printf("pvtest: map: writable %d; never granted %d, vm2's %d, ref 32 %d %d; dom itself %d, 7 %d, self %d; "
           "twice %d; flags 1 %d; a call's buffer in it %d\n", writable, map(other, PV_GNTMAP_readonly, 5, 0, &h2),
           map(other, 0, 2, 0, &h2), map(other, PV_GNTMAP_readonly, 32, 0, &h2),
           map(other, PV_GNTMAP_readonly, 0xFFFFFFFFu, 0, &h2), map(other, PV_GNTMAP_readonly, 0, 1, &h2),
           map(other, PV_GNTMAP_readonly, 0, 7, &h2), map(other, PV_GNTMAP_readonly, 0, PV_DOMID_SELF, &h2),
           map(other, PV_GNTMAP_readonly, 0, 0, &h2), map(other, 1, 0, 0, &h2), buffer);
    int32_t table_rw = map(other, 0, 1, 0, &h2);
    printf("pvtest: map at: unaligned %d, a present page %d, no L1 %d, the hypervisor's %d; the table's "
           "read-only grant writable %d\n", map(other + 4, PV_GNTMAP_readonly, 1, 0, &h2),
           map((uint32_t)page_of(top_pfn(2)), PV_GNTMAP_readonly, 1, 0, &h2),
           map(0x00400000u, PV_GNTMAP_readonly, 1, 0, &h2), map(PV_M2P_VIRT, PV_GNTMAP_readonly, 1, 0, &h2),
           table_rw);
    int32_t foreign = update_va(other, vm0_mfn << 12 | P);
    int32_t forged = update_va(other, mfn_of(top_pfn(2)) << 12 | P | PV_GNTTAB_PTE);
    /* The mark is an AVL bit, which an entry may change without being
       validated again (the fast path): not this one. */
    uint32_t own = (uint32_t)page_of(top_pfn(2));
    int32_t fast = update_va(own, mfn_of(top_pfn(2)) << 12 | P | RW | 0x60u | PV_GNTTAB_PTE);
    int32_t rw = update_va(va, vm0_mfn << 12 | P | RW | PV_GNTTAB_PTE), clear = update_va(va, 0);
    /* A forged entry in a page that is then pinned as an L1 (its own
       mapping made read-only first: a table is never writable). */
    uint32_t *forge = (uint32_t *)page_of(top_pfn(4)), forge_mfn = mfn_of(top_pfn(4));
    for (unsigned i = 0; i < 1024; i++)
        forge[i] = 0;
    forge[7] = mfn_of(top_pfn(2)) << 12 | P | PV_GNTTAB_PTE;
    int32_t made_ro = update_va((uint32_t)forge, forge_mfn << 12 | P);
    int32_t pinned = mmuext(PV_MMUEXT_PIN_L1_TABLE, forge_mfn);
    printf("pvtest: mmu: vm0's frame %d, a forged grant entry %d, through the fast path %d, in a table pinned %d "
           "(read-only %d), the grant's entry writable %d, cleared %d\n", foreign, forged, fast, pinned, made_ro,
           rw, clear);
    int32_t wrong_va = unmap(other, handle), bad = unmap(va, 0xFFFFFFFFu), self = unmap(va, 1 * PV_NR_GRANT_REFS);
    int32_t unmapped = unmap(va, handle), twice = unmap(va, handle);
    result("take bad: read-only map %d (vm0's frame 0x%x); unmap at another address %d, handle ~0 %d, of "
           "itself %d; unmap %d, twice %d", ro, vm0_mfn, wrong_va, bad, self, unmapped, twice);
}

/* vm0: its grantee powers off while it maps the frame; the mapping still
 * holds the frame until the revocation removes it from the dead VM's
 * table. */
PV_CASE(grant_give_dead, "grant-give-dead", "vm0: revokes a grant the powered-off vm1 still maps")
{
    uint32_t mfn;
    int32_t granted;
    int seen;
    volatile uint32_t *w = offer(&mfn, &granted, &seen);
    for (unsigned i = 0; i < 100; i++)
        yield();                                        /* vm1 powers off */
    int32_t unmapped = update_va((uint32_t)w, 0);
    int32_t leave = decrease(mfn), ended = end_grant(0), leave_after = decrease(mfn);
    result("give to the dead: granted %d, saw the mark %d, unmapped %d; decrease %d, end %d, decrease %d",
           granted, seen, unmapped, leave, ended, leave_after);
}

/* vm1: maps, writes its mark, powers off with the grant mapped. */
PV_CASE(grant_take_die, "grant-take-die", "vm1: powers off with vm0's grant mapped")
{
    uint32_t va = map_at(0), handle, tries;
    int32_t mapped = map_when_granted(va, 0, 0, &handle, &tries);
    if (!mapped)
        *(volatile uint32_t *)(va + 4) = MARK;
    result("take and die: mapped %d", mapped);
}

/* vm0: grants, sees vm1's mark, powers off with its frame mapped. */
PV_CASE(grant_give_die, "grant-give-die", "vm0: powers off while vm1 maps its frame")
{
    uint32_t mfn;
    int32_t granted;
    int seen;
    offer(&mfn, &granted, &seen);
    result("give and die: granted %d, saw the mark %d", granted, seen);
}

/* vm1: the frame of the powered-off vm0 stays mapped and usable until
 * unmapped, and the grant stays mappable. */
PV_CASE(grant_take_outlive, "grant-take-outlive", "vm1: uses, unmaps and maps again a grant of the "
        "powered-off vm0")
{
    uint32_t va = map_at(0), handle, tries;
    volatile uint32_t *w = (volatile uint32_t *)va;
    int32_t mapped = map_when_granted(va, 0, 0, &handle, &tries);
    if (mapped)
        breach("map_grant_ref: %d", mapped);
    w[1] = MARK;
    for (unsigned i = 0; i < 100; i++)
        yield();                                        /* vm0 powers off */
    uint32_t seen = w[0];
    w[2] = ACK;
    int32_t unmapped = unmap(va, handle), again = map(va, 0, 0, 0, &handle);
    uint32_t ack = w[2];
    result("outlive: mapped %d, read 0x%x, unmap %d, map again %d, read 0x%x, unmap %d", mapped, seen,
           unmapped, again, ack, unmap(va, handle));
}
