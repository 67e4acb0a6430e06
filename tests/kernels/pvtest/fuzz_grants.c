/*
 * fuzz_grants.c: the hypercall fuzzer's grant_table_op calls (fuzz.h;
 * lib/pv_abi.h section 10), each op's status predicted.
 */
#include "fuzz.h"
#include "pvtest.h"
#include "string.h"

uint32_t grant_ops;

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

void grant_call(struct call *c)
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
