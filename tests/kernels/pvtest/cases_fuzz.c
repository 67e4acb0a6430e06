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
 * With peer=1, beside a partner VM that offers it a fixed set and stays
 * still (fuzz.h), the calls between them for real: the partner's grants
 * mapped and unmapped (in the window, or in a second window at SPARE_SLOT
 * whose L1 comes and goes), read and written through, its own granted and
 * revoked, the partner's ports bound to; and at the end the partner's
 * report of its side judged (fuzz_peer.c).
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
 *
 * This file: the driver, the checking, and the kernel's tables (the
 * model, the MMU calls and the others that change nothing between VMs);
 * fuzz.h lists the other files.
 */
#include "events.h"
#include "fuzz.h"
#include "pvtest.h"
#include "string.h"

#define DEEP_EVERY 4096u
#define CANARY 0xC0FFEE11u

uint32_t fuzz_l1[1024] __attribute__((aligned(4096)));    /* the window's L1 */
uint32_t spare_l1[1024] __attribute__((aligned(4096)));   /* pinned and unpinned */
static volatile uint32_t data_canary = CANARY;

/* ---- the model ---- */
uint32_t model_l1[WINDOW_ENTRIES];
static uint32_t model_m2p[ARENA_PAGES];
static bool spare_pinned, dir_pinned = true, in_multicall;
static bool hooked;                     /* peer=1: the spare is the second window's L1 (SPARE_SLOT) */
static uint32_t hooks, cleanings;
uint32_t spare_model[WINDOW_ENTRIES];   /* ... and its entries: grants' only */
uint32_t dir_mfn, l1_mfn, spare_mfn, ro_mfn, arena_mfn[ARENA_PAGES], guard_mfn;
bool peer;

bool spare_hooked(void)
{
    return hooked;
}

bool spare_is_table(void)
{
    return spare_pinned || hooked;
}

/* The spare holds grants' entries while it is no table: its release took
 * their references (section 10), and no validation takes the mark again,
 * so it can be neither hooked nor pinned again. */
static bool spare_stale(void)
{
    bool marks = false;
    for (uint32_t k = 0; k < WINDOW_ENTRIES; k++)
        marks |= (spare_model[k] & PV_GNTTAB_PTE) != 0;
    return marks && !spare_is_table();
}

/* The window entry that maps the spare writable, WINDOW_ENTRIES if none. */
static uint32_t spare_writable_at(void)
{
    for (uint32_t k = 0; k < WINDOW_ENTRIES; k++)
        if ((model_l1[k] & (P | RW)) == (P | RW) && model_l1[k] >> 12 == spare_mfn)
            return k;
    return WINDOW_ENTRIES;
}

/* Whether the spare can become a table: not while the partner or the
 * window maps it writable, nor stale. */
static int32_t spare_refusal(void)
{
    return peer && (spare_held() || spare_stale() || spare_writable_at() < WINDOW_ENTRIES) ? -PV_EINVAL : 0;
}

/* A stale spare's grants' entries cleared through the window, where it
 * maps the spare writable: it can be a table again (section 10: the
 * entries' references went with its release). */
static void clean_spare(void)
{
    uint32_t k = spare_writable_at();
    if (!spare_stale() || k == WINDOW_ENTRIES)
        return;
    for (uint32_t j = 0; j < WINDOW_ENTRIES; j++)
        WINDOW[k * 1024 + j] = spare_model[j] = 0;
    cleanings++;
}

uint32_t not_ours(void)
{
    return peer && one_in(2) ? partner_frame() : FRAME_NOT_OURS;
}

/* A grant's entry (section 10): the MMU calls may not touch it. */
static bool is_grant(uint32_t e)
{
    return (e & (P | PV_GNTTAB_PTE)) == (P | PV_GNTTAB_PTE);
}

