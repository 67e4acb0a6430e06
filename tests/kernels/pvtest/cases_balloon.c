/*
 * cases_balloon.c: memory reservations, the balloon's calls (lib/pv_abi.h
 * section 8; hv/pv/balloon.c): frames given back and taken again, the
 * target balloon= sets, and every refusal. The hypervisor's console says
 * how many pages the VM holds and how many are free at each change
 * ("hv: balloon: vm0 holds ..."), which pv_cases.py reads.
 */
#include "events.h"
#include "pvtest.h"

#define PAGES 4
#define PTE_P  0x1u
#define PTE_RW 0x2u

static int32_t reservation(uint32_t cmd, uint32_t *extents, uint32_t n, uint32_t order, uint32_t domid)
{
    struct pv_memory_reservation r = { (uint32_t)extents, n, order, domid };
    return vmcall3(PV_memory_op, cmd, (uint32_t)&r, 0);
}

static int32_t pages_held(uint32_t cmd)
{
    uint32_t domid = PV_DOMID_SELF;
    return vmcall3(PV_memory_op, cmd, (uint32_t)&domid, 0);
}

static uint32_t *p2m(void)
{
    return (uint32_t *)start_info->mfn_list;
}

static volatile uint8_t *page_of(uint32_t pfn)
{
    return (volatile uint8_t *)(PV_VIRT_BASE + pfn * 4096);
}

/* The direct map's entry of pfn cleared: no reference to its frame left. */
static int32_t unmap(uint32_t pfn)
{
    return vmcall3(PV_update_va_mapping, (uint32_t)page_of(pfn), 0, PV_UVMF_INVLPG);
}

/* pfn's direct-map entry made mfn, writable; the update's result. */
static int32_t map(uint32_t pfn, uint32_t mfn)
{
    return vmcall3(PV_update_va_mapping, (uint32_t)page_of(pfn), mfn << 12 | PTE_P | PTE_RW, PV_UVMF_INVLPG);
}

/* The bytes of pfn's page that are not zero (read a word at a time). */
static uint32_t nonzero_bytes(uint32_t pfn)
{
    const volatile uint32_t *w = (const volatile uint32_t *)page_of(pfn);
    uint32_t n = 0;
    for (unsigned i = 0; i < 1024; i++)
        for (uint32_t v = w[i]; v; v >>= 8)
            n += (v & 0xFF) != 0;
    return n;
}

/* pfns nr_pages-1-PAGES .. nr_pages-2: free memory at the top of the VM. */
static uint32_t top_pfn(unsigned i)
{
    return start_info->nr_pages - 2 - i;
}

PV_CASE(balloon_down_up, "balloon-down-up", "decrease_reservation of 4 frames, populate_physmap of 4: zeroed")
{
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    uint32_t extents[PAGES], old[PAGES];
    int32_t held = pages_held(PV_XENMEM_current_reservation), max = pages_held(PV_XENMEM_maximum_reservation);
    int32_t unmapped = 0;
    for (unsigned i = 0; i < PAGES; i++) {
        page_of(top_pfn(i))[0] = 0xA5;        /* what the guest leaves there */
        page_of(top_pfn(i))[4095] = 0x5A;
        unmapped |= unmap(top_pfn(i));
        extents[i] = old[i] = p2m()[top_pfn(i)];
    }
    int32_t down = reservation(PV_XENMEM_decrease_reservation, extents, PAGES, 0, PV_DOMID_SELF);
    int32_t held_down = pages_held(PV_XENMEM_current_reservation);
    uint32_t gone = 0;
    for (unsigned i = 0; i < PAGES; i++)
        gone += m2p[old[i]] == PV_INVALID_PFN;
    for (unsigned i = 0; i < PAGES; i++)
        extents[i] = top_pfn(i);
    int32_t up = reservation(PV_XENMEM_populate_physmap, extents, PAGES, 0, PV_DOMID_SELF);
    uint32_t m2p_ok = 0, nonzero = 0;
    int32_t mapped = 0;
    for (unsigned i = 0; i < PAGES; i++) {
        m2p_ok += m2p[extents[i]] == top_pfn(i);
        p2m()[top_pfn(i)] = extents[i];
        mapped |= map(top_pfn(i), extents[i]);
        nonzero += nonzero_bytes(top_pfn(i));
    }
    int32_t held_up = pages_held(PV_XENMEM_current_reservation);
    result("balloon: held %d of max %d; unmap %d, decrease %d, held %d, m2p invalid %u; populate %d, held %d, "
           "m2p %u, map %d, nonzero bytes %u", held, max, unmapped, down, held_down, gone, up, held_up, m2p_ok,
           mapped, nonzero);
}

