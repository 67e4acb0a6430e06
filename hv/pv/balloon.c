/*
 * balloon.c: memory_op and the balloon's target (see balloon.h).
 *
 * A frame the guest gives back (decrease_reservation) leaves the VM in the
 * machine's frame table only with no reference left (dp_release: not
 * mapped by any entry, no table, not one of the builder's pages, which
 * are kept: -PV_EBUSY; not the VM's: -PV_EINVAL), its M2P entry becomes
 * PV_INVALID_PFN, and it goes back to the hypervisor's page allocator. A
 * frame the guest asks for (populate_physmap) comes from that allocator,
 * zeroed before the VM gets it (what another VM, or the hypervisor, left
 * in it must not reach this one: Xen scrubs freed pages for this reason),
 * joins the VM (dp_claim) and gets the pfn in the M2P; the guest learns its
 * MFN in the extent and maps it itself. The pfn must be one its P2M list
 * has room for (< max_pages, maxmem=: it may be past the VM's start), and
 * the VM may hold at most max_pages. The allocator's last HV_RESERVE_PAGES
 * stay the hypervisor's (its heap and page tables come from the same
 * allocator: a guest that took them all would make the hypervisor's next
 * allocation fail, a panic any guest could cause): past them, -PV_ENOMEM.
 *
 * The log ("hv: balloon: vm0 holds ...", with the hypervisor's free pages)
 * has one line when a call brings a VM to its target, moves it away from
 * its target (a guest that gives or takes on its own), or got some of the
 * frames it asked for and not the rest; not one per call on the way to a
 * target (a driver moving 40 MiB makes some 80 calls), nor one per call
 * that got nothing (a driver short of its target tries again and again).
 *
 * Extents are done in order; the first that cannot be done ends the call
 * with the count done before it, or with its error if it was the first
 * (lib/pv_abi.h section 8). PV_WORK_PER_EXIT extents an exit: a longer
 * call goes on in parts (continuation.h, Xen's encoding of the next extent
 * in cmd's high bits), so that no count holds the CPU in the hypervisor
 * (a populate scrubs a page per extent). Each extent is read, and written back (the
 * same value) before anything is done to it, so that an extent the guest
 * cannot write (an array in a read-only page) fails before its frame
 * moves, and nothing is half done.
 */
#include "pv/balloon.h"
#include "exit/vm_devices.h"
#include "guest/guest.h"
#include "mem/memory.h"
#include "mem/pmm.h"
#include "mem/scrub.h"
#include "pv/continuation.h"
#include "pv/guest_copy.h"
#include "pv/pv_domain.h"
#include "pv/pv_time.h"
#include "printf.h"

#define PAGES_PER_MIB 256u
#define HV_RESERVE_PAGES 256u       /* 1 MiB the balloon never takes */

/* "hv: balloon: vm0 holds 3840 pages (target 3840), hypervisor free 20480 pages" */
static void print_reservation(const struct vcpu *v)
{
    const struct pv_domain *pv = pv_of(v);
    printf("hv: balloon: vm%u holds %u pages (target %u), hypervisor free %lu pages\n", v->vm->id,
           pv->nr_pages, pv->balloon_target, pmm_free_count(&hv_pmm));
}

static void set_target(struct pv_domain *pv, unsigned mib)
{
    uint64_t pages = (uint64_t)mib * PAGES_PER_MIB;
    pv->balloon_target = pages > pv->max_pages ? pv->max_pages : (uint32_t)pages;
    pv->shared->balloon_target = pv->balloon_target;
}

/* A new target for vm's balloon driver, with its event. */
static void ask(struct vm *vm, unsigned mib, const char *why)
{
    struct pv_domain *pv = vm->pv;
    set_target(pv, mib);
    evtchn_raise_virq(&pv->evtchn, PV_VIRQ_BALLOON);
    printf("hv: balloon: vm%u target %u pages%s\n", vm->id, pv->balloon_target, why);
}

bool pv_balloon_ask(struct vm *vm, unsigned mib)
{
    if (!vm->pv || mib == 0 || mib > BALLOON_MIB_MAX)
        return false;
    ask(vm, mib, " (monitor)");
    return true;
}

void pv_balloon_setup(struct vm *vm, const struct balloon_targets *targets)
{
    struct pv_domain *pv = vm->pv;
    pv->balloon_steps = targets;
    pv->balloon_vm = vm->id;
    pv->balloon_target = pv->nr_pages;
    pv->shared->balloon_target = pv->nr_pages;
    unsigned mib = balloon_target_mib(targets, vm->id, 0, &pv->balloon_next_ms);
    if (mib)
        set_target(pv, mib);
    print_reservation(&vm->vcpu);
}

/* The system time only with a step to come: most VMs have none, and this
 * runs before every VM entry. */
uint64_t pv_balloon_before_entry(struct vcpu *v, uint64_t guest_tsc)
{
    struct pv_domain *pv = pv_of(v);
    if (pv->balloon_next_ms == ~0u)
        return UINT64_MAX;
    uint64_t next_ns = (uint64_t)pv->balloon_next_ms * 1000000u;
    if (pv_system_time(v, guest_tsc) >= next_ns) {
        ask(v->vm, balloon_target_mib(pv->balloon_steps, pv->balloon_vm, pv->balloon_next_ms,
                                      &pv->balloon_next_ms), "");
        if (pv->balloon_next_ms == ~0u)
            return UINT64_MAX;
        next_ns = (uint64_t)pv->balloon_next_ms * 1000000u;
    }
    return pv_time_guest_tsc_at(v, next_ns);
}