/* ---- the run's counts ---- */
static uint32_t calls, vmcalls, failures, deep_checks, by_code[40], positive, anything_else;
static uint32_t text_sum, tables_sum;

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
    if (peer && one_in(spare_stale() ? 4 : 32))    /* the spare: writable only while no table (clean_spare's way) */
        return (struct entry_choice){ spare_mfn << 12 | flags, expect(!(flags & RW) || !spare_is_table(), -PV_EINVAL) };
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
        return (struct entry_choice){ not_ours() << 12 | flags, -PV_EINVAL };
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
enum { CHANGES_NOTHING, SETS_L1, SETS_M2P, PINS_SPARE, UNPINS_SPARE, PINS_DIR, UNPINS_DIR, HOOKS_SPARE,
       UNHOOKS_SPARE };

/* peer=1: the spare hooked at SPARE_SLOT (the second window, where grants
 * are mapped too) or unhooked (released, unless pinned). */
static struct request spare_hook_request(void)
{
    uint32_t ptr = dir_mfn << 12 | SPARE_SLOT * 4;
    if (one_in(2))
        return (struct request){ ptr, 0, 0, UNHOOKS_SPARE, 0 };
    return (struct request){ ptr, spare_mfn << 12 | P | RW, hooked ? 0 : spare_refusal(), HOOKS_SPARE, 0 };
}

static struct request mmu_request(void)
{
    if (peer && one_in(16))
        return spare_hook_request();
    uint32_t k = below(WINDOW_ENTRIES);
    switch (below(8)) {
    case 0: case 1: case 2: {
        struct entry_choice e = window_value();
        return (struct request){ l1_mfn << 12 | k * 4, e.val, is_grant(model_l1[k]) ? -PV_EBUSY : e.want,
                                 SETS_L1, k };
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
    {
        uint32_t frame = not_ours();
        return (struct request){ frame << 12 | (one_in(2) ? PV_MMU_MACHPHYS_UPDATE : 0), rnd(), -PV_EINVAL, 0, 0 };
    }
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
        /* (peer=1: the partner maps it writable at first: not a table then) */
        return (struct request){ PV_MMUEXT_PIN_L1_TABLE, spare_mfn,
                                 spare_pinned ? -PV_EEXIST : spare_refusal(), PINS_SPARE, 0 };
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
                                 one_in(2) ? arena_mfn[below(ARENA_PAGES)] : not_ours(), -PV_EINVAL, 0, 0 };
    case 8:
        return (struct request){ PV_MMUEXT_NEW_BASEPTR, one_in(2) ? not_ours() : ro_mfn, -PV_EINVAL, 0, 0 };
    default:
        return (struct request){ 8 + below(100), rnd(), -PV_EINVAL, 0, 0 };
    }
}

static void apply(const struct request *r)
{
    bool table = spare_is_table();
    switch (r->kind) {
    case SETS_L1: model_l1[r->index] = r->b; break;
    case SETS_M2P: model_m2p[r->index] = r->b; break;
    case PINS_SPARE: spare_pinned = true; break;
    case UNPINS_SPARE: spare_pinned = false; break;
    case PINS_DIR: dir_pinned = true; break;
    case UNPINS_DIR: dir_pinned = false; break;
    case HOOKS_SPARE: hooks += !hooked, hooked = true; break;
    case UNHOOKS_SPARE: hooked = false; break;
    }
    if (table && !spare_is_table())
        grants_released();          /* the spare released: the grants' entries in it with it */
}

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
                        flags > 2 ? -PV_EINVAL : is_grant(model_l1[k]) ? -PV_EBUSY : e.want, { NULL } };
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
    if (peer && one_in(3)) {            /* the calls between the VMs, more often */
        one_in(2) ? grant_call(c) : event_call(c);
        return;
    }
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

void wrong(const char *what, const struct call *c, uint32_t want, uint32_t got)
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

extern const char pvcases_end[];

static uint32_t text_checksum(void)
{
    return sum_words((const uint32_t *)0xC0100000u, ((uint32_t)pvcases_end - 0xC0100000u) / 4, ~0u);
}

/* The initial tables (A and D aside), the directory's SPARE_SLOT entry
 * aside too: check_model checks it. */
