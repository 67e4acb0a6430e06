/*
 * overcommit.c: the hypervisor's paging of a VM's memory to its own
 * backing store (64-bit, VMX root operation; overcommit.h).
 */
#include "guest/overcommit.h"
#include "cpu/panic.h"
#include "mem/memory.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

#define PAGE 4096ull
#define POISON 0xA5     /* what a page's frame holds while the page is out */
#define STORE_SPARE 256 /* pages the store leaves to the hypervisor (its heap, other VMs' tables) */

struct overcommit *overcommit_create(struct ept *ept, uint64_t ram_hpa, uint32_t pages, uint32_t limit,
                                     uint64_t latency, uint64_t ept_vpid_cap)
{
    /* What can be out at once: after a trim, pages - limit, and the pages
     * coming in, which count as resident but keep their slots until they
     * are in (at most PAGEINS_MAX: the trim then evicts that many more). */
    uint32_t slots = pages - limit + PAGEINS_MAX < pages ? pages - limit + PAGEINS_MAX : pages;
    if (pmm_free_count(&hv_pmm) < slots + STORE_SPARE)
        panic("resident=%u: the store needs %u pages for the %u the VM may have out and up to %u coming in, and "
              "%lu are free (%u kept for the hypervisor): a larger resident=, a smaller guestmem=, or more memory "
              "for the machine", limit, slots, pages - limit, PAGEINS_MAX, pmm_free_count(&hv_pmm), STORE_SPARE);
    struct overcommit *oc = kmalloc(sizeof *oc);
    memset(oc, 0, sizeof *oc);
    rs_init(&oc->rs, kmalloc(pages), pages, limit);
    pageins_init(&oc->pageins);
    oc->ept = ept;
    oc->ram_hpa = ram_hpa;
    oc->latency = latency;
    oc->slot_of = kmalloc(pages * sizeof(uint32_t));
    memset(oc->slot_of, 0, pages * sizeof(uint32_t));
    oc->store = kmalloc(slots * sizeof(uint64_t));
    oc->free_slots = kmalloc(slots * sizeof(uint32_t));
    for (uint32_t s = 0; s < slots; s++) {
        oc->store[s] = alloc_page();
        oc->free_slots[s] = slots - 1 - s;
    }
    oc->free_count = slots;
    /* Accessed flags where the CPU keeps them (SDM 29.3.5); else the clock
     * has only its own marks, and is FIFO with a second chance for a page
     * just brought in. */
    ept->accessed_flags = (ept_vpid_cap & EPT_VPID_CAP_AD) != 0;
    oc->eptp = ept_pointer(ept);
    return oc;
}

bool overcommit_is_out(const struct overcommit *oc, uint32_t p)
{
    return p < oc->rs.pages && rs_state(&oc->rs, p) != RS_RESIDENT;
}

static uint8_t *frame(const struct overcommit *oc, uint32_t p)
{
    return (uint8_t *)(oc->ram_hpa + (uint64_t)p * PAGE);
}

/* Page p's EPT leaf entry. The RAM the VM was built with is mapped page by
 * page at its start (guest_create: ept_map_page for every page), and
 * nothing unmaps it, so p < rs.pages always has one: a NULL here is the
 * hypervisor's own bug, stopped before a write through it. */
static uint64_t *leaf(const struct overcommit *oc, uint32_t p)
{
    uint64_t *e = ept_leaf_entry(oc->ept, (uint64_t)p * PAGE);
    if (!e)
        panic("overcommit: page %u of the VM's RAM has no EPT entry: its RAM was not mapped whole", p);
    return e;
}

static bool all_zeros(const uint8_t *page)
{
    const uint64_t *w = (const uint64_t *)page;
    for (unsigned i = 0; i < PAGE / 8; i++)
        if (w[i])
            return false;
    return true;
}

/* Page p out: into the store (or marked, if all zeros), its EPT entry not
 * present, its frame poisoned. The caller flushes (INVEPT). */
static void page_out(struct overcommit *oc, uint32_t p)
{
    uint8_t *f = frame(oc, p);
    if (all_zeros(f)) {
        oc->stats.zero_outs++;
    } else {
        if (!oc->free_count)                /* overcommit_create's count forbids it */
            panic("overcommit: the store is full paging out page %u: a bug in its size", p);
        uint32_t s = oc->free_slots[--oc->free_count];
        memcpy((void *)oc->store[s], f, PAGE);
        oc->slot_of[p] = s + 1;
    }
    *leaf(oc, p) = 0;
    memset(f, POISON, PAGE);
    rs_set_out(&oc->rs, p);
    oc->stats.outs++;
}

