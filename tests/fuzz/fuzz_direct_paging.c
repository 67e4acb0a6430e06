/*
 * fuzz_direct_paging.c: hv/guest/direct_paging.c, Xen's direct paging (lab
 * 5), driven by two VMs that share one machine: every call a PV guest can
 * reach (mmu_update, update_va_mapping, pin, unpin, new base pointer) and
 * those of the builder and the balloon (claim, release, keep, unkeep), in
 * the order and with the arguments the input says, between the guest's own
 * writes to frames that are no table.
 *
 * The machine: 1072 frames. 0..1023 (one 4 MiB page's worth) and
 * 1024..1047 start as VM A's, 1048..1070 as VM B's; 1071 is the
 * hypervisor's M2P table, which both VMs' directories hold in slot 1008.
 *
 * Input: a script of operations, each a byte (the operation in bits 3:0,
 * the VM in bit 4, bits 7:5 all set: a misaligned entry pointer) and its
 * arguments: frames as one byte (A's, B's, the hypervisor's, the first 64
 * and last 14 frames of the 4 MiB page, frames past the machine), slots as
 * one byte (0..11, or 1008..1023), entries as three (a frame, the low flag
 * byte, then G/AVL and the reserved bits of a 4 MiB page).
 *
 * Checked after every operation:
 *   - dp_check: every count is what the tables, pins, keeps and bases add up to;
 *   - independently: no frame is a table while an entry of a table in use
 *     maps it writable; no present entry of a table in use maps a frame of
 *     another owner; every directory in use holds its VM's hypervisor slots;
 *   - a call that failed left the frame table, every frame it read, the
 *     VMs and their bases byte-identical, and failed with a code the
 *     header names;
 *   - the module reads only frames of the VM that calls it.
 * FUZZ_TRACE=1 build/fuzz/fuzz_direct_paging FILE prints each call and its result.
 */
#include "fuzz.h"
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv_abi.h"

/* The checks run after every call, over every frame: libFuzzer's tracing
 * of their comparisons guides nothing and took most of the time. */
#define NOT_TRACED __attribute__((no_sanitize("coverage")))

#define NFRAMES 1072u
#define A_SMALL 1024u
#define B_FIRST 1048u
#define HV_M2P  1071u

static uint32_t mem[NFRAMES][1024];
static struct dp_frame frames[NFRAMES];
static struct dp_tally tally[NFRAMES];
static struct dp_machine machine = { frames, NFRAMES, NULL, NULL };
static struct dp_vm vms[2];
static uint32_t bases[2];

/* Frames the input may have made non-zero, to clear before the next input. */
static bool dirty[NFRAMES];
static uint32_t dirty_list[NFRAMES], ndirty;

/* Copy on first access during one call: what a failed call must leave. */
static uint32_t saved[NFRAMES][1024];
static bool touched[NFRAMES];
static uint32_t touched_list[NFRAMES], ntouched;
static uint8_t caller;             /* the owner whose call runs; DP_OWNER_NONE: dp_check */
static bool trace;                 /* FUZZ_TRACE=1 in the environment: each call and its result */

static void mark_dirty(uint32_t mfn)
{
    if (!dirty[mfn]) {
        dirty[mfn] = true;
        dirty_list[ndirty++] = mfn;
    }
}

static void *frame_ptr(void *ctx, uint32_t mfn)
{
    (void)ctx;
    FUZZ_CHECK(mfn < NFRAMES, "read frame 0x%x, past the machine", mfn);
    FUZZ_CHECK(caller == DP_OWNER_NONE || frames[mfn].owner == caller,
               "VM %u's call read frame 0x%x of owner %u", caller, mfn, frames[mfn].owner);
    if (!touched[mfn]) {
        touched[mfn] = true;
        touched_list[ntouched++] = mfn;
        memcpy(saved[mfn], mem[mfn], 4096);
    }
    mark_dirty(mfn);
    return mem[mfn];
}

static void reset(void)
{
    for (uint32_t i = 0; i < ndirty; i++) {
        memset(mem[dirty_list[i]], 0, 4096);
        dirty[dirty_list[i]] = false;
    }
    ndirty = 0;
    memset(frames, 0, sizeof(frames));
    machine.frame_ptr = frame_ptr;
    for (unsigned v = 0; v < 2; v++) {
        vms[v] = (struct dp_vm){ .m = &machine, .owner = (uint8_t)(v + 1) };
        vms[v].hv_pde[0] = HV_M2P << 12 | GPTE_P;   /* read-only, supervisor: the M2P */
        bases[v] = PV_INVALID_MFN;
    }
    for (uint32_t mfn = 0; mfn < HV_M2P; mfn++)
        frames[mfn].owner = mfn < B_FIRST ? 1 : 2;   /* as the builders' claims leave them */
}

