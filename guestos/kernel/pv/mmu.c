/*
 * mmu.c: plat.h's MMU operations for the PV kernel: direct paging (lib/
 * pv_abi.h section 5). The CPU walks the kernel's own tables, which hold
 * machine addresses; the kernel may read them (they are mapped read-only)
 * but every write is a request the hypervisor validates: mmu_update for an
 * entry, mmuext_op to pin, unpin, load CR3 or flush (a CR3 load alone is a
 * MOV, which exits and is done as the same request: load_now).
 *
 * Requests queue here in order; runs of one kind become one call each,
 * and a batch (mmu_batch_begin .. end) goes to the hypervisor as ONE
 * multicall: fork's copy of an address space, exit's teardown, a page
 * fault's table and entry are each one VM exit (Xen's Linux does the same
 * with its lazy MMU mode). Outside a batch, or with pvbatch=0 (for the
 * benchmark that measures what batching saves), each request goes at once.
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/string.h"

#define QUEUE 256                   /* requests of each kind per flush */

int pv_batching = 1;

static struct pv_mmu_update updates[QUEUE];
static struct pv_mmuext_op extops[QUEUE];
static struct pv_multicall_entry calls[QUEUE];     /* the runs, in order */
static uint32_t nupdates, nextops, ncalls, depth;

void pv_read_options(void)
{
    const char *batch = boot_option("pvbatch");
    pv_batching = !(batch && batch[0] == '0');
}

/* A refused request (the kernel's own bug: it asks only for what the rules
 * allow) stops it. The calls go without a done pointer (Linux's Xen MMU
 * passes NULL too): it would cost the hypervisor a write per call, and is
 * needed only for this message, which names the run instead. */
static _Noreturn void refused(const struct pv_multicall_entry *c)
{
    uint32_t count = c->args[1];
    if (c->op == PV_mmu_update) {
        const struct pv_mmu_update *u = (const struct pv_mmu_update *)c->args[0];
        panic("pv: mmu_update of %u requests refused (the first: ptr=0x%08x val=0x%08x): error %d", count,
              u->ptr, u->val, c->result);
    }
    const struct pv_mmuext_op *o = (const struct pv_mmuext_op *)c->args[0];
    panic("pv: mmuext_op of %u requests refused (the first: cmd %u arg1=0x%08x): error %d", count, o->cmd,
          o->arg1, c->result);
}

static uint32_t *loaded_pgdir;      /* what the last NEW_BASEPTR loaded */

/* A run of one entry's update then an INVLPG of the page it maps in the
 * loaded tables (a copy-on-write fault's): one update_va_mapping with
 * UVMF_INVLPG instead of a multicall of two (Xen's Linux's
 * ptep_set_access_flags), when the entry is the one that call finds. */
static int one_page_update(void)
{
    const struct pv_multicall_entry *u = &calls[0], *f = &calls[1];
    if (ncalls != 2 || u->op != PV_mmu_update || u->args[1] != 1 || f->op != PV_mmuext_op ||
        f->args[1] != 1 || extops[0].cmd != PV_MMUEXT_INVLPG_LOCAL || !loaded_pgdir)
        return 0;
    uint32_t va = extops[0].arg1, pde = loaded_pgdir[PDX(va)];
    if (!(pde & PTE_P) ||
        updates[0].ptr != (PTE_ADDR(pde) | PTX(va) * 4 | PV_MMU_NORMAL_PT_UPDATE))
        return 0;
    calls[0].result = calls[1].result = hypercall3(PV_update_va_mapping, va, updates[0].val, PV_UVMF_INVLPG);
    return 1;
}

static void flush(void)
{
    if (one_page_update()) {
    } else if (ncalls == 1) {
        const uint32_t *a = calls[0].args;
        calls[0].result = hypercall4(calls[0].op, a[0], a[1], a[2], a[3]);
    } else if (ncalls > 1) {
        int32_t r = hypercall2(PV_multicall, calls, ncalls);
        if (r < 0)
            panic("pv: multicall of %u calls failed: %d", ncalls, r);
    }
    for (uint32_t i = 0; i < ncalls; i++)
        if (calls[i].result < 0)
            refused(&calls[i]);
    nupdates = nextops = ncalls = 0;
}

/* The run that request `first` of call `op` joins: the last one if it is
 * of the same call, else a new one. */
static struct pv_multicall_entry *run_for(uint32_t op, const void *first)
{
    if (ncalls && calls[ncalls - 1].op == op)
        return &calls[ncalls - 1];
    struct pv_multicall_entry *c = &calls[ncalls];
    *c = (struct pv_multicall_entry){
        .op = op, .args = {(uint32_t)first, 0, 0 /* no done pointer */, PV_DOMID_SELF}};
    ncalls++;
    return c;
}

