/*
 * cases_gaps.c: hostile cases pv_cases.py lacked (issue 19) and the small
 * fixes beside them. Continuations abused (hv/pv/continuation.c): the
 * PV_BATCH_PREEMPTED flag set by the guest on a fresh call, *done made
 * read-only between two parts of a batch, the list's tail unmapped between
 * two parts, a multicall entry rewritten between two parts (each part reads
 * the guest's memory again, and must find only what any fresh call could).
 * CPUID's hypervisor leaves past those defined; the hypercall page's MSR
 * written again and again. The hypervisor's PDE for the M2P carries A; the
 * M2P is read by REP OUTSB as by any read (cases_hv.c's strio-m2p).
 *
 * The batches are M2P updates of one frame of the kernel's whose value is
 * the request's index: the frame's M2P entry then says which request was
 * the last applied. The entry is put back at the end.
 */
#include "continued.h"
#include "cpu.h"
#include "events.h"
#include "pvtest.h"
#include "string.h"

#define LIST 2048u                                 /* 8 exits' shares */
#define PER_PAGE (4096u / sizeof(struct pv_mmu_update))
#define UNSEEN 0xFFFFFFFFu
#define P  0x001u
#define RW 0x002u
#define A  0x020u

static struct pv_mmu_update updates[LIST] __attribute__((aligned(4096)));   /* 4 pages */
static uint32_t done_page[1024] __attribute__((aligned(4096)));             /* *done, alone in its page */
static struct pv_multicall_entry calls[2];
static uint8_t victim[4096] __attribute__((aligned(4096)));                 /* the frame whose M2P entry counts */
static volatile uint32_t progress = UNSEEN;
static uint32_t saved_m2p;

static uintptr_t pv_pfn_virt_of(uint32_t pfn)
{
    return PV_VIRT_BASE + pfn * PV_PAGE_SIZE;
}

static const volatile uint32_t *m2p(void)
{
    return (const volatile uint32_t *)PV_M2P_VIRT;
}

/* Request i: m2p[victim] = i. */
static void fill_counting_updates(void)
{
    uint32_t mfn = virt_to_mfn(victim);
    saved_m2p = m2p()[mfn];
    for (uint32_t i = 0; i < LIST; i++)
        updates[i] = (struct pv_mmu_update){ mfn << 12 | PV_MMU_MACHPHYS_UPDATE, i };
}

/* The index of the last request applied (the M2P entry), and put back. */
static uint32_t last_applied(void)
{
    uint32_t mfn = virt_to_mfn(victim), last = m2p()[mfn];
    struct pv_mmu_update back = { mfn << 12 | PV_MMU_MACHPHYS_UPDATE, saved_m2p };
    vmcall5(PV_mmu_update, (uint32_t)&back, 1, 0, PV_DOMID_SELF, 0);
    return last;
}

static int32_t update_va(const void *va, uint32_t pte)
{
    return vmcall3(PV_update_va_mapping, (uint32_t)va, pte, PV_UVMF_INVLPG);
}

static int32_t counting_batch(void)
{
    return vmcall5(PV_mmu_update, (uint32_t)updates, LIST, (uint32_t)done_page, PV_DOMID_SELF, 0);
}

/* call (its list the counting updates), caught between two of its parts
 * by hook, in the upcall of a timer armed halfway through its time. */
static int32_t caught_between_parts(int32_t (*call)(void), void (*hook)(void))
{
    fill_counting_updates();
    arm_timer_halfway(call, hook);
    done_page[0] = 0;
    return with_events(call);
}

