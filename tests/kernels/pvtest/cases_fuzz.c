/*
 * cases_fuzz.c: the hypercall fuzzer (issue 19: "at least 10^6 random calls
 * with no hypervisor fault"). case=fuzz seed=S count=N makes N random
 * VMCALLs (and the entries of its multicalls on top), and knows what each
 * must answer: every generator below predicts its call's result from a
 * model of what the kernel holds (its fuzz window's L1, the M2P entries of
 * its arena, its pins), and the model is what the kernel's tables must
 * hold after the call. So the fuzzer checks more than "no panic": a
 * refusal the hypervisor forgot, a batch that went on past a bad request,
 * a continuation that lost a part, a TLB entry left stale, all show as a
 * "pvtest: FAILED fuzz" line.
 *
 * What it calls: every hypercall number (known ones, unknown ones, numbers
 * past the table, negative), with pointers into its arena, a read-only
 * page, its page directory (read-only), the M2P, the hypervisor's slots,
 * an unmapped guard page after the arena (lists whose tail runs into it),
 * the top of the address space (a copy that would wrap); mmu_update and
 * mmuext_op batches of good and bad requests, short and longer than one
 * exit's share (continuations), sometimes with PV_BATCH_PREEMPTED set on a
 * fresh call; multicalls of all of these (a nested multicall, a block
 * inside, long lists); memory_op, event_channel_op, set_timer_op, vcpu_op,
 * sched_op (yield, shutdown with a bad argument; block only with the
 * timer armed), console_io (no bytes printed: count 0 or a bad buffer);
 * the calls between VMs that one VM can make (section 6's channels: ports
 * offered to itself and bound, loopbacks, every port's status; section
 * 10's grants, every one refused), each port's binding in the model.
 * Never a call that would end it or unmap its own kernel: generators keep
 * to the fuzz window (directory slot FUZZ_SLOT) and the arena.
 *
 * After each call: the model's window and M2P entries, canaries in .data
 * and on the stack; every DEEP_EVERY calls: a checksum of .text/.rodata,
 * of the initial page tables (A and D masked: the CPU sets them), each
 * window page read through the window (the TLB), each port's status and
 * a loopback's pending bits. The summary counts the results by code. The
 * hypervisor's own recount (dp_check) runs with dpcheck=N on its command
 * line (pv_gaps_cases.py, tests/bench/pvfuzz.py).
 */
#include "events.h"
#include "pvtest.h"
#include "string.h"

#define P   0x001u
#define RW  0x002u
#define US  0x004u
#define A   0x020u
#define D   0x040u
#define CPU_SET (A | D)             /* what the CPU writes into entries itself (SDM 4.8) */
#define FUZZ_SLOT 20u               /* the window: 0x05000000, below the direct map */
#define WINDOW ((volatile uint32_t *)(FUZZ_SLOT << 22))
#define WINDOW_ENTRIES 64u
#define ARENA_PAGES 8u
#define ARENA_BYTES (ARENA_PAGES * 4096u)
#define DEEP_EVERY 4096u
#define CANARY 0xC0FFEE11u
#define FRAME_NOT_OURS 1u           /* machine frame 1: the BIOS's, never a VM's */

/* A result the prediction does not pin down. */
#define ANY     0x7FFFFFF0
#define ANY_ERR 0x7FFFFFF1

static uint8_t region[ARENA_PAGES + 1][4096] __attribute__((aligned(4096)));   /* arena, then the guard */
#define ARENA ((uint8_t *)region)
#define GUARD ((uint32_t)region[ARENA_PAGES])
static uint32_t ro_page[1024] __attribute__((aligned(4096)));    /* read-only; no table validates it */
static uint32_t fuzz_l1[1024] __attribute__((aligned(4096)));    /* the window's L1 */
static uint32_t spare_l1[1024] __attribute__((aligned(4096)));   /* pinned and unpinned */
static volatile uint32_t data_canary = CANARY;

/* ---- the model ---- */
static uint32_t model_l1[WINDOW_ENTRIES];
static uint32_t model_m2p[ARENA_PAGES];
static bool spare_pinned, dir_pinned = true, in_multicall;
static uint32_t timer_port;
/* Every event channel port (section 6): what it is bound to, as the
 * hypervisor's evtchn_status reports it, and for an interdomain port its
 * peer; pending, for the ports between VMs (no upcall runs: IF stays 0,
 * so only a close clears their bits). One VM: every channel between VMs
 * is a loopback, the VM's own id at both ends. */
#define GNT_DOMIDS 8u               /* the domids a VM may have (hv/pv/grant_table.h) */
#define SELF_ID 0u                  /* the fuzz runs alone: vm0, domid 0 (section 10) */
static struct port_model {
    uint8_t status;                 /* PV_EVTCHNSTAT_* */
    uint8_t pending;                /* unbound and interdomain ports only */
    uint16_t remote_port;           /* interdomain: the peer; virq: the VIRQ */
} ports[PV_NR_EVENT_CHANNELS];
static uint32_t dir_mfn, l1_mfn, spare_mfn, ro_mfn, arena_mfn[ARENA_PAGES], guard_mfn;

/* ---- the run's counts ---- */
static uint32_t calls, vmcalls, failures, deep_checks, by_code[40], positive, anything_else;
static uint32_t grant_ops, loopbacks, statuses;
static uint32_t text_sum, tables_sum;

/* ---- xorshift64 ---- */
static uint64_t rng;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint32_t below(uint32_t n)
{
    return rnd() % n;
}

static bool one_in(uint32_t n)
{
    return below(n) == 0;
}

/* ---- the arena: each top-level call's lists and structs, bump-allocated ---- */
static uint32_t arena_used, arena_top;     /* [used, top) is free; a list at the very end lowers top */

static void *arena_alloc(uint32_t bytes)
{
    bytes = (bytes + 7) & ~7u;
    if (arena_used + bytes > arena_top)
        return NULL;
    void *p = ARENA + arena_used;
    arena_used += bytes;
    return p;
}

/* A list of count items of size bytes whose first readable ones are in
 * the arena and the next runs into the guard page (half-way, or at its
 * start): NULL if there is no room left, or another list of this call's
 * is there already. */
static uint8_t *tail_in_guard(uint32_t readable, uint32_t size)
{
    uint32_t at = ARENA_BYTES - readable * size - (one_in(2) ? size / 2 : 0);
    if (arena_top < ARENA_BYTES || at < arena_used || at + readable * size > ARENA_BYTES || at / 8 * 8 < arena_used)
        return NULL;
    arena_top = at / 8 * 8 < arena_top ? at / 8 * 8 : arena_top;
    return ARENA + at;
}

/* ---- pointers a call may be given that it cannot use ---- */
static uint32_t bad_pointer(void)
{
    static const uint32_t unusable[] = {
        0, 0x1000, 0x04000000, 0xBFFFF000, PV_M2P_VIRT, PV_M2P_VIRT + 0x400000, 0xFFC00000, 0xFFFFFFFC,
        0xFFFFFFFE, 0x80000000,
    };
    if (one_in(4))
        return GUARD + below(4096);
    return unusable[below(sizeof(unusable) / sizeof(unusable[0]))];
}