void overcommit_page_in(struct overcommit *oc, uint32_t p)
{
    if (p >= oc->rs.pages || rs_state(&oc->rs, p) == RS_RESIDENT)
        return;
    uint8_t *f = frame(oc, p);
    uint32_t s = oc->slot_of[p];
    if (s) {
        memcpy(f, (const void *)oc->store[s - 1], PAGE);
        oc->free_slots[oc->free_count++] = s - 1;
        oc->slot_of[p] = 0;
    } else {
        memset(f, 0, PAGE);
    }
    /* A not-present entry made present needs no INVEPT: no translation
     * was cached from it (SDM 29.4.3.1). */
    *leaf(oc, p) = (uint64_t)f | EPT_MEMTYPE_WB | EPT_RWX;
    rs_set_resident(&oc->rs, p);
    oc->stats.ins++;
}

uint64_t overcommit_wait_for(struct overcommit *oc, uint32_t p)
{
    uint64_t start = rdtsc();
    int i = pageins_find_under_way(&oc->pageins, p);
    uint64_t done = i >= 0 ? oc->pageins.slot[i].done_tsc : start + oc->latency;
    while (rdtsc() < done)
        cpu_relax();
    overcommit_page_in(oc, p);
    if (i >= 0)
        pageins_complete(&oc->pageins, i);      /* its "page ready" is still told */
    uint64_t waited = rdtsc() - start;
    oc->stats.stalls++;
    oc->stats.stall_cycles += waited;
    return waited;
}

uint64_t overcommit_start_wait(struct overcommit *oc, uint32_t p, bool counted)
{
    uint64_t now = rdtsc();
    int i = pageins_find_under_way(&oc->pageins, p);
    if (i < 0) {
        i = pageins_start(&oc->pageins, p, now + oc->latency, false);
        if (i < 0)
            return 0;
        rs_set_incoming(&oc->rs, p);
    }
    uint64_t done = oc->pageins.slot[i].done_tsc;
    if (counted) {
        oc->stats.stalls++;
        oc->stats.stall_cycles += done > now ? done - now : 0;
    }
    return done;
}

void overcommit_touch(struct overcommit *oc, uint64_t gpa, uint64_t len)
{
    if (!len)
        return;
    for (uint64_t p = gpa / PAGE; p <= (gpa + len - 1) / PAGE && p < oc->rs.pages; p++)
        if (rs_state(&oc->rs, (uint32_t)p) != RS_RESIDENT) {   /* out, or coming in: in now */
            overcommit_page_in(oc, (uint32_t)p);
            oc->stats.hv_ins++;
        }
}

static bool accessed(void *ctx, uint32_t p)
{
    struct overcommit *oc = ctx;
    if (!oc->ept->accessed_flags)
        return false;
    uint64_t *e = leaf(oc, p);
    bool a = (*e & EPT_ACCESSED) != 0;
    *e &= ~EPT_ACCESSED;
    return a;
}

/* The first trim: the pages the guest never wrote (all zeros, most of a
 * VM that just booted), highest first, cost no store and no stall later
 * but a page of zeros; then the clock. */
static void first_trim(struct overcommit *oc)
{
    oc->trimmed = true;
    for (uint32_t p = oc->rs.pages; p-- > 0 && rs_over(&oc->rs); )
        if (rs_state(&oc->rs, p) == RS_RESIDENT && !(oc->rs.page[p] & RS_PINNED) && all_zeros(frame(oc, p)))
            page_out(oc, p);
}

void overcommit_trim(struct overcommit *oc)
{
    if (!rs_over(&oc->rs))
        return;
    if (!oc->trimmed)
        first_trim(oc);
    while (rs_over(&oc->rs)) {
        int64_t victim = rs_pick_victim(&oc->rs, accessed, oc);
        if (victim < 0)
            break;
        page_out(oc, (uint32_t)victim);
    }
    /* The entries made not present, and the accessed flags cleared, must
     * leave the TLBs and paging-structure caches (SDM 29.4.3.1, 29.3.5:
     * a cached translation sets no accessed flag again). */
    invept_single(oc->eptp);
}

void overcommit_print_stats(const struct overcommit *oc, const char *tag)
{
    const struct overcommit_stats *s = &oc->stats;
    printf("hv: %spaging: %u of %u pages resident at most, %s; %lu page-outs (%lu of zeros), "
           "%lu page-ins (%lu for the hypervisor's own accesses); %lu faults on pages out, "
           "%lu stalls (%lu cycles)\n", tag, oc->rs.limit, oc->rs.pages,
           oc->ept->accessed_flags ? "clock on EPT accessed flags" : "clock without accessed flags",
           s->outs, s->zero_outs, s->ins, s->hv_ins, s->faults, s->stalls, s->stall_cycles);
}