PV_CASE(balloon_target, "balloon-target", "balloon=: the target at start, and VIRQ_BALLOON when it changes")
{
    struct pv_shared_info *s = shared_info();
    uint32_t at_start = s->balloon_target, port;
    events_install();
    evtchn_bind_virq(PV_VIRQ_BALLOON, &port);
    evtchn_port_op(PV_EVTCHNOP_unmask, port);
    events_on();
    uint32_t n = block_until_upcalls(1, 100);
    result("target: %u at start, %u after %u upcall on VIRQ_BALLOON's port (%u events), at %u ms", at_start,
           s->balloon_target, n, port_events[port], (uint32_t)(last_upcall_ns / 1000000));
}

#define CHUNK 512
static uint32_t chunk[CHUNK];

/* populate_physmap of pfns [first, first + n) (n <= CHUNK), each entered in
 * the P2M and mapped; the call's result (pages done, or an error). */
static int32_t populate_mapped(uint32_t first, uint32_t n, int32_t *mapped)
{
    for (uint32_t i = 0; i < n; i++)
        chunk[i] = first + i;
    int32_t got = reservation(PV_XENMEM_populate_physmap, chunk, n, 0, PV_DOMID_SELF);
    for (int32_t i = 0; i < got; i++) {
        p2m()[first + i] = chunk[i];
        *mapped |= map(first + i, chunk[i]);
    }
    return got;
}

/* maxmem= above guestmem: the pfns past the VM's start are populated (the
 * builder left room for them in the P2M list and the direct map's L1s),
 * zeroed and the VM's; one more is refused (Xen's -ENOMEM at max_pages). */
PV_CASE(balloon_grow, "balloon-grow", "populate_physmap past the VM's start, up to maxmem='s max_pages")
{
    int32_t held = pages_held(PV_XENMEM_current_reservation), max = pages_held(PV_XENMEM_maximum_reservation);
    uint32_t start = start_info->nr_pages, invalid = 0, nonzero = 0;
    for (uint32_t pfn = start; pfn < start_info->max_pages; pfn++)
        invalid += p2m()[pfn] == PV_INVALID_MFN;
    int32_t got = 0, r = 0, mapped = 0;
    for (uint32_t pfn = start; pfn < start_info->max_pages && r >= 0; pfn += (uint32_t)r) {
        uint32_t n = start_info->max_pages - pfn < CHUNK ? start_info->max_pages - pfn : CHUNK;
        r = populate_mapped(pfn, n, &mapped);
        got += r > 0 ? r : 0;
    }
    for (uint32_t pfn = start; pfn < start + (uint32_t)got; pfn++) {
        nonzero += nonzero_bytes(pfn);
        page_of(pfn)[0] = 1;
    }
    uint32_t e = start_info->max_pages - 1;
    int32_t again = reservation(PV_XENMEM_populate_physmap, &e, 1, 0, PV_DOMID_SELF);
    e = start_info->max_pages;
    int32_t past = reservation(PV_XENMEM_populate_physmap, &e, 1, 0, PV_DOMID_SELF);
    result("grow: held %d of max %d (start info %u of %u), P2M past the start invalid %u; populated %d, map %d, "
           "nonzero bytes %u, held %d; at max %d, pfn max_pages %d", held, max, start_info->nr_pages,
           start_info->max_pages, invalid, got, mapped, nonzero, pages_held(PV_XENMEM_current_reservation), again,
           past);
}

/* vm0 of the pair balloon-give / balloon-take-all (pv_cases.py): every
 * page from first_free_pfn + 16 up (the stack and what the case uses lie
 * below), filled with 0xA5 and given back; its frames named for the check. */
PV_CASE(balloon_give, "balloon-give", "decrease_reservation of its free pages, full of 0xA5 (for balloon-take-all)")
{
    uint32_t first = start_info->first_free_pfn + 16, n = 0, gone = 0, lo = ~0u, hi = 0;
    int32_t unmapped = 0, r = 0;
    for (uint32_t pfn = first; pfn < start_info->nr_pages; pfn++) {
        for (unsigned i = 0; i < 1024; i++)
            ((volatile uint32_t *)page_of(pfn))[i] = 0xA5A5A5A5u;
        unmapped |= unmap(pfn);
        chunk[n++] = p2m()[pfn];
        lo = p2m()[pfn] < lo ? p2m()[pfn] : lo;
        hi = p2m()[pfn] > hi ? p2m()[pfn] : hi;
        if (n == CHUNK || pfn + 1 == start_info->nr_pages) {
            r = reservation(PV_XENMEM_decrease_reservation, chunk, n, 0, PV_DOMID_SELF);
            gone += r > 0 ? (uint32_t)r : 0;
            n = 0;
        }
    }
    result("gave %u pages of 0xA5, frames 0x%x-0x%x (unmap %d, last %d)", gone, lo, hi, unmapped, r);
}