/* A pointer the guest may read but not write: its read-only page, its
 * page directory (read-only in its direct map). */
static uint32_t read_only_pointer(void)
{
    return one_in(2) ? (uint32_t)ro_page + below(1024) * 4 : start_info->pt_base + below(1024) * 4;
}

/* One whose bytes are all in the read-only page: a call that writes back
 * only its struct's OUT words, past the start, could write them in the
 * page after it (the arena may be there). */
static uint32_t read_only_struct(uint32_t bytes)
{
    uint32_t p = read_only_pointer();
    return (p & 0xFFF) > 4096 - bytes ? (p & ~0xFFFu) + 4096 - bytes : p;
}

static int32_t expect(bool good, int32_t error)
{
    return good ? 0 : error;
}

/* ---- the window's entries: a value for entry k, its verdict ---- */
struct entry_choice {
    uint32_t val;
    int32_t want;
};

static struct entry_choice window_value(void)
{
    uint32_t flags = P | (rnd() & (RW | US | A | D | 0xE00));
    if (flags & PV_GNTTAB_PTE)      /* a grant's mark (section 10): only the hypervisor's to write */
        return (struct entry_choice){ arena_mfn[below(ARENA_PAGES)] << 12 | flags, -PV_EINVAL };
    switch (below(10)) {
    case 0:
        return (struct entry_choice){ rnd() & ~P, 0 };                          /* not present: anything */
    case 1: case 2: case 3:
        return (struct entry_choice){ arena_mfn[below(ARENA_PAGES)] << 12 | flags, 0 };
    case 4:
        return (struct entry_choice){ ro_mfn << 12 | flags, 0 };                /* no table: RW too */
    case 5:                                 /* a table: read-only only (section 5) */
        return (struct entry_choice){ (one_in(2) ? l1_mfn : dir_mfn) << 12 | flags,
                                      expect(!(flags & RW), -PV_EINVAL) };
    case 6:
        return (struct entry_choice){ FRAME_NOT_OURS << 12 | flags, -PV_EINVAL };
    case 7:
        return (struct entry_choice){ 0xFFFFF000u | flags, -PV_EINVAL };        /* past the machine */
    case 8:
        return (struct entry_choice){ PV_M2P_VIRT | flags, -PV_EINVAL };        /* a hypervisor frame? no: past */
    default:
        return (struct entry_choice){ 0, 0 };
    }
}

/* ---- mmu_update's requests ---- */
struct request {
    uint32_t a, b;                  /* pv_mmu_update's ptr, val, or mmuext's cmd, arg1 */
    int32_t want;
    int kind;                       /* what applying it changes in the model */
    uint32_t index;
};
enum { CHANGES_NOTHING, SETS_L1, SETS_M2P, PINS_SPARE, UNPINS_SPARE, PINS_DIR, UNPINS_DIR };

static struct request mmu_request(void)
{
    uint32_t k = below(WINDOW_ENTRIES);
    switch (below(8)) {
    case 0: case 1: case 2: {
        struct entry_choice e = window_value();
        return (struct request){ l1_mfn << 12 | k * 4, e.val, e.want, SETS_L1, k };
    }
    case 3: {
        uint32_t j = below(ARENA_PAGES);
        return (struct request){ arena_mfn[j] << 12 | PV_MMU_MACHPHYS_UPDATE, rnd(), 0, SETS_M2P, j };
    }
    case 4: {                       /* the hypervisor's slots: 0 is let be, anything else refused */
        uint32_t v = one_in(2) ? 0 : rnd() | P;
        return (struct request){ dir_mfn << 12 | (1008 + below(16)) * 4, v, expect(!v, -PV_EINVAL), 0, 0 };
    }
    case 5:
        return (struct request){ FRAME_NOT_OURS << 12 | (one_in(2) ? PV_MMU_MACHPHYS_UPDATE : 0), rnd(),
                                 -PV_EINVAL, 0, 0 };
    case 6:
        return (struct request){ l1_mfn << 12 | k * 4 | (2 + below(2)), rnd(), -PV_EINVAL, 0, 0 };
    default:                        /* an entry in a frame that is no table */
        return (struct request){ arena_mfn[below(ARENA_PAGES)] << 12 | below(1024) * 4, 0, ANY_ERR, 0, 0 };
    }
}

static struct request mmuext_request(void)
{
    switch (below(10)) {
    case 0:
        return (struct request){ PV_MMUEXT_TLB_FLUSH_LOCAL, rnd(), 0, 0, 0 };
    case 1:
        return (struct request){ PV_MMUEXT_INVLPG_LOCAL, rnd(), 0, 0, 0 };
    case 2:
        return (struct request){ PV_MMUEXT_PIN_L1_TABLE, spare_mfn, expect(!spare_pinned, -PV_EEXIST),
                                 PINS_SPARE, 0 };
    case 3:
        return (struct request){ PV_MMUEXT_UNPIN_TABLE, spare_mfn, expect(spare_pinned, -PV_EINVAL),
                                 UNPINS_SPARE, 0 };
    case 4:
        return (struct request){ PV_MMUEXT_PIN_L2_TABLE, dir_mfn, expect(!dir_pinned, -PV_EEXIST), PINS_DIR, 0 };
    case 5:
        return (struct request){ PV_MMUEXT_UNPIN_TABLE, dir_mfn, expect(dir_pinned, -PV_EINVAL), UNPINS_DIR, 0 };
    case 6:
        return (struct request){ PV_MMUEXT_NEW_BASEPTR, dir_mfn, 0, 0, 0 };
    case 7:
        return (struct request){ below(2) ? PV_MMUEXT_PIN_L1_TABLE : PV_MMUEXT_PIN_L2_TABLE,
                                 one_in(2) ? arena_mfn[below(ARENA_PAGES)] : FRAME_NOT_OURS, -PV_EINVAL, 0, 0 };
    case 8:
        return (struct request){ PV_MMUEXT_NEW_BASEPTR, one_in(2) ? FRAME_NOT_OURS : ro_mfn, -PV_EINVAL, 0, 0 };
    default:
        return (struct request){ 8 + below(100), rnd(), -PV_EINVAL, 0, 0 };
    }
}

static void apply(const struct request *r)
{
    switch (r->kind) {
    case SETS_L1: model_l1[r->index] = r->b; break;
    case SETS_M2P: model_m2p[r->index] = r->b; break;
    case PINS_SPARE: spare_pinned = true; break;
    case UNPINS_SPARE: spare_pinned = false; break;
    case PINS_DIR: dir_pinned = true; break;
    case UNPINS_DIR: dir_pinned = false; break;
    }
}