static uint32_t pick_frame(uint8_t b)
{
    b &= 0x7F;
    if (b < 48)
        return A_SMALL + b;         /* A's small frames, B's, the hypervisor's (47) */
    if (b < 112)
        return b - 48u;             /* the 4 MiB page's first 64 */
    if (b < 126)
        return 1010u + (b - 112u);  /* and its last 14 */
    return b == 126 ? NFRAMES : 0xFFFFFu;
}

static unsigned pick_slot(uint8_t b)
{
    return b >= 0xF0 ? DP_FIRST_HV_SLOT + (b & 15u) : b % 12u;
}

static uint32_t take_entry(struct fuzz_input *in)
{
    uint32_t mfn = pick_frame((uint8_t)fuzz_take(in, 1));
    uint32_t flags = (uint32_t)fuzz_take(in, 1);
    uint32_t extra = (uint32_t)fuzz_take(in, 1);
    uint32_t e = mfn << 12 | flags | (extra & 15u) << 8;
    if (extra & 0x10)
        e |= (extra >> 5) << 13;    /* reserved bits of a 4 MiB page's entry */
    return e;
}

struct snapshot {
    struct dp_frame frames[NFRAMES];
    struct dp_vm vms[2];
    uint32_t bases[2];
};
static struct snapshot before;

static void begin_call(uint8_t owner)
{
    for (uint32_t i = 0; i < ntouched; i++)
        touched[touched_list[i]] = false;
    ntouched = 0;
    memcpy(before.frames, frames, sizeof(frames));
    memcpy(before.vms, vms, sizeof(vms));
    memcpy(before.bases, bases, sizeof(bases));
    caller = owner;
}

NOT_TRACED static void check_failed_call(int rc, const char *what)
{
    FUZZ_CHECK(rc == -PV_EINVAL || rc == -PV_EBUSY || rc == -PV_EEXIST, "%s returned %d", what, rc);
    if (memcmp(before.frames, frames, sizeof(frames)))
        for (uint32_t mfn = 0; mfn < NFRAMES; mfn++)
            FUZZ_CHECK(!memcmp(&before.frames[mfn], &frames[mfn], sizeof(frames[mfn])),
                       "%s failed (%d) but changed frame 0x%x's counts", what, rc, mfn);
    for (uint32_t i = 0; i < ntouched; i++)
        FUZZ_CHECK(!memcmp(saved[touched_list[i]], mem[touched_list[i]], 4096),
                   "%s failed (%d) but changed frame 0x%x's bytes", what, rc, touched_list[i]);
    FUZZ_CHECK(!memcmp(&before.vms, vms, sizeof(vms)) && !memcmp(&before.bases, bases, sizeof(bases)),
               "%s failed (%d) but changed a VM or its base", what, rc);
}

NOT_TRACED static bool is_table(uint32_t mfn)
{
    return mfn < NFRAMES && (frames[mfn].type == DP_L1 || frames[mfn].type == DP_L2) &&
           frames[mfn].type_count > 0;
}

/* One present entry of a table of owner's maps mfn, writable or not. */
NOT_TRACED static void check_mapping(uint32_t table, unsigned slot, uint32_t mfn, bool writable)
{
    FUZZ_CHECK(mfn < NFRAMES && frames[mfn].owner == frames[table].owner,
               "table 0x%x (owner %u) entry %u maps frame 0x%x of another owner", table,
               frames[table].owner, slot, mfn);
    FUZZ_CHECK(!writable || !is_table(mfn), "table 0x%x entry %u maps table 0x%x writable", table,
               slot, mfn);
}

