/*
 * cases_mmu.c: the PV MMU (lib/pv_abi.h section 5; hv/pv/pv_mmu_calls.c
 * over hv/guest/direct_paging.c): mmu_update, mmuext_op and
 * update_va_mapping, friendly and hostile. The hostile cases are Xen's
 * security history: a writable mapping of a page table by a second path, a
 * directory used as a page table (XSA-240), a writable superpage over a
 * page table (XSA-148), RW slipped in by the fast path (XSA-182), frames
 * not the VM's, the hypervisor's slots, a batch with a bad request in it.
 * Each prints the hypervisor's answers; tests/integration/pv_cases.py
 * holds what they must be.
 *
 * The new tables are pages of this kernel's own .bss (in its direct map,
 * writable until made read-only here), entered in directory slot 16
 * (0x04000000, below the direct map, which the builder left empty).
 */
#include "cpu.h"
#include "pvtest.h"
#include "string.h"

#define P   0x001u
#define RW  0x002u
#define A   0x020u
#define PS  0x080u
#define G   0x100u
#define SLOT 16u
#define SLOT_VA(slot) ((slot) << 22)

static uint32_t spare[4][1024] __attribute__((aligned(4096)));

static uint32_t mfn(const void *p)
{
    return virt_to_mfn(p);
}

static const uint32_t *directory(void)
{
    return (const uint32_t *)start_info->pt_base;
}

static uint32_t directory_mfn(void)
{
    return mfn(directory());
}

/* The machine address of entry slot of table frame m: mmu_update's ptr. */
static uint32_t entry_ma(uint32_t m, unsigned slot)
{
    return m << 12 | slot * 4;
}

static int32_t mmu_update(const struct pv_mmu_update *req, uint32_t n, uint32_t *done)
{
    return vmcall5(PV_mmu_update, (uint32_t)req, n, (uint32_t)done, PV_DOMID_SELF, 0);
}

static int32_t mmu_update1(uint32_t ptr, uint32_t val)
{
    struct pv_mmu_update req = { ptr, val };
    return mmu_update(&req, 1, 0);
}

static int32_t mmuext(uint32_t cmd, uint32_t arg1)
{
    struct pv_mmuext_op op = { cmd, arg1, 0 };
    return vmcall5(PV_mmuext_op, (uint32_t)&op, 1, 0, PV_DOMID_SELF, 0);
}

static int32_t update_va(const void *va, uint32_t pte, uint32_t flags)
{
    return vmcall3(PV_update_va_mapping, (uint32_t)va, pte, flags);
}

/* A page of the kernel's, zeroed, and its direct-map entry made read-only:
 * what a frame needs before it can become a table. */
static int32_t prepare_table(uint32_t *page)
{
    memset(page, 0, 4096);
    return update_va(page, mfn(page) << 12 | P | A, PV_UVMF_INVLPG);
}

/* spare[0] as the L1 of directory slot SLOT. */
static int32_t install_l1(void)
{
    int32_t r = prepare_table(spare[0]);
    return r ? r : mmu_update1(entry_ma(directory_mfn(), SLOT), mfn(spare[0]) << 12 | P | RW);
}

/* ---- friendly ---- */

PV_CASE(mmu_map, "mmu-map", "a new L1 in a free slot, a page mapped through it (a batch of two), pointed "
        "elsewhere and unmapped (the TLB forgets it), the L1 released and writable again")
{
    uint32_t *l1 = spare[0], *data = spare[1];
    int32_t prepared = prepare_table(l1);
    data[0] = 0x5ca1ab1e;
    spare[2][0] = 0xe15e;
    struct pv_mmu_update req[2] = {
        { entry_ma(directory_mfn(), SLOT), mfn(l1) << 12 | P | RW },
        { entry_ma(mfn(l1), 0), mfn(data) << 12 | P | RW },
    };
    uint32_t done = 99;
    int32_t mapped = mmu_update(req, 2, &done);
    volatile uint32_t *va = (volatile uint32_t *)SLOT_VA(SLOT);
    uint32_t seen = mapped ? 0 : va[0];
    if (!mapped)
        va[1] = 0xfeed;
    int32_t redirected = mmu_update1(entry_ma(mfn(l1), 0), mfn(spare[2]) << 12 | P);
    uint32_t seen_there = redirected ? 0 : va[0];
    int32_t unmapped = mmu_update1(entry_ma(mfn(l1), 0), 0);
    recovered_vector = NO_FAULT;
    TRY("movl (%0), %%eax", : : "r"(va) : "eax", "memory");
    uint32_t vector = recovered_vector;
    int32_t released = mmu_update1(entry_ma(directory_mfn(), SLOT), 0);
    int32_t writable = update_va(l1, mfn(l1) << 12 | P | RW | A, PV_UVMF_INVLPG);
    if (!writable)
        l1[0] = 1;
    result("map %d %d done %u read 0x%x wrote 0x%x, redirected %d read 0x%x, unmapped %d then vector %u, "
           "released %d, writable again %d", prepared, mapped, done, seen, data[1], redirected, seen_there,
           unmapped, vector, released, writable);
}