/* ---- one call: its registers and what it must answer ---- */
struct call {
    uint32_t op, arg[5];
    int32_t want;
    struct {                        /* what the guest's memory must hold after it: */
        uint32_t *done, done_want;  /* a batch's *done in the arena, */
        const uint32_t *out, *out_want;     /* words it writes back (or must leave), in the arena */
        uint32_t out_words;
    } after;
};

/* Where a batch's *done goes: none, the arena (its value checked), or a
 * pointer the hypervisor cannot write. Returns the pointer; *before what a
 * continued batch reads there (PV_BATCH_PREEMPTED), *readable whether it
 * can, *writable whether the total can be written back. */
static uint32_t done_pointer(struct call *c, uint32_t *before, bool *readable, bool *writable)
{
    *before = 0, *readable = *writable = true;
    c->after.done = NULL;
    switch (below(6)) {
    case 0:
        return 0;
    case 1: {
        uint32_t p = read_only_pointer();
        *before = *(const uint32_t *)p, *writable = false;
        return p;
    }
    case 2: {                       /* (0 would be no pointer) */
        uint32_t p;
        while (!(p = bad_pointer()))
            ;
        *readable = *writable = false;
        return p;
    }
    default:
        c->after.done = arena_alloc(4);
        if (!c->after.done)
            return 0;
        *c->after.done = *before = rnd();
        return (uint32_t)c->after.done;
    }
}

/* mmu_update or mmuext_op: a batch of good and bad requests, sometimes
 * longer than one exit's share, sometimes its list's tail in the guard
 * page, sometimes PV_BATCH_PREEMPTED set by the guest on a fresh call. */
static void batch_call(struct call *c, bool ext)
{
    uint32_t size = ext ? sizeof(struct pv_mmuext_op) : sizeof(struct pv_mmu_update);
    uint32_t before;
    bool readable, writable;
    uint32_t done_at = done_pointer(c, &before, &readable, &writable);
    uint32_t n = one_in(32) ? PV_WORK_PER_EXIT + 1 + below(300) : 1 + below(12);
    /* In a multicall the entries before it took some of the exit's share:
     * where a part ends is known only at the top. */
    if (in_multicall && !writable && n > 12)
        n = 12;
    uint32_t list, readable_requests = n;
    uint8_t *at = NULL;
    if (one_in(16)) {               /* its tail in the guard page */
        readable_requests = below(n);
        at = tail_in_guard(readable_requests, size);
    }
    if (!at) {
        readable_requests = n;
        at = arena_alloc(n * size);
    }
    if (!at)
        n = readable_requests = 1, at = arena_alloc(size);
    list = at ? (uint32_t)at : bad_pointer();
    if (!at || one_in(32))
        list = bad_pointer(), readable_requests = 0;
    bool continued = one_in(16);
    bool domid_ok = !one_in(64);
    *c = (struct call){ ext ? PV_mmuext_op : PV_mmu_update,
                        { list, n | (continued ? PV_BATCH_PREEMPTED : 0), done_at,
                          domid_ok ? PV_DOMID_SELF : rnd() & 0xFFFF, rnd() }, 0, { .done = c->after.done } };
    if (!continued)
        before = 0;
    if (!domid_ok && c->arg[3] != PV_DOMID_SELF) {
        c->want = -PV_ESRCH;
        c->after.done_want = c->after.done ? *c->after.done : 0;
        return;
    }
    if (continued && done_at && !readable) {
        c->want = -PV_EFAULT;
        return;
    }
    /* The requests, each predicted from the model as it will be then. */
    uint32_t limit = writable ? n : (n < PV_WORK_PER_EXIT ? n : PV_WORK_PER_EXIT);
    uint32_t applied = 0;
    int32_t want = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct request r = ext ? mmuext_request() : mmu_request();
        if (i < readable_requests && list >= (uint32_t)ARENA && list < (uint32_t)ARENA + ARENA_BYTES) {
            uint32_t *slot = (uint32_t *)(list + i * size);
            slot[0] = r.a, slot[1] = r.b;
            if (ext)
                slot[2] = 0;
        }
        if (want || i >= limit)
            continue;
        if (i >= readable_requests) {
            want = -PV_EFAULT;
            continue;
        }
        if (r.want) {
            want = r.want;
            continue;
        }
        apply(&r);
        applied++;
    }
    c->want = writable ? want : -PV_EFAULT;
    c->after.done_want = before + applied;
}

/* update_va_mapping in the window, or at an address with no L1 of the
 * guest's (the hypervisor's slots, the top of memory). */
static void update_va_call(struct call *c)
{
    uint32_t k = below(WINDOW_ENTRIES), flags = one_in(8) ? 3 + below(10) : below(3);
    struct entry_choice e = window_value();
    if (one_in(6)) {
        uint32_t va = one_in(2) ? PV_M2P_VIRT + below(16) * 0x400000 : 0xFFFFF000;
        *c = (struct call){ PV_update_va_mapping, { va, e.val, flags, rnd(), rnd() }, ANY_ERR, { NULL } };
        return;
    }
    *c = (struct call){ PV_update_va_mapping, { (FUZZ_SLOT << 22) + k * 4096, e.val, flags, rnd(), rnd() },
                        flags > 2 ? -PV_EINVAL : e.want, { NULL } };
    if (!c->want)
        model_l1[k] = e.val;
}

static void memory_op_call(struct call *c)
{
    uint32_t cmd = below(9);
    uint32_t *arg = arena_alloc(32);
    *c = (struct call){ PV_memory_op, { cmd, arg ? (uint32_t)arg : bad_pointer(), rnd(), rnd(), rnd() },
                        ANY, { NULL } };
    if (!arg || one_in(8)) {
        c->arg[1] = bad_pointer();
        c->want = cmd == 0 || cmd == 2 || cmd == 5 || cmd > 6 ? -PV_ENOSYS : -PV_EFAULT;
        return;
    }
    switch (cmd) {
    case PV_XENMEM_current_reservation:
    case PV_XENMEM_maximum_reservation: {
        bool self = !one_in(4);
        arg[0] = self ? PV_DOMID_SELF : 1 + below(100);
        c->want = !self ? -PV_ESRCH : (int32_t)(cmd == 3 ? start_info->nr_pages : start_info->max_pages);
        return;
    }
    case PV_XENMEM_decrease_reservation:
    case PV_XENMEM_populate_physmap: {
        /* Every frame of the kernel's is mapped (its direct map) but the
         * guard, which no extent names: nothing can leave; and the VM is at
         * max_pages: nothing can come. */
        uint32_t *extents = arena_alloc(16);
        uint32_t nr = 1 + below(4);
        for (uint32_t i = 0; extents && i < nr; i++) {
            uint32_t m = one_in(2) ? arena_mfn[below(ARENA_PAGES)] : rnd() & 0xFFFFF;
            extents[i] = m == guard_mfn ? FRAME_NOT_OURS : m;
        }
        struct pv_memory_reservation r = { extents ? (uint32_t)extents : bad_pointer(), nr,
                                           one_in(8), one_in(8) ? 5 : PV_DOMID_SELF };
        memcpy(arg, &r, sizeof(r));
        c->want = ANY_ERR;
        return;
    }
    default:
        c->want = -PV_ENOSYS;
    }
}