/* The rules, read off the tables without the module's help. */
NOT_TRACED static void check_tables(void)
{
    for (uint32_t t = 0; t < NFRAMES; t++) {
        if (!is_table(t))
            continue;
        const uint32_t *e = mem[t];
        bool l2 = frames[t].type == DP_L2;
        for (unsigned i = 0; i < 1024; i++) {
            if (l2 && i >= DP_FIRST_HV_SLOT) {
                FUZZ_CHECK(e[i] == vms[frames[t].owner - 1].hv_pde[i - DP_FIRST_HV_SLOT],
                           "directory 0x%x slot %u is 0x%x, not the hypervisor's", t, i, e[i]);
                continue;
            }
            if (!(e[i] & GPTE_P))
                continue;
            if (!l2) {
                check_mapping(t, i, e[i] >> 12, e[i] & GPTE_W);
            } else if (e[i] & GPTE_PS) {
                FUZZ_CHECK(!(e[i] & DP_PDE_4M_RESERVED), "directory 0x%x slot %u: 0x%x", t, i, e[i]);
                for (uint32_t f = 0; f < 1024; f++)
                    check_mapping(t, i, ((e[i] >> 22) << 10) + f, e[i] & GPTE_W);
            } else {
                check_mapping(t, i, e[i] >> 12, false);
                FUZZ_CHECK(frames[e[i] >> 12].type == DP_L1, "directory 0x%x slot %u names 0x%x, no L1",
                           t, i, e[i] >> 12);
            }
        }
    }
}

NOT_TRACED static void check_all(void)
{
    char why[200];
    caller = DP_OWNER_NONE;
    FUZZ_CHECK(dp_check(&machine, bases, 2, tally, why, sizeof(why)), "%s", why);
    check_tables();
}

/* The guest's own store into a frame of its that is no table (through a
 * writable mapping; the builder's, before any). */
static void guest_write(struct dp_vm *vm, uint32_t mfn, unsigned slot, uint32_t val)
{
    if (mfn < NFRAMES && frames[mfn].owner == vm->owner && !is_table(mfn)) {
        mark_dirty(mfn);
        mem[mfn][slot] = val;
    }
}

static void run_op(struct fuzz_input *in)
{
    uint8_t b = (uint8_t)fuzz_take(in, 1);
    unsigned v = (b >> 4) & 1;
    struct dp_vm *vm = &vms[v];
    uint32_t misalign = (b >> 5) == 7 ? 2 : 0;
    uint32_t mfn = pick_frame((uint8_t)fuzz_take(in, 1));
    const char *what;
    int rc;
    unsigned op = b & 15u;
    if (op >= 10) {
        unsigned slot = pick_slot((uint8_t)fuzz_take(in, 1));
        guest_write(vm, mfn, slot, take_entry(in));
        check_all();
        return;
    }
    begin_call(vm->owner);
    switch (op) {
    case 0: what = "claim"; rc = mfn == HV_M2P ? 0 : dp_claim(vm, mfn); break;
    case 1: what = "release"; rc = dp_release(vm, mfn); break;
    case 2: what = "keep"; rc = dp_keep(vm, mfn); break;
    case 3: what = "unkeep"; rc = dp_unkeep(vm, mfn); break;
    case 4: {
        uint8_t level = (uint8_t)fuzz_take(in, 1);
        what = "pin";
        rc = dp_pin(vm, mfn, level == 0xFF ? DP_WRITABLE : level & 1 ? DP_L2 : DP_L1);
        break;
    }
    case 5: what = "unpin"; rc = dp_unpin(vm, mfn); break;
    case 6: what = "set_base"; rc = dp_set_base(vm, &bases[v], mfn); break;
    case 7: {
        unsigned slot = pick_slot((uint8_t)fuzz_take(in, 1));
        what = "mmu_update";
        rc = dp_mmu_update(vm, (mfn << 12 | slot * 4) + misalign, take_entry(in));
        break;
    }
    default: {
        uint32_t va = pick_slot((uint8_t)fuzz_take(in, 1)) << 22 | ((uint32_t)fuzz_take(in, 1) & 15u) << 12;
        uint32_t base = op == 8 && bases[v] != PV_INVALID_MFN ? bases[v] : mfn;
        what = "update_va";
        rc = dp_update_va(vm, base, va, take_entry(in));
        break;
    }
    }
    if (trace)
        fprintf(stderr, "VM %u %s frame 0x%x: %d\n", v, what, mfn, rc);
    if (rc)
        check_failed_call(rc, what);
    check_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    static bool started;
    if (!started) {
        started = true;
        trace = getenv("FUZZ_TRACE") != NULL;
    }
    reset();
    while (in.pos < in.size)
        run_op(&in);
    return 0;
}