/* ---- hostile ---- */

PV_CASE(mmu_rw_table, "mmu-rw-table", "page tables mapped writable: the directory's own entry, by a "
        "second path, a table mapping itself, RW through the fast path (XSA-182), pinning a writable page")
{
    int32_t installed = install_l1();
    uint32_t l1 = mfn(spare[0]), pd = directory_mfn();
    int32_t own = update_va(directory(), pd << 12 | P | RW | A, PV_UVMF_INVLPG);
    int32_t second = mmu_update1(entry_ma(l1, 1), pd << 12 | P | RW);
    int32_t itself = mmu_update1(entry_ma(l1, 2), l1 << 12 | P | RW);
    int32_t ro = mmu_update1(entry_ma(l1, 3), pd << 12 | P);
    int32_t fast = mmu_update1(entry_ma(l1, 3), pd << 12 | P | RW | A);
    int32_t pin = mmuext(PV_MMUEXT_PIN_L1_TABLE, mfn(spare[1]));
    result("rw-table: install %d, own %d, second path %d, itself %d, read-only %d, fast path %d, "
           "pin writable %d", installed, own, second, itself, ro, fast, pin);
}

PV_CASE(mmu_l2_as_l1, "mmu-l2-as-l1", "a page directory named as a page table (XSA-240): itself, "
        "another one, pinned as an L1")
{
    uint32_t pd = directory_mfn();
    int32_t itself = mmu_update1(entry_ma(pd, SLOT), pd << 12 | P);
    int32_t prepared = prepare_table(spare[2]);
    int32_t pinned = mmuext(PV_MMUEXT_PIN_L2_TABLE, mfn(spare[2]));
    int32_t other = mmu_update1(entry_ma(pd, SLOT), mfn(spare[2]) << 12 | P);
    int32_t as_l1 = mmuext(PV_MMUEXT_PIN_L1_TABLE, pd);
    int32_t unpinned = mmuext(PV_MMUEXT_UNPIN_TABLE, mfn(spare[2]));
    result("l2-as-l1: itself %d, another (%d %d) %d, pinned as L1 %d, unpin %d", itself, prepared, pinned,
           other, as_l1, unpinned);
}

PV_CASE(mmu_superpage, "mmu-superpage", "4 MiB pages: read-only over a page table, writable over it "
        "(XSA-148), reserved bits, past the machine")
{
    /* A 4 MiB-aligned run of 1024 frames inside the VM's RAM (contiguous at
       build time), one of them made an L1. */
    const uint32_t *p2m = (const uint32_t *)start_info->mfn_list;
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    uint32_t first = p2m[0], region = (first + 1023) & ~1023u;
    if (region + 1024 > first + start_info->nr_pages)
        result("FAILED no 4 MiB-aligned run of frames in %u pages from 0x%x", start_info->nr_pages, first);
    uint32_t *table = (uint32_t *)(PV_VIRT_BASE + m2p[region + 5] * 4096);
    int32_t prepared = prepare_table(table);
    int32_t pinned = mmuext(PV_MMUEXT_PIN_L1_TABLE, region + 5);
    uint32_t pd = directory_mfn();
    int32_t ro = mmu_update1(entry_ma(pd, SLOT), region << 12 | P | PS);
    uint32_t word = ro ? 0 : *(volatile uint32_t *)(SLOT_VA(SLOT) + 5 * 4096);
    int32_t rw = mmu_update1(entry_ma(pd, SLOT + 1), region << 12 | P | RW | PS);
    int32_t reserved = mmu_update1(entry_ma(pd, SLOT + 2), region << 12 | 1u << 13 | P | PS);
    int32_t beyond = mmu_update1(entry_ma(pd, SLOT + 3), 0xFFC00000u | P | PS);
    result("superpage: table (%d %d), read-only %d (reads 0x%x), writable %d, reserved %d, past the "
           "machine %d", prepared, pinned, ro, word, rw, reserved, beyond);
}