/* ---- event channels: ports predicted from the model ---- */
static void wrong(const char *what, const struct call *c, uint32_t want, uint32_t got);

/* The port the hypervisor's next bind takes: the lowest free one
 * (evtchn_ports.c), 0 if none is. */
static uint32_t lowest_free_port(void)
{
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        if (ports[p].status == PV_EVTCHNSTAT_closed)
            return p;
    return 0;
}

/* A port to name: 0 and past the last (never ports), any, or one the
 * model has bound (from a random place up, so each kind comes up). */
static uint32_t some_port(void)
{
    switch (below(6)) {
    case 0: return 0;
    case 1: return PV_NR_EVENT_CHANNELS + (one_in(2) ? below(16) : rnd());
    case 2: return 1 + below(PV_NR_EVENT_CHANNELS - 1);
    default:
        for (uint32_t p = 1 + below(128), n = 0; n < PV_NR_EVENT_CHANNELS; n++, p = p % 1023 + 1)
            if (ports[p].status != PV_EVTCHNSTAT_closed)
                return p;
        return 1;
    }
}

static bool valid_port(uint32_t port)
{
    return port > 0 && port < PV_NR_EVENT_CHANNELS;
}

/* evtchn_check_port's answer: 0 if port is bound. */
static int32_t port_error(uint32_t port)
{
    return !valid_port(port) ? -PV_EINVAL : ports[port].status == PV_EVTCHNSTAT_closed ? -PV_ENOENT : 0;
}

/* A new binding at the lowest free port: its number, or 0 (-PV_ENOSPC). */
static uint32_t bind_port(uint8_t status, uint16_t remote_port)
{
    uint32_t p = lowest_free_port();
    if (p)
        ports[p] = (struct port_model){ status, 0, remote_port };
    return p;
}

/* close: the port freed (its pending bit cleared); a loopback's other end
 * left offered to the VM itself again (Xen's evtchn_close). */
static void close_in_model(uint32_t port)
{
    if (ports[port].status == PV_EVTCHNSTAT_interdomain)
        ports[ports[port].remote_port] = (struct port_model){ PV_EVTCHNSTAT_unbound,
                                                              ports[ports[port].remote_port].pending, 0 };
    ports[port] = (struct port_model){ PV_EVTCHNSTAT_closed, 0, 0 };
}

/* The status call's OUT words (status, remote_dom, remote_port) for port. */
static void status_words(uint32_t port, uint32_t *w)
{
    const struct port_model *m = &ports[port];
    bool linked = m->status == PV_EVTCHNSTAT_unbound || m->status == PV_EVTCHNSTAT_interdomain;
    w[0] = m->status, w[1] = linked ? SELF_ID : 0;
    w[2] = m->status == PV_EVTCHNSTAT_interdomain || m->status == PV_EVTCHNSTAT_virq ? m->remote_port : 0;
}

/* The argument of an event call that writes OUT words: in the arena (its
 * words checked after the call: the OUT ones as predicted, or all
 * unchanged if it failed), else somewhere it cannot be written (read-only,
 * unmapped, straddling into the guard page): -PV_EFAULT, nothing done. */
static uint32_t *out_arg(struct call *c, uint32_t words)
{
    uint32_t *arg = one_in(8) ? NULL : arena_alloc(words * 4);
    uint32_t *want = arg ? arena_alloc(words * 4) : NULL;
    if (!want) {
        uint8_t *straddle = one_in(2) ? tail_in_guard(0, words * 4) : NULL;
        c->arg[1] = straddle ? (uint32_t)straddle : one_in(2) ? read_only_struct(words * 4) : bad_pointer();
        c->want = -PV_EFAULT;
        return NULL;
    }
    c->arg[1] = (uint32_t)arg;
    c->after.out = arg, c->after.out_want = want, c->after.out_words = words;
    return arg;
}

/* Sets the OUT words' prediction: the argument as written, then (if the
 * call is to succeed) the words from first on as out. */
static void predict_out(struct call *c, uint32_t *arg, uint32_t words, uint32_t first, const uint32_t *out)
{
    uint32_t *want = (uint32_t *)c->after.out_want;
    memcpy(want, arg, words * 4);
    if (c->want == 0)
        memcpy(want + first, out, (words - first) * 4);
}

/* A domid for alloc_unbound and bind_interdomain: the VM itself (by
 * PV_DOMID_SELF or its id), or one there is not. */
static uint32_t some_dom(bool *self)
{
    uint32_t d = one_in(3) ? PV_DOMID_SELF : one_in(2) ? SELF_ID : one_in(2) ? 1 + below(8) : rnd();
    *self = d == PV_DOMID_SELF || d == SELF_ID;
    return d;
}

static void bind_virq_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    uint32_t virq = below(20), vcpu = one_in(8) ? 1 + below(4) : 0, port = 0;
    arg[0] = virq, arg[1] = vcpu, arg[2] = rnd();
    if (virq >= PV_NR_VIRQS || vcpu)
        c->want = -PV_EINVAL;
    else {
        bool bound = false;
        for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
            bound |= ports[p].status == PV_EVTCHNSTAT_virq && ports[p].remote_port == virq;
        c->want = bound ? -PV_EEXIST : (port = bind_port(PV_EVTCHNSTAT_virq, (uint16_t)virq)) ? 0 : -PV_ENOSPC;
    }
    predict_out(c, arg, 3, 2, &port);
}

/* alloc_unbound: a port offered to the VM itself (a loopback's first
 * half) or to a VM there is not (-PV_ESRCH); dom other than itself is
 * -PV_EPERM (no VM may offer another's port). */
static void alloc_unbound_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    bool dom_self, remote_self;
    arg[0] = one_in(4) ? some_dom(&dom_self) : (dom_self = true, PV_DOMID_SELF);
    arg[1] = one_in(4) ? some_dom(&remote_self) : (remote_self = true, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    arg[2] = rnd();
    uint32_t port = 0;
    c->want = !dom_self ? -PV_EPERM : !remote_self ? -PV_ESRCH
              : (port = bind_port(PV_EVTCHNSTAT_unbound, 0)) ? 0 : -PV_ENOSPC;
    predict_out(c, arg, 3, 2, &port);
}

/* bind_interdomain: mostly to a port the VM offered itself (the loopback,
 * which must bind: its new port pending), else to any kind of port or a
 * VM there is not. */