/* populate_physmap from pfn first on, in chunks, until the hypervisor has
 * no frame left (or max_pages); each page mapped and read: *nonzero counts
 * its bytes that are not zero, the runs of its frames printed. Returns the
 * pages got; *last the call that ended it. */
#define RUNS 16
static uint32_t take_all(uint32_t first, int32_t *last, int32_t *mapped, uint32_t *nonzero)
{
    uint32_t got = 0, runs = 0, run[RUNS][2];
    for (uint32_t pfn = first; pfn < start_info->max_pages; ) {
        uint32_t n = start_info->max_pages - pfn < CHUNK ? start_info->max_pages - pfn : CHUNK;
        *last = populate_mapped(pfn, n, mapped);
        if (*last <= 0)
            break;
        pfn += (uint32_t)*last;
        got += (uint32_t)*last;
    }
    for (uint32_t pfn = first; pfn < first + got; pfn++) {
        *nonzero += nonzero_bytes(pfn);
        uint32_t mfn = p2m()[pfn];
        if (runs && run[runs - 1][1] + 1 == mfn)
            run[runs - 1][1] = mfn;
        else if (runs < RUNS)
            run[runs][0] = run[runs][1] = mfn, runs++;
    }
    printf("pvtest: took");
    for (uint32_t i = 0; i < runs; i++)
        printf(" 0x%x-0x%x", run[i][0], run[i][1]);
    printf("\n");
    return got;
}

/* vm1 of the pair (hostile: a VM that asks for more than the hypervisor
 * has): from 500 ms of its time (vm0 has given its pages back by then) it
 * takes every frame the hypervisor will give, until -PV_ENOMEM (the
 * hypervisor unharmed, keeping its reserve): vm0's frames among them
 * (pv_cases.py checks the runs printed), each one zero, not vm0's 0xA5. */
PV_CASE(balloon_take_all, "balloon-take-all", "populate_physmap until the hypervisor has no frame: each one zero")
{
    spin_until(500000000ull);
    int32_t last = 0, mapped = 0;
    uint32_t nonzero = 0, got = take_all(start_info->nr_pages, &last, &mapped, &nonzero);
    result("took %u pages past the start, then populate %d; nonzero bytes %u; map %d; held %d", got, last, nonzero,
           mapped, pages_held(PV_XENMEM_current_reservation));
}

/* ---- hostile ---- */