PV_CASE(mmu_not_ours, "mmu-not-ours", "frames not the VM's: the hypervisor's, past the machine, the M2P's "
        "table, in entries, as the entry's table, pinned, as base, in the M2P")
{
    int32_t installed = install_l1();
    uint32_t l1 = mfn(spare[0]), m2p_l1 = directory()[1008] >> 12;
    int32_t low = mmu_update1(entry_ma(l1, 0), 0x1000 | P);
    int32_t past = mmu_update1(entry_ma(l1, 0), 0xFFFFF000u | P);
    int32_t m2p = mmu_update1(entry_ma(l1, 0), m2p_l1 << 12 | P);
    int32_t ptr = mmu_update1(entry_ma(1, 0), 0);
    int32_t pin = mmuext(PV_MMUEXT_PIN_L1_TABLE, 1);
    int32_t base = mmuext(PV_MMUEXT_NEW_BASEPTR, 1);
    int32_t machphys = mmu_update1(0x1000 | PV_MMU_MACHPHYS_UPDATE, 0);
    result("not-ours: install %d, frame 1 %d, 0xfffff %d, M2P table %d, entry in frame 1 %d, pin %d, "
           "base %d, m2p %d", installed, low, past, m2p, ptr, pin, base, machphys);
}

PV_CASE(mmu_hv_slot, "mmu-hv-slot", "the hypervisor's directory slots 1008-1023: written, cleared, "
        "through update_va_mapping")
{
    uint32_t pd = directory_mfn(), before = directory()[1008];
    int32_t write = mmu_update1(entry_ma(pd, 1008), mfn(spare[1]) << 12 | P | RW);
    int32_t clear = mmu_update1(entry_ma(pd, 1008), 0);
    int32_t va = update_va((const void *)PV_HYPERVISOR_VIRT, mfn(spare[1]) << 12 | P | RW, 0);
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    const uint32_t *p2m = (const uint32_t *)start_info->mfn_list;
    result("hv-slot: write %d, clear %d (slot %s), update_va %d, m2p[p2m[1]] %u", write, clear,
           directory()[1008] == before ? "unchanged" : "CHANGED", va, m2p[p2m[1]]);
}

PV_CASE(mmu_batch, "mmu-batch", "a batch whose second request is refused: the first applied, nothing of "
        "the second or after")
{
    int32_t prepared = prepare_table(spare[0]);
    uint32_t l1 = mfn(spare[0]), pd = directory_mfn();
    struct pv_mmu_update req[3] = {
        { entry_ma(pd, SLOT), l1 << 12 | P | RW },
        { entry_ma(l1, 0), pd << 12 | P | RW },
        { entry_ma(l1, 1), mfn(spare[1]) << 12 | P | RW },
    };
    uint32_t done = 99;
    int32_t r = mmu_update(req, 3, &done);
    result("batch (%d) %d done %u: first %s, second %s, third %s", prepared, r, done,
           directory()[SLOT] == req[0].val ? "applied" : "NOT applied",
           spare[0][0] ? "APPLIED" : "not applied", spare[0][1] ? "APPLIED" : "not applied");
}

PV_CASE(mmu_pin, "mmu-pin", "pins: the builder's directory pinned twice, unpinned while it is the base, "
        "twice, pinned at the wrong level")
{
    uint32_t pd = directory_mfn();
    int32_t twice = mmuext(PV_MMUEXT_PIN_L2_TABLE, pd);
    int32_t unpin = mmuext(PV_MMUEXT_UNPIN_TABLE, pd);
    int32_t unpin2 = mmuext(PV_MMUEXT_UNPIN_TABLE, pd);
    int32_t wrong = mmuext(PV_MMUEXT_PIN_L1_TABLE, pd);
    int32_t again = mmuext(PV_MMUEXT_PIN_L2_TABLE, pd);
    uint32_t probe = *(volatile const uint32_t *)start_info;   /* still running on it */
    result("pin: twice %d, unpin %d, again %d, as L1 %d, pinned again %d (%s)", twice, unpin, unpin2, wrong,
           again, probe ? "alive" : "?");
}