static void bind_interdomain_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 3);
    if (!arg)
        return;
    uint32_t remote = some_port();
    if (!one_in(4))
        for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
            if (ports[p].status == PV_EVTCHNSTAT_unbound) {
                remote = p;
                break;
            }
    bool self;
    arg[0] = one_in(4) ? some_dom(&self) : (self = true, one_in(2) ? PV_DOMID_SELF : SELF_ID);
    arg[1] = remote, arg[2] = rnd();
    uint32_t port = 0;
    if (!self)
        c->want = -PV_ESRCH;
    else if (!valid_port(remote) || ports[remote].status != PV_EVTCHNSTAT_unbound)
        c->want = -PV_EINVAL;
    else if (!(port = bind_port(PV_EVTCHNSTAT_interdomain, (uint16_t)remote)))
        c->want = -PV_ENOSPC;
    else {
        c->want = 0;
        ports[port].pending = 1;                    /* a send made before the bind is not lost */
        ports[remote] = (struct port_model){ PV_EVTCHNSTAT_interdomain, ports[remote].pending, (uint16_t)port };
        loopbacks++;
    }
    predict_out(c, arg, 3, 2, &port);
}

static void status_call(struct call *c)
{
    uint32_t *arg = out_arg(c, 4);
    if (!arg)
        return;
    uint32_t port = some_port(), out[3] = { 0 };
    arg[0] = port, arg[1] = rnd(), arg[2] = rnd(), arg[3] = rnd();
    c->want = valid_port(port) ? 0 : -PV_EINVAL;
    if (c->want == 0)
        status_words(port, out), statuses++;
    predict_out(c, arg, 4, 1, out);
}

/* close, send, unmask: they only read their argument (a read-only one
 * will do). */
static void port_call(struct call *c, uint32_t cmd)
{
    uint32_t *arg = one_in(8) ? NULL : arena_alloc(4), port;
    if (arg) {
        *arg = port = some_port();
        c->arg[1] = (uint32_t)arg;
    } else if (one_in(2)) {
        c->arg[1] = read_only_pointer();
        port = *(const uint32_t *)c->arg[1];
    } else {
        c->arg[1] = bad_pointer();
        c->want = -PV_EFAULT;
        return;
    }
    if (port == timer_port && cmd == PV_EVTCHNOP_close)
        cmd = c->arg[0] = PV_EVTCHNOP_unmask;        /* the block needs it */
    c->want = port_error(port);
    if (c->want)
        return;
    if (cmd == PV_EVTCHNOP_close)
        close_in_model(port);
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_virq)
        c->want = -PV_EINVAL;                   /* a VIRQ's events are the hypervisor's to send */
    else if (cmd == PV_EVTCHNOP_send && ports[port].status == PV_EVTCHNSTAT_interdomain)
        ports[ports[port].remote_port].pending = 1;
}

static uint32_t bound_ports(void)
{
    uint32_t n = 0;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        n += ports[p].status != PV_EVTCHNSTAT_closed;
    return n;
}

static void event_call(struct call *c)
{
    uint32_t cmd = (uint32_t[]){ PV_EVTCHNOP_bind_virq, PV_EVTCHNOP_close, PV_EVTCHNOP_send, PV_EVTCHNOP_unmask,
                                 PV_EVTCHNOP_alloc_unbound, PV_EVTCHNOP_bind_interdomain, PV_EVTCHNOP_status,
                                 PV_EVTCHNOP_close, 2, 7, 99 }[below(11)];
    *c = (struct call){ PV_event_channel_op, { cmd, 0, rnd(), rnd(), rnd() }, -PV_ENOSYS, { NULL } };
    switch (cmd) {
    case PV_EVTCHNOP_bind_virq: bind_virq_call(c); break;
    case PV_EVTCHNOP_alloc_unbound: alloc_unbound_call(c); break;
    case PV_EVTCHNOP_bind_interdomain: bind_interdomain_call(c); break;
    case PV_EVTCHNOP_status: status_call(c); break;
    case PV_EVTCHNOP_close: case PV_EVTCHNOP_send: case PV_EVTCHNOP_unmask: port_call(c, cmd); break;
    default: c->arg[1] = rnd();             /* no such command */
    }
}

/* Each port's status as the model has it, asked of the hypervisor, up
 * to a few past the highest the model has bound (binds take the lowest
 * free: a port bound that the model does not know of shows in the next
 * bind's number), and the pending bits of the ports between VMs. The deep
 * check's: these VMCALLs are checks, not the fuzz's count. */
static void check_ports(void)
{
    const uint32_t *pending = shared_info()->evtchn_pending;
    uint32_t last = 1;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS; p++)
        if (ports[p].status != PV_EVTCHNSTAT_closed)
            last = p;
    for (uint32_t p = 1; p < PV_NR_EVENT_CHANNELS && p <= last + 16; p++) {
        struct pv_evtchn_status st = { p, 0, 0, 0 };
        struct call asked = { PV_event_channel_op, { PV_EVTCHNOP_status, (uint32_t)&st, p }, 0, { NULL } };
        uint32_t want[3];
        status_words(p, want);
        int32_t r = vmcall3(PV_event_channel_op, PV_EVTCHNOP_status, (uint32_t)&st, 0);
        if (r || st.status != want[0] || st.remote_dom != want[1] || st.remote_port != want[2])
            wrong("a port's status (the third: its number; status << 16 | remote_port)", &asked,
                  want[0] << 16 | want[2], r ? (uint32_t)r : st.status << 16 | st.remote_port);
        bool linked = want[0] == PV_EVTCHNSTAT_unbound || want[0] == PV_EVTCHNSTAT_interdomain;
        if (linked && !!(pending[p / 32] & 1u << p % 32) != ports[p].pending)
            wrong("a port's pending bit", &asked, ports[p].pending, !ports[p].pending);
    }
}

/* ---- grant_table_op: one VM has no one to grant to ---- */

/* Every grant is refused (bad_domain: to itself, or to a VM there is
 * not), so the model's grant table is empty and stays so: every end is
 * bad_gntref, every map bad_domain (no other VM's refs), every unmap
 * bad_handle (no mapping), flags other than readonly general_error first.
 * A map names a free page of the window: one the hypervisor wrongly made
 * shows in check_model. */
static int32_t grant_op(uint32_t cmd, uint32_t *w)
{
    uint32_t flags = one_in(4) ? rnd() & 0xFF : one_in(2) ? PV_GNTMAP_readonly : 0;
    bool bad_flags = flags & ~PV_GNTMAP_readonly;
    uint32_t doms[] = { SELF_ID, PV_DOMID_SELF, 1 + below(GNT_DOMIDS), rnd() };
    uint32_t ref = one_in(4) ? rnd() : below(PV_NR_GRANT_REFS + 2);
    uint32_t k = below(WINDOW_ENTRIES), page = one_in(4) ? rnd() : (FUZZ_SLOT << 22) + k * 4096;
    switch (cmd) {
    case PV_GNTTABOP_grant_foreign_access: {
        uint32_t mfns[] = { arena_mfn[below(ARENA_PAGES)], ro_mfn, l1_mfn, FRAME_NOT_OURS, rnd() };
        w[0] = ref, w[1] = doms[below(4)], w[2] = mfns[below(5)], w[3] = flags;
        return bad_flags ? PV_GNTST_general_error : PV_GNTST_bad_domain;
    }
    case PV_GNTTABOP_end_foreign_access:
        w[0] = ref;
        return PV_GNTST_bad_gntref;
    case PV_GNTTABOP_map_grant_ref:
        w[0] = page, w[1] = flags, w[2] = ref, w[3] = doms[below(4)], w[5] = rnd();
        return bad_flags ? PV_GNTST_general_error : PV_GNTST_bad_domain;
    default:                                /* unmap: a handle is granter * refs + ref */
        w[0] = page, w[1] = one_in(2) ? below(GNT_DOMIDS * PV_NR_GRANT_REFS) : rnd();
        return PV_GNTST_bad_handle;
    }
}

