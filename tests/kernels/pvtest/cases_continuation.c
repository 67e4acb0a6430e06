/*
 * cases_continuation.c: hypercalls in parts (lib/pv_abi.h section 5's
 * continuations, hv/pv/continuation.c). A list longer than one exit's
 * share (PV_WORK_PER_EXIT) is done in parts, the guest running between
 * them: each case times its call once, then makes it again with a timer
 * due halfway through, and records in the timer's upcall how far the list
 * had got. Without continuations the upcall comes only after the whole
 * list (the hypervisor busy all the while, whatever else is due), and the
 * cases say so.
 */
#include "continued.h"
#include "events.h"
#include "pvtest.h"

#define LIST 2048                   /* 8 exits' shares */
#define SENTINEL 0x7EEEEEEE         /* a result no call gives */
#define UNSEEN 0xFFFFFFFFu

static struct pv_multicall_entry calls[LIST];
static struct pv_mmu_update updates[LIST];
static volatile uint32_t progress_at_upcall = UNSEEN;
static volatile uint32_t batch_done;          /* mmu_update's *done */

int32_t with_events(int32_t (*call)(void))
{
    __asm__ volatile("sti" ::: "memory");
    int32_t r = call();
    __asm__ volatile("cli" ::: "memory");
    return r;
}

void arm_timer_halfway(int32_t (*call)(void), void (*hook)(void))
{
    uint64_t start = pv_now();
    call();
    uint64_t took = pv_now() - start;
    uint32_t port;
    if (events_install() || evtchn_bind_virq(PV_VIRQ_TIMER, &port) ||
        evtchn_port_op(PV_EVTCHNOP_unmask, port))
        result("FAILED event set-up");
    shared_info()->vcpu_info[0].evtchn_upcall_mask = 0;
    upcall_hook = hook;
    set_timer(pv_now() + took / 2);
}

static uint32_t results_written(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < LIST; i++)
        n += calls[i].result != SENTINEL;
    return n;
}

static void note_multicall(void)
{
    if (progress_at_upcall == UNSEEN)
        progress_at_upcall = results_written();
}

static void note_batch(void)
{
    if (progress_at_upcall == UNSEEN)
        progress_at_upcall = batch_done;
}

static void fill_calls(void)
{
    for (uint32_t i = 0; i < LIST; i++)
        calls[i] = (struct pv_multicall_entry){ PV_xen_version, SENTINEL, { PV_XENVER_version } };
}

static int32_t multicall_list(void)
{
    return vmcall3(PV_multicall, (uint32_t)calls, LIST, 0);
}

PV_CASE(multicall_long, "multicall-long",
        "a multicall of 2048 entries goes on in parts: every result right, the timer's upcall between two parts")
{
    fill_calls();
    arm_timer_halfway(multicall_list, note_multicall);
    fill_calls();
    int32_t r = with_events(multicall_list);
    uint32_t right = 0;
    for (uint32_t i = 0; i < LIST; i++)
        right += calls[i].result == (int32_t)PV_VERSION;
    result("multicall-long: %d, %u of %u right, upcall after %u", r, right, LIST, progress_at_upcall);
}

/* LIST M2P updates that change nothing (each frame's own pfn back), on one
 * frame of the kernel's: a batch of harmless requests as long as we like. */
static void fill_updates(void)
{
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    uint32_t mfn = virt_to_mfn(updates);
    for (uint32_t i = 0; i < LIST; i++)
        updates[i] = (struct pv_mmu_update){ mfn << 12 | PV_MMU_MACHPHYS_UPDATE, m2p[mfn] };
}

static int32_t update_batch(void)
{
    return vmcall5(PV_mmu_update, (uint32_t)updates, LIST, (uint32_t)&batch_done, PV_DOMID_SELF, 0);
}

PV_CASE(mmu_update_long, "mmu-update-long",
        "mmu_update of 2048 requests goes on in parts: *done counts all of them, the upcall between two parts")
{
    fill_updates();
    arm_timer_halfway(update_batch, note_batch);
    batch_done = 0;
    int32_t r = with_events(update_batch);
    result("mmu-update-long: %d, done %u of %u, upcall after %u", r, batch_done, LIST, progress_at_upcall);
}

static int32_t batch_in_multicall(void)
{
    calls[0] = (struct pv_multicall_entry){ PV_mmu_update, SENTINEL,
                                            { (uint32_t)updates, LIST, (uint32_t)&batch_done, PV_DOMID_SELF } };
    calls[1] = (struct pv_multicall_entry){ PV_xen_version, SENTINEL, { PV_XENVER_version } };
    return vmcall3(PV_multicall, (uint32_t)calls, 2, 0);
}

PV_CASE(multicall_batch_long, "multicall-batch-long",
        "a multicall whose first entry is a 2048-request mmu_update: the entry goes on in parts, then the next")
{
    fill_updates();
    arm_timer_halfway(batch_in_multicall, note_batch);
    batch_done = 0;
    int32_t r = with_events(batch_in_multicall);
    result("multicall-batch-long: %d, results %d 0x%x, done %u of %u, upcall after %u", r, calls[0].result,
           (uint32_t)calls[1].result, batch_done, LIST, progress_at_upcall);
}

/* memory_op's decrease and populate (lib/pv_abi.h section 8): LIST pfns
 * past the VM's start populated (maxmem=, pv_cases.py), then given back. */
static uint32_t extents[LIST];
static volatile int32_t populated, given_back;

static int32_t memory_op(uint32_t cmd)
{
    struct pv_memory_reservation r = { (uint32_t)extents, LIST, 0, PV_DOMID_SELF };
    return vmcall3(PV_memory_op, cmd, (uint32_t)&r, 0);
}

static int32_t populate_then_give_back(void)
{
    for (uint32_t i = 0; i < LIST; i++)
        extents[i] = start_info->nr_pages + i;
    populated = memory_op(PV_XENMEM_populate_physmap);
    given_back = memory_op(PV_XENMEM_decrease_reservation);
    return 0;
}

/* How far the populate had got: the pages the VM held past its start. */
static void note_reservation(void)
{
    uint32_t domid = PV_DOMID_SELF;
    if (progress_at_upcall == UNSEEN)
        progress_at_upcall = (uint32_t)vmcall3(PV_memory_op, PV_XENMEM_current_reservation, (uint32_t)&domid, 0) -
                             start_info->nr_pages;
}

PV_CASE(memory_op_long, "memory-op-long",
        "populate_physmap of 2048 extents goes on in parts (a scrub each): the upcall between two parts")
{
    arm_timer_halfway(populate_then_give_back, note_reservation);
    int32_t r = with_events(populate_then_give_back);
    result("memory-op-long: %d, populated %d, given back %d, upcall after %u", r, populated, given_back,
           progress_at_upcall);
}