PV_CASE(mmu_bad_args, "mmu-bad-args", "another domain, an unmapped list, a read-only done, unknown "
        "commands and flags")
{
    struct pv_mmu_update req = { entry_ma(directory_mfn(), SLOT), 0 };
    int32_t domid = vmcall5(PV_mmu_update, (uint32_t)&req, 1, 0, 1, 0);
    int32_t unmapped = vmcall5(PV_mmu_update, 0x2000, 1, 0, PV_DOMID_SELF, 0);
    int32_t done_ro = vmcall5(PV_mmu_update, (uint32_t)&req, 0, start_info->pt_base, PV_DOMID_SELF, 0);
    struct pv_mmu_update cmd3 = { req.ptr | 3, 0 };
    int32_t cmd = mmu_update(&cmd3, 1, 0);
    int32_t ext = mmuext(99, 0);
    int32_t flags = update_va(spare[1], mfn(spare[1]) << 12 | P | RW, 3);
    result("bad-args: domid %d, unmapped %d, done read-only %d, command 3 %d, mmuext 99 %d, flags 3 %d",
           domid, unmapped, done_ro, cmd, ext, flags);
}

PV_CASE(mmu_list_edge, "mmu-list-edge", "lists that run off their page into an unmapped one (the hypervisor "
        "reads a page's part of a list at once): mmu_update's three whole requests done, then -EFAULT; one "
        "across the edge; a multicall's two entries done and their results written, then -EFAULT")
{
    uint32_t *l1 = spare[0], *page = spare[1];
    int32_t prep = install_l1() | mmu_update1(entry_ma(mfn(l1), 0), mfn(page) << 12 | P | RW);
    uint8_t *end = (uint8_t *)SLOT_VA(SLOT) + 4096;      /* the next page is not mapped */
    /* Harmless requests: a 0 written to an empty slot of l1. */
    struct pv_mmu_update nop = { entry_ma(mfn(l1), 5), 0 };
    struct pv_mmu_update *three = (struct pv_mmu_update *)(end - 3 * sizeof(nop));
    for (unsigned i = 0; i < 3; i++)
        three[i] = nop;
    uint32_t done_whole = 99, done_across = 99;
    int32_t whole = mmu_update(three, 5, &done_whole);
    struct pv_mmu_update *across = (struct pv_mmu_update *)(end - 2 * sizeof(nop) - 4);
    across[0] = across[1] = nop;
    int32_t straddle = mmu_update(across, 3, &done_across);
    struct pv_multicall_entry call = { PV_xen_version, 99, { PV_XENVER_version, 0 } };
    struct pv_multicall_entry *two = (struct pv_multicall_entry *)(end - 2 * sizeof(call));
    two[0] = two[1] = call;
    int32_t calls = vmcall3(PV_multicall, (uint32_t)two, 4, 0);
    result("list-edge (%d): whole %d done %u, across %d done %u, multicall %d results 0x%x 0x%x", prep, whole,
           done_whole, straddle, done_across, calls, (uint32_t)two[0].result, (uint32_t)two[1].result);
}

PV_CASE(mmu_stale_global, "mmu-stale-global", "a global mapping's table released with the old directory "
        "(a new base, the old one unpinned), its page then made an L1: written through the stale global "
        "translation?")
{
    uint32_t *l1 = spare[0], *page = spare[1], *l2 = spare[2];
    write_cr4(read_cr4() | CR4_PGE);
    int32_t prep = prepare_table(l1) | prepare_table(page);     /* page: mapped only through l1 */
    int32_t mapped = mmu_update1(entry_ma(directory_mfn(), SLOT), mfn(l1) << 12 | P | RW) |
                     mmu_update1(entry_ma(mfn(l1), 0), mfn(page) << 12 | P | RW | G);
    volatile uint32_t *va = (volatile uint32_t *)SLOT_VA(SLOT);
    uint32_t seen = va[0];                                      /* in the TLB, global */
    /* A directory like this one, without slot SLOT; the old one goes. */
    memcpy(l2, directory(), 4096);
    l2[SLOT] = 0;
    int32_t based = update_va(l2, mfn(l2) << 12 | P | A, PV_UVMF_INVLPG) |
                    mmuext(PV_MMUEXT_NEW_BASEPTR, mfn(l2));
    uint32_t old = directory_mfn();
    int32_t released = mmuext(PV_MMUEXT_UNPIN_TABLE, old);
    int32_t pinned = mmuext(PV_MMUEXT_PIN_L1_TABLE, mfn(page));
    recovered_vector = NO_FAULT;
    TRY("movl %%eax, (%0)", : : "r"(va), "a"(0xbad00001u) : "memory");
    if (recovered_vector == NO_FAULT)
        breach("wrote 0x%x into an L1 in use through a stale global translation", page[0]);
    result("stale-global: set up %d %d (read 0x%x), new base %d, old released %d, page pinned as L1 %d, "
           "write vector %u", prep, mapped, seen, based, released, pinned, recovered_vector);
}