static void grant_call(struct call *c)
{
    static const uint32_t cmds[] = { PV_GNTTABOP_grant_foreign_access, PV_GNTTABOP_end_foreign_access,
                                     PV_GNTTABOP_map_grant_ref, PV_GNTTABOP_unmap_grant_ref };
    static const uint8_t words_of[] = { 5, 2, 6, 3 }, status_at[] = { 4, 1, 4, 2 };
    uint32_t kind = below(4), cmd = cmds[kind], words = words_of[kind];
    uint32_t n = one_in(16) ? (one_in(2) ? 0 : PV_GNTTAB_MAX_OPS + 1 + below(100)) : 1 + below(PV_GNTTAB_MAX_OPS);
    *c = (struct call){ PV_grant_table_op, { cmd, 0, n, rnd(), rnd() }, 0, { NULL } };
    if (one_in(16)) {
        c->arg[0] = one_in(2) ? 2 + below(14) : rnd();
        if (c->arg[0] == cmd || c->arg[0] <= 1 || c->arg[0] == 16 || c->arg[0] == 17)
            c->arg[0] = 18;
        kind = 4;                           /* no such command */
    }
    uint32_t readable = n <= PV_GNTTAB_MAX_OPS ? n : 0;
    uint8_t *at = NULL;
    if (readable && one_in(8)) {
        readable = below(n);
        at = tail_in_guard(readable, words * 4);
    }
    if (!at) {
        readable = n <= PV_GNTTAB_MAX_OPS ? n : 0;
        at = readable ? arena_alloc(readable * words * 4) : NULL;
    }
    uint32_t *want = at ? arena_alloc(readable * words * 4) : NULL;
    if (!want)
        readable = 0;
    c->arg[1] = want ? (uint32_t)at : one_in(2) ? read_only_pointer() : bad_pointer();
    if (kind == 4 || n == 0 || n > PV_GNTTAB_MAX_OPS) {
        c->want = -PV_EINVAL;               /* before any op is read */
        return;
    }
    if (readable < n)
        c->want = -PV_EFAULT;               /* read-only: the first op's status cannot be written */
    for (uint32_t i = 0; i < readable; i++) {
        uint32_t *w = (uint32_t *)at + i * words;
        for (uint32_t j = 0; j < words; j++)
            w[j] = rnd();
        int32_t status = grant_op(cmd, w);
        memcpy(want + i * words, w, words * 4);
        want[i * words + status_at[kind]] = (uint32_t)status;
        grant_ops++;
    }
    c->after.out = (const uint32_t *)at, c->after.out_want = want, c->after.out_words = readable * words;
}

static void console_call(struct call *c)
{
    uint32_t *buf = arena_alloc(64);
    switch (below(5)) {
    case 0:
        *c = (struct call){ PV_console_io, { PV_CONSOLEIO_write, 0, rnd(), rnd(), rnd() }, 0, { NULL } };
        break;
    case 1:
        *c = (struct call){ PV_console_io, { PV_CONSOLEIO_write, 4097 + (rnd() & 0xFFFF), buf ? (uint32_t)buf : 0,
                                             rnd(), rnd() }, -PV_EINVAL, { NULL } };
        break;
    case 2:
        *c = (struct call){ PV_console_io, { PV_CONSOLEIO_write, 1 + below(4096), bad_pointer(), rnd(), rnd() },
                            -PV_EFAULT, { NULL } };
        break;
    case 3:                         /* nothing typed: 0 bytes, whatever the buffer */
        *c = (struct call){ PV_console_io, { PV_CONSOLEIO_read, below(65), buf ? (uint32_t)buf : bad_pointer(),
                                             rnd(), rnd() }, 0, { NULL } };
        break;
    default:
        *c = (struct call){ PV_console_io, { 2 + below(1000), rnd(), rnd(), rnd(), rnd() }, -PV_EINVAL, { NULL } };
    }
}

static void sched_call(struct call *c)
{
    struct pv_sched_shutdown *s = arena_alloc(sizeof(*s));
    switch (below(4)) {
    case 0:
        *c = (struct call){ PV_sched_op, { PV_SCHEDOP_yield, rnd(), rnd(), rnd(), rnd() }, 0, { NULL } };
        break;
    case 1:
        *c = (struct call){ PV_sched_op, { PV_SCHEDOP_shutdown, bad_pointer(), rnd(), rnd(), rnd() }, -PV_EFAULT,
                            { NULL } };
        break;
    case 2:                         /* a reason there is none of */
        if (s)
            *s = (struct pv_sched_shutdown){ 4 + below(1000), rnd() };
        *c = (struct call){ PV_sched_op, { PV_SCHEDOP_shutdown, s ? (uint32_t)s : bad_pointer(), rnd(), rnd(),
                                           rnd() }, s ? -PV_EINVAL : -PV_EFAULT, { NULL } };
        break;
    default:
        *c = (struct call){ PV_sched_op, { 3 + below(100), rnd(), rnd(), rnd(), rnd() }, -PV_EINVAL, { NULL } };
    }
}

/* vcpu_op: the periodic timer set (a second or more: the fuzz is not to
 * drown in upcalls), refused or stopped; unknown commands and vCPUs. */
static void vcpu_call(struct call *c)
{
    struct pv_vcpu_set_periodic_timer *set = arena_alloc(sizeof(*set));
    uint64_t periods[] = { rnd() % PV_PERIODIC_MIN_NS, 1000 * PV_PERIODIC_MIN_NS + rnd(),
                           PV_PERIODIC_MAX_NS + 1 + rnd(), PV_PERIODIC_MAX_NS };
    uint32_t cmd = one_in(4) ? rnd() : PV_VCPUOP_set_periodic_timer + below(2);
    uint32_t vcpu = one_in(4) ? rnd() : 0, kind = below(4), arg = set && !one_in(4) ? (uint32_t)set : bad_pointer();
    if (set)
        set->period_ns = periods[kind];
    int32_t want;
    if (cmd != PV_VCPUOP_set_periodic_timer && cmd != PV_VCPUOP_stop_periodic_timer)
        want = -PV_ENOSYS;
    else if (vcpu != 0)
        want = -PV_ENOENT;
    else if (cmd == PV_VCPUOP_stop_periodic_timer)
        want = 0;
    else if (arg != (uint32_t)set)
        want = -PV_EFAULT;
    else
        want = kind == 0 || kind == 2 ? -PV_EINVAL : 0;
    *c = (struct call){ PV_vcpu_op, { cmd, vcpu, arg, rnd(), rnd() }, want, { NULL } };
}