PV_CASE(cont_flag_fresh, "cont-flag-fresh",
        "PV_BATCH_PREEMPTED set by the guest on a fresh mmu_update, mmuext_op and multicall")
{
    fill_counting_updates();
    done_page[0] = 5;
    int32_t r = vmcall5(PV_mmu_update, (uint32_t)updates, 3 | PV_BATCH_PREEMPTED, (uint32_t)done_page,
                        PV_DOMID_SELF, 0);
    uint32_t done = done_page[0], last = last_applied();
    fill_counting_updates();
    int32_t no_done = vmcall5(PV_mmu_update, (uint32_t)updates, 2 | PV_BATCH_PREEMPTED, 0, PV_DOMID_SELF, 0);
    uint32_t last_no_done = last_applied();
    struct pv_mmuext_op flush = { PV_MMUEXT_TLB_FLUSH_LOCAL, 0, 0 };
    done_page[0] = 0xFFFFFFFF;      /* the guest's own count wraps: only it sees it */
    int32_t ext = vmcall5(PV_mmuext_op, (uint32_t)&flush, 1 | PV_BATCH_PREEMPTED, (uint32_t)done_page,
                          PV_DOMID_SELF, 0);
    uint32_t ext_done = done_page[0];
    calls[0] = (struct pv_multicall_entry){ PV_xen_version, 0, { PV_XENVER_version } };
    int32_t mc = vmcall3(PV_multicall, (uint32_t)calls, 1 | PV_BATCH_PREEMPTED, 0);
    result("flag-fresh: mmu_update %d done %u last %u; no done %d last %u; mmuext %d done %u; multicall %d",
           r, done, last, no_done, last_no_done, ext, ext_done, mc);
}

static void done_read_only(void)
{
    if (progress != UNSEEN)
        return;
    progress = done_page[0];
    update_va(done_page, virt_to_mfn(done_page) << 12 | P | A);
}

PV_CASE(cont_done_unwritable, "cont-done-unwritable",
        "mmu_update of 2048 requests whose *done is made read-only between two parts")
{
    int32_t r = caught_between_parts(counting_batch, done_read_only);
    uint32_t after = done_page[0], applied = last_applied() + 1;
    update_va(done_page, virt_to_mfn(done_page) << 12 | P | RW | A);
    uint32_t left = LIST - progress, more = left < PV_WORK_PER_EXIT ? left : PV_WORK_PER_EXIT;
    result("done-unwritable: %d, done %u at the upcall, %u after; %u more applied (one part: %s)", r, progress,
           after, applied - progress, applied - progress == more ? "yes" : "no");
}

static uint32_t unmapped_from = UNSEEN;

/* The list's pages after the one the batch is in are unmapped. */
static void unmap_tail(void)
{
    if (progress != UNSEEN)
        return;
    progress = done_page[0];
    unmapped_from = (progress / PER_PAGE + 1) * PER_PAGE;
    for (uint32_t i = unmapped_from; i < LIST; i += PER_PAGE)
        update_va(&updates[i], 0);
}

PV_CASE(cont_tail_unmapped, "cont-tail-unmapped",
        "mmu_update of 2048 requests whose list's tail is unmapped between two parts")
{
    int32_t r = caught_between_parts(counting_batch, unmap_tail);
    for (uint32_t i = unmapped_from; i < LIST; i += PER_PAGE)
        update_va(&updates[i], virt_to_mfn(&updates[i]) << 12 | P | RW | A);
    uint32_t applied = last_applied() + 1;
    if (unmapped_from >= LIST)
        result("FAILED the upcall came after request %u: nothing left to unmap", progress);
    result("tail-unmapped: %d, unmapped from %u, done %u, applied %u", r, unmapped_from, done_page[0], applied);
}

/* A multicall: entry 0 the long batch, entry 1 xen_version; between two of
 * entry 0's parts, rewrite sets what entry 0 becomes. */
static void (*rewrite)(void);

static void rewrite_entry(void)
{
    if (progress != UNSEEN)
        return;
    progress = done_page[0];
    rewrite();
}

static int32_t batch_in_multicall(void)
{
    calls[0] = (struct pv_multicall_entry){ PV_mmu_update, 0x7EEEEEEE,
                                            { (uint32_t)updates, LIST, (uint32_t)done_page, PV_DOMID_SELF } };
    calls[1] = (struct pv_multicall_entry){ PV_xen_version, 0x7EEEEEEE, { PV_XENVER_version } };
    return vmcall3(PV_multicall, (uint32_t)calls, 2, 0);
}

