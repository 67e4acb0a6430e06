/*
 * fuzz_grant_table.c: hv/pv/grant_table.c, grants between VMs (issue 20),
 * over direct paging (hv/guest/direct_paging.c), driven by three VMs that
 * share one machine: the four grant ops with the fields a guest writes in
 * its op (refs, domids, frames, flags, addresses, handles), and beside them
 * what the VMs' own calls can do to the mappings' tables and frames
 * (mmu_update of an L1 entry, with the grant's mark or not; an L1 unhooked
 * and hooked again; pins; frames given back and claimed; the guest's own
 * writes to frames that are no table).
 *
 * The machine: 48 frames. VM i owns 16i .. 16i+13: its directory 16i
 * (slot 0 naming its L1, 16i+1, pinned and loaded) and data frames; 47 is
 * the hypervisor's M2P; the rest nobody's.
 *
 * Input: a script of operations, each a byte (the operation in bits 3:0,
 * the VM in bits 7:4 modulo 3) and its argument bytes.
 *
 * Checked after every operation:
 *   - dp_check: every count is what the tables, pins, keeps and bases add
 *     up to, the grants' entries included;
 *   - independently: every present entry with the grant's mark in an L1 in
 *     use is a mapping the granter's table records (no forged or left-over
 *     one), of a frame of the granter's, writable only for a writable grant;
 *   - a grant op returned a status the header names, and a refused one left
 *     the frame table, every frame, the grant tables and the flush flags
 *     byte-identical.
 * FUZZ_TRACE=1 build/fuzz/fuzz_grant_table FILE prints each op and its result.
 */
#include "fuzz.h"
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv/grant_table.h"
#include "pv_abi.h"

/* The checks run after every op, over every frame: libFuzzer's tracing of
 * their comparisons would guide nothing (fuzz_direct_paging.c's reason). */
#define NOT_TRACED __attribute__((no_sanitize("coverage")))

#define NFRAMES 48u
#define HV_M2P  47u
#define VMS     3u
#define L2_OF(i) ((i) * 16u)
#define L1_OF(i) ((i) * 16u + 1u)

static uint32_t mem[NFRAMES][1024];
static struct dp_frame frames[NFRAMES];
static struct dp_tally tally[NFRAMES];
static struct dp_machine machine;
static struct dp_vm dp[VMS];
static uint32_t bases[VMS];
static struct gnt_domain doms[VMS];
static struct gnt_machine gm;
static int trace;

static struct {
    uint32_t mem[NFRAMES][1024];
    struct dp_frame frames[NFRAMES];
    struct gnt_domain doms[VMS];
    bool flush[VMS];
} before;

static void *frame_ptr(void *ctx, uint32_t mfn)
{
    (void)ctx;
    FUZZ_CHECK(mfn < NFRAMES, "read frame 0x%x, outside the machine", mfn);
    return mem[mfn];
}

NOT_TRACED static void start(void)
{
    memset(mem, 0, sizeof(mem));
    memset(frames, 0, sizeof(frames));
    memset(&gm, 0, sizeof(gm));
    machine = (struct dp_machine){ frames, NFRAMES, frame_ptr, NULL };
    for (unsigned i = 0; i < VMS; i++) {
        dp[i] = (struct dp_vm){ .m = &machine, .owner = (uint8_t)(i + 1) };
        dp[i].hv_pde[0] = HV_M2P << 12 | GPTE_P;
        bases[i] = PV_INVALID_MFN;
        for (uint32_t mfn = L2_OF(i); mfn < L2_OF(i) + 14; mfn++)
            FUZZ_CHECK(dp_claim(&dp[i], mfn) == 0, "claim 0x%x", mfn);
        mem[L2_OF(i)][0] = L1_OF(i) << 12 | GPTE_P | GPTE_W;
        FUZZ_CHECK(dp_pin(&dp[i], L2_OF(i), DP_L2) == 0, "pin vm%u's directory", i);
        FUZZ_CHECK(dp_set_base(&dp[i], &bases[i], L2_OF(i)) == 0, "load vm%u's directory", i);
        doms[i] = (struct gnt_domain){ .dp = &dp[i], .base = &bases[i] };
        gm.dom[i] = &doms[i];
    }
}

NOT_TRACED static void remember(void)
{
    memcpy(before.mem, mem, sizeof(mem));
    memcpy(before.frames, frames, sizeof(frames));
    memcpy(before.doms, doms, sizeof(doms));
    for (unsigned i = 0; i < VMS; i++)
        before.flush[i] = dp[i].flush;
}

NOT_TRACED static bool unchanged(void)
{
    for (unsigned i = 0; i < VMS; i++)
        if (before.flush[i] != dp[i].flush)
            return false;
    return !memcmp(before.mem, mem, sizeof(mem)) && !memcmp(before.frames, frames, sizeof(frames)) &&
           !memcmp(before.doms, doms, sizeof(doms));
}

NOT_TRACED static bool is_table(uint32_t mfn)
{
    return (frames[mfn].type == DP_L1 || frames[mfn].type == DP_L2) && frames[mfn].type_count;
}

/* The grant whose recorded mapping is the entry at ma with value e, or NULL. */
NOT_TRACED static const struct gnt_entry *record_of(uint32_t ma, uint32_t e, unsigned *granter)
{
    for (unsigned g = 0; g < VMS; g++)
        for (unsigned r = 0; r < PV_NR_GRANT_REFS; r++) {
            const struct gnt_entry *x = &doms[g].refs[r];
            uint32_t same = ~(GPTE_A | GPTE_D | PV_GNTTAB_PTE);
            if (x->granted && x->mapped && x->entry_ma == ma && !((x->pte ^ e) & same)) {
                *granter = g;
                return x;
            }
        }
    return NULL;
}