/* A number with no call: unknown rows, past the table, negative. */
static void unknown_call(struct call *c)
{
    static const uint8_t rows[] = { 0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 16, 19, 21, 22, 23, 25, 27, 28, 34,
                                    30, 31, 33, 40, 50, 63 };
    uint32_t op;
    switch (below(4)) {
    case 0: op = PV_NR_HYPERCALLS + (rnd() & 0xFFFF); break;
    case 1: op = 0x80000000u | rnd(); break;            /* negative */
    case 2: op = 0xFFFFFFFFu - below(16); break;
    default: op = rows[below(sizeof(rows))];
    }
    *c = (struct call){ op, { rnd(), rnd(), rnd(), rnd(), rnd() }, -PV_ENOSYS, { NULL } };
}

static void simple_call(struct call *c)
{
    switch (below(14)) {
    case 0: case 1: batch_call(c, false); break;
    case 12: grant_call(c); break;
    case 2: batch_call(c, true); break;
    case 3: update_va_call(c); break;
    case 4: memory_op_call(c); break;
    case 5: event_call(c); break;
    case 6: console_call(c); break;
    case 7: sched_call(c); break;
    case 8: unknown_call(c); break;
    case 9:
        *c = (struct call){ PV_set_timer_op, { rnd(), one_in(2) ? 0 : rnd(), rnd(), rnd(), rnd() }, 0, { NULL } };
        break;
    case 11: vcpu_call(c); break;
    case 10: {
        uint32_t cmd = one_in(2) ? PV_XENVER_version : rnd();
        *c = (struct call){ PV_xen_version, { cmd, rnd(), rnd(), rnd(), rnd() },
                            cmd == PV_XENVER_version ? (int32_t)PV_VERSION : -PV_EINVAL, { NULL } };
        break;
    }
    default:
        *c = (struct call){ PV_set_callbacks, { rnd() & 0x1FF, rnd(), rnd(), rnd(), rnd() }, ANY, { NULL } };
    }
}

/* ---- checking ---- */
static void count_result(int32_t r)
{
    if (r >= 0)
        r == 0 ? by_code[0]++ : positive++;
    else if (r > -40)
        by_code[-r]++;
    else
        anything_else++;
}

static bool matches(int32_t want, int32_t got)
{
    return want == ANY || (want == ANY_ERR ? got < 0 : want == got);
}

static void wrong(const char *what, const struct call *c, uint32_t want, uint32_t got)
{
    if (++failures <= 8)
        printf("pvtest: FAILED fuzz call %u: %s: op 0x%x (0x%x 0x%x 0x%x 0x%x) wanted 0x%x got 0x%x\n", calls, what,
               c->op, c->arg[0], c->arg[1], c->arg[2], c->arg[3], want, got);
}

static void check_call(const struct call *c, int32_t got)
{
    count_result(got);
    if (!matches(c->want, got))
        wrong("result", c, (uint32_t)c->want, (uint32_t)got);
    if (c->after.done && *c->after.done != c->after.done_want)
        wrong("*done", c, c->after.done_want, *c->after.done);
    for (uint32_t i = 0; i < c->after.out_words; i++)
        if (c->after.out[i] != c->after.out_want[i]) {
            wrong("an OUT word (or one it must leave)", c, c->after.out_want[i], c->after.out[i]);
            break;
        }
}

static uint32_t sum_words(const uint32_t *p, uint32_t words, uint32_t mask)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < words; i++)
        s = (s << 5 | s >> 27) ^ (p[i] & mask);
    return s;
}

extern const char pvcases_end[];

static uint32_t text_checksum(void)
{
    return sum_words((const uint32_t *)0xC0100000u, ((uint32_t)pvcases_end - 0xC0100000u) / 4, ~0u);
}

static uint32_t tables_checksum(void)
{
    return sum_words((const uint32_t *)start_info->pt_base, start_info->nr_pt_frames * 1024, ~CPU_SET);
}

/* What the model says the kernel holds (every call). */
static void check_model(const struct call *c)
{
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    for (uint32_t k = 0; k < WINDOW_ENTRIES; k++)
        if ((fuzz_l1[k] & ~CPU_SET) != (model_l1[k] & ~CPU_SET) &&
            ((fuzz_l1[k] & P) || (model_l1[k] & P) || fuzz_l1[k] != model_l1[k]))
            wrong("window entry", c, model_l1[k], fuzz_l1[k]);
    for (uint32_t j = 0; j < ARENA_PAGES; j++)
        if (m2p[arena_mfn[j]] != model_m2p[j])
            wrong("M2P entry", c, model_m2p[j], m2p[arena_mfn[j]]);
    if (data_canary != CANARY)
        breach("fuzz: .data's canary 0x%x after call %u", data_canary, calls);
}

/* Every DEEP_EVERY calls: the kernel's code and tables, and each window
 * page read through the window (a stale TLB entry reads the old page). */
static void deep_check(const struct call *c)
{
    deep_checks++;
    check_ports();
    if (text_checksum() != text_sum)
        breach("fuzz: .text/.rodata changed by call %u", calls);
    if (tables_checksum() != tables_sum)
        breach("fuzz: the initial page tables changed by call %u", calls);
    for (uint32_t k = 0; k < WINDOW_ENTRIES; k++) {
        uint32_t e = model_l1[k];
        if (!(e & P))
            continue;
        uint32_t mfn = e >> 12, want = 0;
        if (mfn == ro_mfn)
            want = ro_page[k];
        else if (mfn == l1_mfn)
            want = fuzz_l1[k];
        else if (mfn == dir_mfn)
            want = ((const uint32_t *)start_info->pt_base)[k];
        else
            for (uint32_t j = 0; j < ARENA_PAGES; j++)
                if (mfn == arena_mfn[j])
                    want = ((const uint32_t *)region[j])[k];
        uint32_t seen = WINDOW[k * 1024 + k];
        if ((seen & ~CPU_SET) != (want & ~CPU_SET))     /* this read may set A in a table it maps */
            wrong("read through the window", c, want, seen);
    }
}

/* ---- running calls ---- */
static int32_t run(const struct call *c)
{
    vmcalls++;
    return vmcall5(c->op, c->arg[0], c->arg[1], c->arg[2], c->arg[3], c->arg[4]);
}

static void one_simple(void)
{
    struct call c;
    simple_call(&c);
    calls++;
    check_call(&c, run(&c));
    check_model(&c);
}

#define MAX_ENTRIES 400u

/* A multicall: entries of simple calls (a nested multicall and a block
 * are refused in their entries), sometimes a long list of xen_version,
 * its list sometimes unreadable or its tail in the guard page. */