static void rewritten(const char *what, void (*how)(void))
{
    rewrite = how;
    int32_t r = caught_between_parts(batch_in_multicall, rewrite_entry);
    uint32_t applied = last_applied() + 1;
    result("%s: %d, results %d 0x%x, done %u at the upcall, %u after, applied %u", what, r, calls[0].result,
           (uint32_t)calls[1].result, progress, done_page[0], applied);
}

static void into_nested_multicall(void)
{
    calls[0].op = PV_multicall;
}

static void into_unreadable_list(void)
{
    calls[0].args[0] = PV_M2P_VIRT;     /* readable to the guest, not a list of its own frames */
}

PV_CASE(multicall_rewritten_op, "multicall-rewritten-op",
        "a multicall's long mmu_update entry made a nested multicall between two of its parts")
{
    rewritten("rewritten-op", into_nested_multicall);
}

PV_CASE(multicall_rewritten_list, "multicall-rewritten-list",
        "a multicall's long mmu_update entry pointed at the M2P between two of its parts")
{
    rewritten("rewritten-list", into_unreadable_list);
}

/* ---- CPUID and the hypercall page's MSR ---- */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

PV_CASE(cpuid_leaves, "cpuid-leaves",
        "CPUID's hypervisor leaves 0x40000003-0x400000FF (none defined) and the defined ones with ECX set")
{
    uint32_t r[4], nonzero = 0, first = 0;
    for (uint32_t leaf = PV_CPUID_HYPERCALL + 1; leaf <= PV_CPUID_BASE + 0xFF; leaf++) {
        cpuid(leaf, leaf * 2654435761u, r);
        if (r[0] | r[1] | r[2] | r[3])
            nonzero++, first = first ? first : leaf;
    }
    uint32_t base[4], hc[4];
    cpuid(PV_CPUID_BASE, 0xFFFFFFFF, base);
    cpuid(PV_CPUID_HYPERCALL, 7, hc);
    result("cpuid: %u of 253 undefined leaves answer (first 0x%x); max 0x%x, hypercall page %u MSR 0x%x", nonzero,
           first, base[0], hc[0], hc[1]);
}

static uint8_t page_a[4096] __attribute__((aligned(4096))), page_b[4096] __attribute__((aligned(4096)));

static void hypercall_page_msr(const void *page)
{
    uint64_t ma = (uint64_t)virt_to_mfn(page) << 12;
    __asm__ volatile("wrmsr" : : "c"(PV_MSR_HYPERCALL_PAGE), "a"((uint32_t)ma), "d"((uint32_t)(ma >> 32))
                     : "memory");
}

static int32_t through_stub(const uint8_t *page)
{
    int32_t r;
    uint32_t b = PV_XENVER_version, c = 0, d = 0;
    __asm__ volatile("call *%[stub]" : "=a"(r), "+b"(b), "+c"(c), "+d"(d)
                     : [stub] "r"(page + PV_xen_version * PV_HYPERCALL_STUB) : "memory", "cc");
    return r;
}

/* A frame that was the hypercall page and is no longer: unmapped, it can
 * leave the VM (memory_op), which a kept frame cannot. */
static int32_t give_back(const void *page)
{
    uint32_t mfn = virt_to_mfn(page);
    if (update_va(page, 0))
        return -999;
    struct pv_memory_reservation r = { (uint32_t)&mfn, 1, 0, PV_DOMID_SELF };
    return vmcall3(PV_memory_op, PV_XENMEM_decrease_reservation, (uint32_t)&r, 0);
}

