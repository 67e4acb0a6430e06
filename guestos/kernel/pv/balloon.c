/*
 * balloon.c: the PV kernel's balloon driver (lib/pv_abi.h section 8). The
 * hypervisor sets shared_info.balloon_target (pages it asks the VM to
 * hold) and sends VIRQ_BALLOON; the kernel process "balloon" then gives
 * pages back or takes them again, and prints
 *     guestos: balloon: N pages (target T)
 * when the VM's page count changed.
 *
 * Giving a page back: take it from the allocator (which shrinks by one),
 * unmap it from the kernel's direct map (a frame leaves the VM only with
 * no reference), decrease_reservation with its MFN, and mark its P2M entry
 * invalid. Taking one again: populate_physmap for a pfn given back before,
 * or, when none is left, for the next pfn past all the VM ever held, up to
 * start_info.max_pages (maxmem=: the builder sized the P2M list and the
 * direct map's L1s for it, as Xen's Linux sizes its P2M for max_pages);
 * the hypervisor returns the new MFN; the P2M entry, the direct map, and
 * free it into the allocator. The work runs in a kernel process, not in
 * the event handler: the MMU batch it uses is process context's; it
 * yields after each memory_op, so that a large target does not hold the
 * CPU from the processes (the kernel preempts no kernel process).
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/printf.h"

#define CHUNK 128                   /* pages per memory_op */

#define MAX_GIVEN 32768             /* at most 128 MiB given back */
#define RETRY_MS 100                /* a target not met for want of frames: tried again */

static uint32_t given[MAX_GIVEN];     /* the pfns given back, a stack */
static uint32_t ngiven;
static uint32_t top;                  /* the pfns below it were the VM's once (its start: nr_pages) */
static uint32_t max;                  /* max_pages, or what the kernel can map (PHYS_LIMIT) if fewer */
static int target_changed;
static uint32_t extents[CHUNK], pfns[CHUNK];    /* one memory_op's (one balloon process) */

static void balloon_event(void)
{
    target_changed = 1;
    wake_up(&target_changed);
}

static int32_t reservation(uint32_t cmd, uint32_t *extents, uint32_t n)
{
    struct pv_memory_reservation r = {(uint32_t)extents, n, 0, PV_DOMID_SELF};
    return hypercall2(PV_memory_op, cmd, &r);
}

/* Up to n pages out of the allocator and the VM; returns how many went. */
static uint32_t give_back(uint32_t n)
{
    uint32_t *mfns = extents, got = 0;
    mmu_batch_begin();
    while (got < n && got < CHUNK && ngiven + got < MAX_GIVEN) {
        char *page = kalloc();
        if (!page)
            break;
        pfns[got] = V2P(page) / PGSIZE;
        mfns[got++] = pv_p2m[V2P(page) / PGSIZE];
        set_pte(direct_map_pte(page), 0);
    }
    mmu_batch_end();
    int32_t gone = got ? reservation(PV_XENMEM_decrease_reservation, mfns, got) : 0;
    if (gone < 0)
        panic("pv: memory_op decrease_reservation of %u pages (first mfn 0x%x) failed: %d", got, mfns[0], gone);
    for (uint32_t i = 0; i < got; i++) {
        if (i < (uint32_t)gone) {
            pv_p2m[pfns[i]] = PV_INVALID_MFN;
            given[ngiven++] = pfns[i];
        } else {        /* kept: map it again and free it */
            set_pte(direct_map_pte(P2V(pfns[i] * PGSIZE)), pte_make(pfns[i] * PGSIZE, PTE_P | PTE_W));
            kfree(P2V(pfns[i] * PGSIZE));
        }
    }
    return (uint32_t)gone;
}

/* Up to n pages into the VM and the allocator: those given back first,
 * then new ones up to max_pages. The hypervisor may have fewer to give
 * (-PV_ENOMEM when none): the balloon then holds what it got. */
static uint32_t take_back(uint32_t n)
{
    uint32_t want = 0;
    while (want < n && want < CHUNK && (want < ngiven || top + (want - ngiven) < max)) {
        pfns[want] = want < ngiven ? given[ngiven - 1 - want] : top + (want - ngiven);
        extents[want] = pfns[want];
        want++;
    }
    int32_t got = want ? reservation(PV_XENMEM_populate_physmap, extents, want) : 0;
    if (got == -PV_ENOMEM)
        return 0;
    if (got < 0)
        panic("pv: memory_op populate_physmap of %u pages (first pfn 0x%x) failed: %d", want, pfns[0], got);
    uint32_t old = (uint32_t)got < ngiven ? (uint32_t)got : ngiven;
    ngiven -= old;
    top += (uint32_t)got - old;
    uint32_t global = (read_cr4() & CR4_PGE) ? PTE_G : 0;
    mmu_batch_begin();
    for (int32_t i = 0; i < got; i++) {
        pv_p2m[pfns[i]] = extents[i];
        set_pte(direct_map_pte(P2V(pfns[i] * PGSIZE)), pte_make(pfns[i] * PGSIZE, PTE_P | PTE_W | global));
    }
    mmu_batch_end();
    for (int32_t i = 0; i < got; i++)
        kfree_range(pfns[i] * PGSIZE, (pfns[i] + 1) * PGSIZE);
    return (uint32_t)got;
}

static uint32_t held(void) { return top - ngiven; }

/* Asleep until the target changes, or until retry_at (ticks; 0: none). */
static void wait_for_work(uint32_t retry_at)
{
    uint32_t flags = irq_save();
    while (!target_changed && !(retry_at && (int32_t)(ticks_now() - retry_at) >= 0))
        sleep_on(retry_at ? tick_channel() : (const void *)&target_changed);
    target_changed = 0;
    irq_restore(flags);
}

/* Follow the target, read again at each step (it may change meanwhile),
 * until it is met or nothing more can move; then, short of it (the
 * hypervisor had no frame to give: another VM's balloon may give some
 * back later), try again every RETRY_MS, as Xen's Linux driver does. */
static void balloon_process(void)
{
    uint32_t retry_at = 0;
    for (;;) {
        wait_for_work(retry_at);
        unmask_events();        /* a kernel process starts masked: let ticks come meanwhile */
        uint32_t moved = 0, target;
        retry_at = 0;
        while ((target = pv_shared->balloon_target) != 0 && held() != target) {
            uint32_t n = held() > target ? give_back(held() - target) : take_back(target - held());
            if (!n) {
                retry_at = ticks_now() + RETRY_MS / MS_PER_TICK;
                break;
            }
            moved += n;
            yield_cpu();        /* a chunk at a time: the kernel preempts no kernel process */
        }
        if (moved)
            printf("guestos: balloon: %u pages (target %u)\n", held(), target);
    }
}

/* A target set before the VIRQ was bound came with no event: look once. */
void init_balloon(void)
{
    top = pv_start_info->nr_pages;
    max = pv_start_info->max_pages < PHYS_LIMIT / PGSIZE ? pv_start_info->max_pages : PHYS_LIMIT / PGSIZE;
    bind_virq(PV_VIRQ_BALLOON, balloon_event);
    target_changed = pv_shared->balloon_target != 0;
    spawn_kernel_process("balloon", balloon_process);
}