static void one_multicall(void)
{
    static struct call entry_calls[MAX_ENTRIES];
    uint32_t n = one_in(64) ? PV_WORK_PER_EXIT + below(MAX_ENTRIES - PV_WORK_PER_EXIT) : 1 + below(8);
    uint32_t size = sizeof(struct pv_multicall_entry), readable = n;
    /* Where the list goes first, so that only the entries the hypervisor
     * can read are predicted (and change the model). */
    uint8_t *at = NULL;
    if (n <= 8 && one_in(16)) {
        readable = below(n);
        at = tail_in_guard(readable, size);
    }
    if (!at) {
        readable = n;
        at = arena_alloc(n * size);
    }
    uint32_t list = (uint32_t)at;
    if (!at || one_in(32))
        list = bad_pointer(), readable = 0;
    in_multicall = true;
    for (uint32_t i = 0; i < readable; i++) {
        struct call *c = &entry_calls[i];
        if (n > 8)
            *c = (struct call){ PV_xen_version, { PV_XENVER_version }, (int32_t)PV_VERSION, { NULL } };
        else if (one_in(8))
            *c = (struct call){ PV_multicall, { rnd(), rnd() }, -PV_EINVAL, { NULL } };
        else if (one_in(8))
            *c = (struct call){ PV_sched_op, { PV_SCHEDOP_block }, -PV_EINVAL, { NULL } };
        else
            simple_call(c);
        struct pv_multicall_entry *e = (struct pv_multicall_entry *)(list + i * size);
        *e = (struct pv_multicall_entry){ c->op, 0x7EEEEEEE, { 0 } };
        memcpy(e->args, c->arg, sizeof(c->arg));
    }
    in_multicall = false;
    struct call whole = { PV_multicall, { list, n }, readable < n ? -PV_EFAULT : 0, { NULL } };
    int32_t r = run(&whole);
    calls++;
    check_call(&whole, r);
    for (uint32_t i = 0; i < readable; i++) {
        const struct pv_multicall_entry *e = (const struct pv_multicall_entry *)(list + i * size);
        calls++;
        check_call(&entry_calls[i], e->result);
    }
    check_model(&whole);
}

/* sched_op block, with the timer due in 50-500 us: it must come back. */
static void one_block(void)
{
    struct call c = { PV_set_timer_op, { 0 }, 0, { NULL } };
    uint64_t due = pv_now() + 50000 + below(450000);
    c.arg[0] = (uint32_t)due, c.arg[1] = (uint32_t)(due >> 32);
    calls++;
    check_call(&c, run(&c));
    struct call b = { PV_sched_op, { PV_SCHEDOP_block, rnd(), rnd(), rnd(), rnd() }, 0, { NULL } };
    calls++;
    check_call(&b, run(&b));
    shared_info()->vcpu_info[0].evtchn_upcall_mask = 1;     /* block cleared it; IF stays 0 anyway */
}

/* A page of the kernel's made read-only in its direct map. */
static void read_only(void *page)
{
    if (vmcall3(PV_update_va_mapping, (uint32_t)page, virt_to_mfn(page) << 12 | P | A, PV_UVMF_INVLPG))
        result("FAILED making 0x%x read-only", (uint32_t)page);
}

static void set_up(void)
{
    dir_mfn = virt_to_mfn((const void *)start_info->pt_base);
    l1_mfn = virt_to_mfn(fuzz_l1), spare_mfn = virt_to_mfn(spare_l1), ro_mfn = virt_to_mfn(ro_page);
    guard_mfn = virt_to_mfn(region[ARENA_PAGES]);
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    for (uint32_t j = 0; j < ARENA_PAGES; j++) {
        arena_mfn[j] = virt_to_mfn(region[j]);
        model_m2p[j] = m2p[arena_mfn[j]];
    }
    for (uint32_t i = 0; i < 1024; i++)
        ro_page[i] = FRAME_NOT_OURS << 12 | P;
    read_only(ro_page);
    read_only(fuzz_l1);
    read_only(spare_l1);
    struct pv_mmu_update install = { dir_mfn << 12 | FUZZ_SLOT * 4, l1_mfn << 12 | P | RW };
    if (vmcall5(PV_mmu_update, (uint32_t)&install, 1, 0, PV_DOMID_SELF, 0))
        result("FAILED installing the window's L1");
    if (vmcall3(PV_update_va_mapping, GUARD, 0, PV_UVMF_INVLPG))
        result("FAILED unmapping the guard page");
    if (evtchn_bind_virq(PV_VIRQ_TIMER, &timer_port) || evtchn_port_op(PV_EVTCHNOP_unmask, timer_port))
        result("FAILED binding the timer");
    ports[start_info->console_evtchn] = (struct port_model){ PV_EVTCHNSTAT_console, 0, 0 };
    ports[timer_port] = (struct port_model){ PV_EVTCHNSTAT_virq, 0, PV_VIRQ_TIMER };
    text_sum = text_checksum();
    tables_sum = tables_checksum();
}

PV_CASE(fuzz, "fuzz", "random hypercalls (seed=S count=N), each result and the kernel's state checked against "
        "a model; a summary by result code")
{
    __asm__ volatile("cli" ::: "memory");
    uint32_t seed = cmdline_number(pv_cmdline, "seed=", 1), count = cmdline_number(pv_cmdline, "count=", 2000);
    rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32 | seed);
    set_up();
    uint64_t start = pv_now();
    uint32_t stack_canary = CANARY ^ seed, next_deep = DEEP_EVERY;
    struct call none = { 0, { 0 }, 0, { NULL } };
    while (vmcalls < count) {          /* count VMCALLs; a multicall's entries come on top */
        arena_used = 0, arena_top = ARENA_BYTES;
        if (one_in(16))
            one_multicall();
        else if (one_in(512))
            one_block();
        else
            one_simple();
        if (calls >= next_deep) {
            deep_check(&none);
            next_deep += DEEP_EVERY;
        }
    }
    deep_check(&none);
    printf("pvtest: fuzz: %u calls (%u VMCALLs, the rest multicall entries) in %u ms of system time\n", calls, vmcalls,
           (uint32_t)((pv_now() - start) / 1000000));
    if (stack_canary != (CANARY ^ seed))
        breach("fuzz: the stack's canary changed");
    printf("pvtest: fuzz: results 0: %u, positive: %u", by_code[0], positive);
    for (uint32_t e = 1; e < 40; e++)
        if (by_code[e])
            printf(", -%u: %u", e, by_code[e]);
    printf(", other: %u\n", anything_else);
    printf("pvtest: fuzz: %u grant ops, %u loopbacks bound, %u statuses, ports bound at the end %u\n", grant_ops,
           loopbacks, statuses, bound_ports());
    result("fuzz: %u calls, seed %u, %u wrong, %u deep checks, spare pinned %u", calls, seed, failures,
           deep_checks, spare_pinned);
}