NOT_TRACED static void check(void)
{
    char why[200];
    FUZZ_CHECK(dp_check(&machine, bases, VMS, tally, why, sizeof(why)), "%s", why);
    for (uint32_t t = 0; t < NFRAMES; t++) {
        if (frames[t].type != DP_L1 || !frames[t].type_count)
            continue;
        for (unsigned s = 0; s < 1024; s++) {
            uint32_t e = mem[t][s], mfn = e >> 12;
            unsigned g = 0;
            if ((e & (GPTE_P | PV_GNTTAB_PTE)) != (GPTE_P | PV_GNTTAB_PTE))
                continue;
            const struct gnt_entry *x = record_of(t << 12 | s * 4, e, &g);
            FUZZ_CHECK(x, "frame 0x%x entry %u = 0x%x: a grant's mark no grant records", t, s, e);
            FUZZ_CHECK(frames[mfn].owner == dp[g].owner, "a grant's entry maps frame 0x%x, not vm%u's", mfn, g);
            FUZZ_CHECK(!(e & GPTE_W) || !x->readonly, "a read-only grant mapped writable at 0x%x", e);
            FUZZ_CHECK(frames[t].owner == dp[x->grantee].owner, "a grant's entry in a table not its grantee's");
        }
    }
}

/* A frame: mostly the VMs' (and their tables), sometimes nobody's, the
 * hypervisor's or past the machine. */
static uint32_t frame_arg(struct fuzz_input *in)
{
    uint32_t b = (uint32_t)fuzz_take(in, 1);
    return b < 240 ? b % NFRAMES : 0xFFFFFF00u | b;
}

static uint32_t status_op(struct fuzz_input *in, unsigned vm, unsigned op)
{
    uint32_t a = (uint32_t)fuzz_take(in, 1), b = (uint32_t)fuzz_take(in, 1), c = (uint32_t)fuzz_take(in, 1);
    uint32_t ref = a % 36, dom = b % 5 == 4 ? PV_DOMID_SELF : b % 5, flags = c & 0x5u;
    uint32_t va = (c >> 3 & 15) << 12 | ((a & 0x80) ? 0x400000u : 0) | ((b & 0x80) ? 4 : 0), handle = 0;
    switch (op) {
    case 0:
        return (uint32_t)gnt_grant(&gm, vm, ref, dom, frame_arg(in), flags);
    case 1:
        return (uint32_t)gnt_end(&gm, vm, ref);
    case 2:
        return (uint32_t)gnt_map(&gm, vm, va, flags, ref, dom, &handle);
    default:
        handle = (c & 0x40) ? (uint32_t)fuzz_take(in, 4) : dom * PV_NR_GRANT_REFS + ref;
        return (uint32_t)gnt_unmap(&gm, vm, va, handle);
    }
}

static bool a_status(int32_t s)
{
    return s == PV_GNTST_okay || s == PV_GNTST_general_error || s == PV_GNTST_bad_domain ||
           s == PV_GNTST_bad_gntref || s == PV_GNTST_bad_handle || s == PV_GNTST_bad_virt_addr ||
           s == PV_GNTST_no_device_space || s == PV_GNTST_permission_denied || s == PV_GNTST_bad_page;
}

/* What a VM's own calls and writes can do beside the grants. */
static void vm_op(struct fuzz_input *in, unsigned vm, unsigned op)
{
    uint32_t s = (uint32_t)fuzz_take(in, 1) % 16, f = frame_arg(in), flags = (uint32_t)fuzz_take(in, 2);
    int rc = 0;
    switch (op) {
    case 4:                         /* an L1 entry, mark and all */
        rc = dp_mmu_update(&dp[vm], L1_OF(vm) << 12 | s * 4, f << 12 | (flags & 0xFFF));
        break;
    case 5:                         /* the L1 unhooked, or hooked again */
        rc = dp_mmu_update(&dp[vm], L2_OF(vm) << 12, (flags & 1) ? 0 : L1_OF(vm) << 12 | GPTE_P | GPTE_W);
        break;
    case 6:
        rc = (flags & 1) ? dp_unpin(&dp[vm], f) : dp_pin(&dp[vm], f, DP_L1);
        break;
    case 7:
        /* The M2P's frame is the hypervisor's, never free to claim. */
        rc = (flags & 1) ? dp_release(&dp[vm], f) : f == HV_M2P ? -PV_EBUSY : dp_claim(&dp[vm], f);
        break;
    default:                        /* the guest writes a frame of its own that is no table */
        if (f < NFRAMES && frames[f].owner == dp[vm].owner && !is_table(f))
            mem[f][s] = (uint32_t)fuzz_take(in, 4);
        break;
    }
    if (trace)
        fprintf(stderr, "vm%u op %u slot %u frame 0x%x flags 0x%x: %d\n", vm, op, s, f, flags, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    trace = getenv("FUZZ_TRACE") != NULL;
    start();
    check();
    while (in.pos < in.size) {
        uint32_t b = (uint32_t)fuzz_take(&in, 1), op = b & 15, vm = (b >> 4) % VMS;
        if (op < 4) {
            remember();
            int32_t st = (int32_t)status_op(&in, vm, op);
            if (trace)
                fprintf(stderr, "vm%u grant op %u: %d\n", vm, op, st);
            FUZZ_CHECK(a_status(st), "grant op %u returned %d", op, st);
            FUZZ_CHECK(st == PV_GNTST_okay || unchanged(), "grant op %u refused (%d) but changed something", op,
                       st);
        } else {
            vm_op(&in, vm, op);
        }
        check();
    }
    return 0;
}