PV_CASE(hcpage_again, "hcpage-again",
        "the hypercall page's MSR written with one frame twice, then another, then a page table")
{
    hypercall_page_msr(page_a);
    hypercall_page_msr(page_a);
    int32_t via_a = through_stub(page_a);
    hypercall_page_msr(page_b);
    int32_t via_b = through_stub(page_b);
    uint64_t msr = rdmsr(PV_MSR_HYPERCALL_PAGE);
    int32_t a_back = give_back(page_a), b_back = give_back(page_b);
    printf("pvtest: hcpage-again: stubs 0x%x 0x%x, MSR at b %s, a given back %d, b (the page) %d\n",
           (uint32_t)via_a, (uint32_t)via_b, msr == (uint64_t)virt_to_mfn(page_b) << 12 ? "yes" : "no", a_back,
           b_back);
    uint64_t ma = (uint64_t)virt_to_mfn((const void *)start_info->pt_base) << 12;
    __asm__ volatile(EXPECT_AT("wrmsr") : : "c"(PV_MSR_HYPERCALL_PAGE), "a"((uint32_t)ma),
                     "d"((uint32_t)(ma >> 32)) : "memory");
    breach("the hypercall page placed at the page directory");
}

/* ---- the hypervisor's PDE ---- */

static uint32_t spare_l2[1024] __attribute__((aligned(4096)));

PV_CASE(hv_slot_accessed, "hv-slot-accessed",
        "the M2P's PDE, in the first L2 and in one the guest pins, has A set before any walk used it")
{
    const uint32_t *dir = (const uint32_t *)start_info->pt_base;
    uint32_t first = dir[PV_M2P_VIRT >> 22];
    memset(spare_l2, 0, sizeof(spare_l2));
    int32_t ro = update_va(spare_l2, virt_to_mfn(spare_l2) << 12 | P | A);
    struct pv_mmuext_op pin = { PV_MMUEXT_PIN_L2_TABLE, virt_to_mfn(spare_l2), 0 };
    int32_t pinned = vmcall5(PV_mmuext_op, (uint32_t)&pin, 1, 0, PV_DOMID_SELF, 0);
    uint32_t pinned_pde = spare_l2[PV_M2P_VIRT >> 22];
    result("hv-slot: first L2 P %u A %u; pinned %d %d: P %u A %u", first & P, !!(first & A), ro, pinned,
           pinned_pde & P, !!(pinned_pde & A));
}

/* ---- console_io's read ---- */

PV_CASE(console_read, "console-read",
        "typed input read by console_io (PV_CONSOLEIO_read) 5 bytes a call; a read into an unmapped buffer takes none")
{
    const struct pv_console *ring = (const struct pv_console *)pv_pfn_virt_of(start_info->console_pfn);
    static char line[128];
    uint32_t n = 0, reads = 0;
    int32_t empty = vmcall3(PV_console_io, PV_CONSOLEIO_read, 5, (uint32_t)line), unmapped = 1;
    events_install();
    evtchn_port_op(PV_EVTCHNOP_unmask, start_info->console_evtchn);
    events_on();
    printf("INPUT ready\n");                 /* the console protocol's: the runner types now */
    for (uint32_t blocks = 0; blocks < 10000; blocks++) {
        if (unmapped == 1 && ring->in_prod != ring->in_cons)
            unmapped = vmcall3(PV_console_io, PV_CONSOLEIO_read, 5, 0x1000);
        for (int32_t got; unmapped != 1 && (got = vmcall3(PV_console_io, PV_CONSOLEIO_read, 5,
                                                          (uint32_t)line + n)) > 0; ) {
            reads++;
            for (int32_t i = 0; i < got; i++, n++)
                if (line[n] == '\n' || line[n] == '\r' || n + 6 >= sizeof(line)) {
                    line[n] = 0;
                    result("read: %d before any input; unmapped buffer %d; then '%s' (%u bytes in %u reads), "
                           "ring consumed %s", empty, unmapped, line, n, reads,
                           ring->in_cons == ring->in_prod ? "yes" : "no");
                }
        }
        block();
    }
    result("FAILED no line read: %u bytes", n);
}