static uint32_t tables_checksum(void)
{
    const uint32_t *t = (const uint32_t *)start_info->pt_base;
    uint32_t s = 0;
    for (uint32_t i = 0; i < start_info->nr_pt_frames * 1024; i++)
        s = (s << 5 | s >> 27) ^ (i == SPARE_SLOT ? 0 : t[i] & ~CPU_SET);
    return s;
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
    uint32_t hook = hooked ? spare_mfn << 12 | P | RW : 0;
    if ((((const uint32_t *)start_info->pt_base)[SPARE_SLOT] ^ hook) & ~CPU_SET)
        wrong("the second window's directory entry", c, hook, ((const uint32_t *)start_info->pt_base)[SPARE_SLOT]);
    for (uint32_t k = 0; peer && k < WINDOW_ENTRIES; k++)
        if ((spare_l1[k] ^ spare_model[k]) & ~CPU_SET)
            wrong("second window entry", c, spare_model[k], spare_l1[k]);
    if (data_canary != CANARY)
        breach("fuzz: .data's canary 0x%x after call %u", data_canary, calls);
}

/* Every DEEP_EVERY calls: the kernel's code and tables, and each window
 * page read through the window (a stale TLB entry reads the old page). */
static void deep_check(const struct call *c)
{
    deep_checks++;
    check_ports();
    if (peer)
        check_partner_m2p();
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
        else if (mfn == spare_mfn)
            want = spare_l1[k];
        else if (grant_page_word(mfn, k, &want))
            ;                                   /* a page of the partner's */
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

void read_only(void *page)
{
    if (vmcall3(PV_update_va_mapping, (uint32_t)page, virt_to_mfn(page) << 12 | P | A, PV_UVMF_INVLPG))
        result("FAILED making 0x%x read-only", (uint32_t)page);
}

void window_install(uint32_t *l1)
{
    read_only(l1);
    struct pv_mmu_update install = { dir_mfn << 12 | FUZZ_SLOT * 4, virt_to_mfn(l1) << 12 | P | RW };
    if (vmcall5(PV_mmu_update, (uint32_t)&install, 1, 0, PV_DOMID_SELF, 0))
        result("FAILED installing the window's L1");
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
    read_only(spare_l1);
    window_install(fuzz_l1);
    if (vmcall3(PV_update_va_mapping, GUARD, 0, PV_UVMF_INVLPG))
        result("FAILED unmapping the guard page");
    uint32_t timer_port;
    if (evtchn_bind_virq(PV_VIRQ_TIMER, &timer_port) || evtchn_port_op(PV_EVTCHNOP_unmask, timer_port))
        result("FAILED binding the timer");
    ports_start(start_info->console_evtchn, timer_port);
    text_sum = text_checksum();
    tables_sum = tables_checksum();
}

PV_CASE(fuzz, "fuzz", "random hypercalls (seed=S count=N; peer=1: vm1 runs fuzz-partner), each result and the "
        "kernel's state checked against a model; a summary by result code")
{
    __asm__ volatile("cli" ::: "memory");
    uint32_t seed = cmdline_number(pv_cmdline, "seed=", 1), count = cmdline_number(pv_cmdline, "count=", 2000);
    peer = cmdline_number(pv_cmdline, "peer=", 0);
    fuzz_seed(seed);
    set_up();
    if (peer)
        peer_meet();
    uint64_t start = pv_now();
    uint32_t stack_canary = CANARY ^ seed, next_deep = DEEP_EVERY;
    struct call none = { 0, { 0 }, 0, { NULL } };
    while (vmcalls < count) {          /* count VMCALLs; a multicall's entries come on top */
        arena_reset();
        if (one_in(16))
            one_multicall();
        else if (one_in(512))
            one_block();
        else if (peer && one_in(8))
            spare_stale() && one_in(2) ? clean_spare() : grant_access();
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
    if (peer) {
        printf("pvtest: fuzz: the second window: hooked %u times, %u grants mapped there, cleaned %u times, the "
               "spare %s at the end\n", hooks, window2_maps, cleanings,
               spare_stale() ? "released holding grants' entries" : hooked ? "hooked" : "free");
        peer_report();
    }
    result("fuzz: %u calls, seed %u, %u wrong, %u deep checks, spare pinned %u", calls, seed, failures,
           deep_checks, spare_pinned);
}