/* The extent at index i: read, and written back unchanged (see above). */
static int extent_at(struct vcpu *v, const struct pv_memory_reservation *r, uint32_t i, uint32_t *value)
{
    uint32_t at = r->extent_start + i * 4u;
    if (copy_from_guest(v, value, at, 4) || copy_to_guest(v, at, value, 4))
        return -PV_EFAULT;
    return 0;
}

/* LAB 5 BEGIN: one frame given back, one frame taken */
/* One frame the guest gives back (see above). */
static int decrease_one(struct vcpu *v, uint32_t mfn)
{
    struct pv_domain *pv = pv_of(v);
    struct dp_vm *dp = &v->guest->dp;
    if (mfn >= pv->m2p_entries)
        return -PV_EINVAL;
    int r = dp_release(dp, mfn);
    if (r)
        return r;
    pv->m2p[mfn] = PV_INVALID_PFN;
    pv->nr_pages--;
    pmm_free_page(&hv_pmm, (uint64_t)mfn * PV_PAGE_SIZE);
    return 0;
}

/* A frame for pfn: its MFN, or an error (the VM at max_pages, none free). */
static int populate_one(struct vcpu *v, uint32_t pfn, uint32_t *mfn)
{
    struct pv_domain *pv = pv_of(v);
    struct dp_vm *dp = &v->guest->dp;
    if (pfn >= pv->max_pages)
        return -PV_EINVAL;
    if (pv->nr_pages >= pv->max_pages || pmm_free_count(&hv_pmm) <= HV_RESERVE_PAGES)
        return -PV_ENOMEM;
    uint64_t pa = pmm_alloc_page(&hv_pmm);
    if (!pa)
        return -PV_ENOMEM;
    if (pa / PV_PAGE_SIZE >= pv->m2p_entries || dp_claim(dp, (uint32_t)(pa / PV_PAGE_SIZE))) {
        pmm_free_page(&hv_pmm, pa);   /* beyond the frame table (or not free in it): not a guest's */
        return -PV_ENOMEM;
    }
    scrub(pa, PV_PAGE_SIZE);
    *mfn = (uint32_t)(pa / PV_PAGE_SIZE);
    pv->m2p[*mfn] = pfn;
    pv->nr_pages++;
    return 0;
}
/* LAB 5 END */

static uint32_t distance(uint32_t a, uint32_t b)
{
    return a > b ? a - b : b - a;
}

/* The log's rule (see the top): after a call that moved done pages, from
 * `before` pages held, and ended with err. */
static void report_reservation(const struct vcpu *v, uint32_t before, uint32_t done, int err)
{
    const struct pv_domain *pv = pv_of(v);
    bool reached = pv->nr_pages == pv->balloon_target;
    bool away = distance(pv->nr_pages, pv->balloon_target) > distance(before, pv->balloon_target);
    if (done && (reached || away || err == -PV_ENOMEM))
        print_reservation(v);
}

/* args[0]: the command, and the extent to start at above its low bits (a
 * continuation's: lib/pv_abi.h section 8). */
static int32_t change_reservation(struct vcpu *v, const uint32_t *args)
{
    uint32_t cmd = args[0] & PV_MEMOP_CMD_MASK, arg = args[1];
    struct pv_memory_reservation r;
    if (copy_from_guest(v, &r, arg, sizeof(r)))
        return -PV_EFAULT;
    if (r.domid != PV_DOMID_SELF)
        return -PV_ESRCH;
    uint32_t start = args[0] >> PV_MEMOP_EXTENT_SHIFT;
    if (r.extent_order != 0 || start > r.nr_extents || r.nr_extents > UINT32_MAX >> PV_MEMOP_EXTENT_SHIFT)
        return -PV_EINVAL;          /* the last: a count whose continuation could not say where it was */
    uint32_t done = start, before = pv_of(v)->nr_pages;
    int err = 0;
    for (; done < r.nr_extents; done++) {
        if (!pv_work(v)) {          /* the rest in the same VMCALL's next part */
            uint32_t next[PV_CONTINUE_ARGS] = { cmd | done << PV_MEMOP_EXTENT_SHIFT, arg, args[2], args[3],
                                                 args[4] };
            pv_continue(v, next);
            break;
        }
        uint32_t value, mfn;
        err = extent_at(v, &r, done, &value);
        if (!err && cmd == PV_XENMEM_decrease_reservation)
            err = decrease_one(v, value);
        else if (!err) {
            err = populate_one(v, value, &mfn);
            if (!err)
                copy_to_guest(v, r.extent_start + done * 4u, &mfn, 4);   /* writable: see extent_at */
        }
        if (err)
            break;
    }
    report_reservation(v, before, done - start, err);
    return done ? (int32_t)done : err;
}

/* current_reservation and maximum_reservation: arg points to a domid. */
static int32_t reservation_of(struct vcpu *v, uint32_t arg, uint32_t pages)
{
    uint32_t domid;
    if (copy_from_guest(v, &domid, arg, sizeof(domid)))
        return -PV_EFAULT;
    return domid == PV_DOMID_SELF ? (int32_t)pages : -PV_ESRCH;
}

int32_t pv_memory_op(struct vcpu *v, const uint32_t *args)
{
    struct pv_domain *pv = pv_of(v);
    switch (args[0] & PV_MEMOP_CMD_MASK) {
    case PV_XENMEM_decrease_reservation:
    case PV_XENMEM_populate_physmap:
        return change_reservation(v, args);
    case PV_XENMEM_current_reservation:
        return reservation_of(v, args[1], pv->nr_pages);
    case PV_XENMEM_maximum_reservation:
        return reservation_of(v, args[1], pv->max_pages);
    default:
        return -PV_ENOSYS;
    }
}