static void queue_update(uint32_t *entry, uint32_t val)
{
    if (nupdates == QUEUE || ncalls == QUEUE)
        flush();
    run_for(PV_mmu_update, &updates[nupdates])->args[1]++;
    updates[nupdates++] = (struct pv_mmu_update){pv_machine_addr(entry) | PV_MMU_NORMAL_PT_UPDATE, val};
    if (!depth || !pv_batching)
        flush();
}

static void queue_extop(uint32_t cmd, uint32_t arg1)
{
    if (nextops == QUEUE || ncalls == QUEUE)
        flush();
    run_for(PV_mmuext_op, &extops[nextops])->args[1]++;
    extops[nextops++] = (struct pv_mmuext_op){.cmd = cmd, .arg1 = arg1};
    if (!depth || !pv_batching)
        flush();
}

/* The queue goes now, inside a batch too (its order is kept): for a page
 * that must be an ordinary page again before the batch ends. */
void mmu_send_queue(void) { flush(); }

void mmu_batch_begin(void) { depth++; }

void mmu_batch_end(void)
{
    if (--depth == 0)
        flush();
}

void set_pte(uint32_t *pte, uint32_t e) { queue_update(pte, e); }

static uint32_t mfn_of(const void *va) { return pv_p2m[V2P(va) >> 12]; }

/* The entry of the kernel's direct map (the builder's tables) for va. */
uint32_t *direct_map_pte(const void *va)
{
    uint32_t pde = boot_page_directory()[PDX(va)];
    return (uint32_t *)P2V(pte_pa(pde)) + PTX(va);
}

/* Natively nothing. A table may not be mapped writable anywhere, the
 * kernel's direct map included: read-only first, then pinned (validated,
 * and kept a table while unused). */
void pin_page_table(void *page, int level)
{
    uint32_t *dm = direct_map_pte(page);
    mmu_batch_begin();
    queue_update(dm, *dm & ~PTE_W);
    queue_extop(level == PT_L1 ? PV_MMUEXT_PIN_L1_TABLE : PV_MMUEXT_PIN_L2_TABLE, mfn_of(page));
    mmu_batch_end();
}

/* The reverse: unpinned (released once nothing refers to it), writable
 * again, and its read-only translation flushed (an added right needs it). */
void unpin_page_table(void *page)
{
    uint32_t *dm = direct_map_pte(page);
    mmu_batch_begin();
    queue_extop(PV_MMUEXT_UNPIN_TABLE, mfn_of(page));
    queue_update(dm, *dm | PTE_W);
    queue_extop(PV_MMUEXT_INVLPG_LOCAL, (uint32_t)page);
    mmu_batch_end();
}

/* With nothing queued before it and nothing to join (a context switch's
 * load), a MOV to CR3: it exits (CR3-load exiting, SDM 25.6.2, 26.1.3) and
 * the hypervisor does it as NEW_BASEPTR, refused as #GP(0) (pv_abi.h
 * section 5, hv/pv/pv_cr.c), with no list to read through the guest's
 * tables: 740 cycles less a switch under Bochs than the mmuext_op. Behind
 * queued requests it is one of them, in order. */
static void load_now(uint32_t *pgdir)
{
    if (!ncalls && (!depth || !pv_batching))
        __asm__ volatile("mov %0, %%cr3" : : "r"(mfn_of(pgdir) << 12) : "memory");
    else
        queue_extop(PV_MMUEXT_NEW_BASEPTR, mfn_of(pgdir));
    loaded_pgdir = pgdir;
}

/* No call for a directory loaded already (the hypervisor flushed whatever
 * its entries lost, pv_abi.h section 5), nor for the kernel's own, which
 * only a process that exits asks for: every directory holds the kernel's
 * half, so the CPU stays on the one it has until the next process's is
 * loaded, or until that one is reused or given back (pgdir_leaving). */
void load_pgdir(uint32_t *pgdir)
{
    if (pgdir != loaded_pgdir && !(pgdir == boot_page_directory() && loaded_pgdir))
        load_now(pgdir);
}

void pgdir_leaving(void *page)
{
    if (page == loaded_pgdir)
        load_now(boot_page_directory());
}
void tlb_flush_page(uint32_t va) { queue_extop(PV_MMUEXT_INVLPG_LOCAL, va); }
void tlb_flush_all(void) { queue_extop(PV_MMUEXT_TLB_FLUSH_LOCAL, 0); }

/* Nothing: the hypervisor flushed when the call that took the rights went
 * (pv_abi.h section 5). */
void tlb_flush_taken(void) {}