PV_CASE(balloon_bad, "balloon-bad", "memory_op: frames in use, not the VM's, bad arguments, beyond max_pages")
{
    struct pv_shared_info *s = shared_info();
    uint32_t e[2];
    int32_t held = pages_held(PV_XENMEM_current_reservation);
    /* Frames in use: mapped (the direct map), the shared-info page unmapped
     * (the hypervisor keeps it), the page directory (pinned, the base). */
    e[0] = p2m()[top_pfn(0)];
    int32_t mapped = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    uint32_t shared_pfn = ((uint32_t)s - PV_VIRT_BASE) >> 12;
    int32_t unmap_shared = unmap(shared_pfn);
    e[0] = p2m()[shared_pfn];
    int32_t shared = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    e[0] = p2m()[(start_info->pt_base - PV_VIRT_BASE) >> 12];
    int32_t table = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    printf("pvtest: decrease: mapped %d, shared info (unmap %d) %d, page directory %d\n", mapped, unmap_shared,
           shared, table);
    /* Frames not the VM's: machine frame 1, past any machine. */
    e[0] = 1;
    int32_t frame1 = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    e[0] = 0xFFFFFFF0u;
    int32_t beyond = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    /* Bad arguments: an order, a domain (on a mapped frame: refused for
     * them first, not as busy), unmapped and read-only arrays. */
    e[0] = p2m()[top_pfn(0)];
    int32_t order = reservation(PV_XENMEM_decrease_reservation, e, 1, 1, PV_DOMID_SELF);
    int32_t domid = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, 5);
    int32_t unmapped = reservation(PV_XENMEM_decrease_reservation, (uint32_t *)0x1000, 1, 0, PV_DOMID_SELF);
    int32_t arg_unmapped = vmcall3(PV_memory_op, PV_XENMEM_populate_physmap, 0x1000, 0);
    printf("pvtest: decrease: machine frame 1 %d, beyond %d; order 1 %d, domid 5 %d, unmapped %d, arg %d\n",
           frame1, beyond, order, domid, unmapped, arg_unmapped);
    /* populate at max_pages; then one frame given back: a pfn >= max_pages,
     * a read-only array (the page directory), two asked with room for one. */
    e[0] = top_pfn(0);
    int32_t at_max = reservation(PV_XENMEM_populate_physmap, e, 1, 0, PV_DOMID_SELF);
    int32_t unmapped1 = unmap(top_pfn(1));
    e[0] = p2m()[top_pfn(1)];
    int32_t one = reservation(PV_XENMEM_decrease_reservation, e, 1, 0, PV_DOMID_SELF);
    e[0] = start_info->max_pages;
    int32_t past_p2m = reservation(PV_XENMEM_populate_physmap, e, 1, 0, PV_DOMID_SELF);
    int32_t ro = reservation(PV_XENMEM_populate_physmap, (uint32_t *)start_info->pt_base, 1, 0, PV_DOMID_SELF);
    e[0] = top_pfn(1);
    e[1] = top_pfn(2);
    int32_t two = reservation(PV_XENMEM_populate_physmap, e, 2, 0, PV_DOMID_SELF);
    printf("pvtest: populate: at max %d; (unmap %d, decrease %d) pfn max_pages %d, read-only array %d, 2 with "
           "room for 1: %d\n", at_max, unmapped1, one, past_p2m, ro, two);
    /* A continuation's start (cmd's high bits) past the extents, and a count
     * no continuation could count up to: refused, nothing done. */
    e[0] = top_pfn(1);
    struct pv_memory_reservation past = { (uint32_t)e, 1, 0, PV_DOMID_SELF };
    int32_t start_past = vmcall3(PV_memory_op, PV_XENMEM_populate_physmap | 2u << PV_MEMOP_EXTENT_SHIFT,
                                 (uint32_t)&past, 0);
    struct pv_memory_reservation huge = { (uint32_t)e, 1u << (32 - PV_MEMOP_EXTENT_SHIFT), 0, PV_DOMID_SELF };
    int32_t too_many = reservation(PV_XENMEM_populate_physmap, e, huge.nr_extents, 0, PV_DOMID_SELF);
    printf("pvtest: continuation: start past the extents %d, 2^26 extents %d\n", start_past, too_many);
    uint32_t domid5 = 5;
    result("memory_op: increase %d, cmd 99 %d, current of domid 5 %d, of unmapped %d; held %d then %d",
           reservation(PV_XENMEM_increase_reservation, e, 1, 0, PV_DOMID_SELF),
           vmcall3(PV_memory_op, 99, 0, 0), vmcall3(PV_memory_op, PV_XENMEM_current_reservation, (uint32_t)&domid5, 0),
           vmcall3(PV_memory_op, PV_XENMEM_current_reservation, 0x1000, 0), held,
           pages_held(PV_XENMEM_current_reservation));
}

/* The machine frames after the VM's own highest one, where the next VM's
 * RAM lies (vms=2, pv_cases.py checks the range holds some of vm1's):
 * none may leave this VM, none is in its M2P. */
PV_CASE(balloon_other_vm, "balloon-other-vm", "decrease_reservation of the frames after the VM's own: another VM's")
{
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    uint32_t top = 0;
    for (uint32_t pfn = 0; pfn < start_info->nr_pages; pfn++)
        top = p2m()[pfn] > top ? p2m()[pfn] : top;
    uint32_t refused = 0, other = 0, in_m2p = 0, n = 8 * start_info->nr_pages;
    for (uint32_t mfn = top + 1; mfn <= top + n; mfn++) {
        uint32_t e = mfn;
        int32_t r = reservation(PV_XENMEM_decrease_reservation, &e, 1, 0, PV_DOMID_SELF);
        refused += r == -PV_EINVAL;
        other += r != -PV_EINVAL;
        in_m2p += m2p[mfn] != PV_INVALID_PFN;
    }
    result("other VM: frames 0x%x-0x%x, refused %u, otherwise %u, in this VM's M2P %u", top + 1, top + n, refused,
           other, in_m2p);
}
