/*
 * fuzz_grants.c: the hypercall fuzzer's grant_table_op calls (fuzz.h;
 * lib/pv_abi.h section 10), each op's status predicted. Alone, every
 * grant is refused; with peer=1 the model holds what the partner granted
 * (and what of it the fuzz maps where, and what its pages hold) and what
 * the fuzz grants it (and what of it the partner maps), so that every
 * status, handle, window entry and word read through a mapping is
 * predicted, and the partner's report of its side checked.
 */
#include "fuzz.h"
#include "pvtest.h"
#include "string.h"

uint32_t grant_ops, grant_maps, grant_accesses, grant_status[10], window2_maps;

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

/* ---- peer=1: the partner's grants and the fuzz's ---- */

/* What a ref of the partner's is (fuzz.h's meeting). */
enum their_kind { NOT_GRANTED, WRITABLE, READ_ONLY, A_TABLE, GONE };
static struct their_grant {
    uint8_t kind;
    bool mapped, writable;          /* by the fuzz, at window entry k (the second window's: k - 64) */
    bool released;                  /* its entry's table was released: the entry is no longer it */
    uint32_t k, mfn;
} theirs[PV_NR_GRANT_REFS];
static uint32_t their_page[PARTNER_PAGES][1024];   /* what the partner's pages hold */

/* The page a ref of the partner's grants (refs 0 and 6: the same). */
static uint32_t *page_of(uint32_t ref)
{
    return their_page[ref == PARTNER_ALIAS_REF ? 0 : ref];
}
/* The fuzz's own grants to the partner, and which it maps (since the
 * meeting: it maps nothing later). */
static struct my_grant {
    bool granted, readonly, partner_maps;
    uint32_t mfn;
} mine[PV_NR_GRANT_REFS];
static uint32_t lent[LENT_REFS];            /* the frames of refs 28..31 */

void grants_meet(const struct fuzz_report *r, const uint32_t *lent_mfns)
{
    static const uint8_t kinds[PARTNER_REFS] = { WRITABLE, WRITABLE, READ_ONLY, READ_ONLY, A_TABLE, GONE, WRITABLE };
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++)
        theirs[ref].kind = kinds[ref], theirs[ref].mfn = r->mfn[ref];
    for (uint32_t ref = 0; ref < PARTNER_PAGES; ref++)
        for (uint32_t i = 0; i < 1024; i++)
            their_page[ref][i] = i == 0 && ref != PARTNER_TABLE_REF ? r->mfn[ref] : partner_word(ref, i);
    for (uint32_t j = 0; j < LENT_REFS; j++) {
        lent[j] = lent_mfns[j];
        mine[FIRST_LENT_REF + j] = (struct my_grant){ true, FIRST_LENT_REF + j == LENT_READ_ONLY_REF, true, lent[j] };
    }
}

uint32_t partner_frame(void)
{
    return theirs[below(PARTNER_REFS)].mfn;
}

bool spare_held(void)
{
    for (uint32_t ref = 0; ref < PV_NR_GRANT_REFS; ref++)
        if (mine[ref].partner_maps && !mine[ref].readonly && mine[ref].mfn == spare_mfn)
            return true;
    return false;
}

uint32_t lent_entry(uint32_t ref)
{
    const struct my_grant *m = &mine[ref];
    return m->partner_maps ? m->mfn << 12 | P | A | D | (m->readonly ? 0 : RW) | PV_GNTTAB_PTE : 0;
}

/* Window entry k: the first window's (0..63) or the second's (64..127). */
static uint32_t window_page(uint32_t k)
{
    return k < WINDOW_ENTRIES ? (FUZZ_SLOT << 22) + k * 4096 : (SPARE_SLOT << 22) + (k - WINDOW_ENTRIES) * 4096;
}

static uint32_t *entry_model(uint32_t k)
{
    return k < WINDOW_ENTRIES ? &model_l1[k] : &spare_model[k - WINDOW_ENTRIES];
}

/* Whether entry k is where an L1 in use maps: the second window only
 * while the spare is hooked. */
static bool in_use(uint32_t k)
{
    return k < WINDOW_ENTRIES || spare_hooked();
}

/* A domid other than the partner's: the fuzz's own, none. */
static uint32_t not_partner(void)
{
    uint32_t doms[] = { SELF_ID, PV_DOMID_SELF, PEER_ID + 1 + below(GNT_DOMIDS - 2), rnd() | 0x100 };
    return doms[below(4)];
}

/* Frames of the fuzz's, which it may grant (writable: no table). */
static bool ours(uint32_t mfn, bool *table)
{
    *table = mfn == l1_mfn || mfn == dir_mfn || (mfn == spare_mfn && spare_is_table());
    if (mfn == ro_mfn || mfn == spare_mfn || *table)
        return true;
    for (uint32_t j = 0; j < ARENA_PAGES; j++)
        if (mfn == arena_mfn[j])
            return true;
    for (uint32_t j = 0; j < LENT_REFS; j++)
        if (mfn == lent[j])
            return true;
    return false;
}

static int32_t grant_mine(uint32_t *w, uint32_t flags)
{
    bool table, readonly = flags == PV_GNTMAP_readonly;
    uint32_t ref = one_in(4) ? rnd() : below(PV_NR_GRANT_REFS + 2), domid = one_in(4) ? not_partner() : PEER_ID;
    uint32_t mfns[] = { arena_mfn[below(ARENA_PAGES)], ro_mfn, l1_mfn, dir_mfn, spare_mfn, lent[1], lent[3],
                        not_ours(), rnd() | 0x80000000u };
    uint32_t mfn = mfns[below(9)];
    w[0] = ref, w[1] = domid, w[2] = mfn, w[3] = flags;
    if (flags & ~PV_GNTMAP_readonly)
        return PV_GNTST_general_error;
    if (domid != PEER_ID)
        return PV_GNTST_bad_domain;
    if (ref >= PV_NR_GRANT_REFS || mine[ref].granted)
        return PV_GNTST_bad_gntref;
    if (!ours(mfn, &table) || (table && !readonly))
        return PV_GNTST_bad_page;
    mine[ref] = (struct my_grant){ true, readonly, false, mfn };
    return PV_GNTST_okay;
}

/* The revocation: a mapping the partner has goes with it. The report's
 * ref is never ended (the partner's report comes through it). */
static int32_t end_mine(uint32_t *w)
{
    uint32_t ref = one_in(4) ? rnd() : below(PV_NR_GRANT_REFS + 2);
    w[0] = ref = ref == REPORT_REF ? PV_NR_GRANT_REFS : ref;
    if (ref >= PV_NR_GRANT_REFS || !mine[ref].granted)
        return PV_GNTST_bad_gntref;
    mine[ref].granted = mine[ref].partner_maps = false;
    return PV_GNTST_okay;
}

/* Where a map goes: a page of a window (its entry present or not; the
 * second window's L1 hooked or not), or a page the partner's frame cannot
 * go: not aligned, no L1 of the fuzz's (the slot past the windows, the
 * hypervisor's), an entry present (its own tables and pages in the direct
 * map). *k the window entry, NO_ENTRY if none. */
#define NO_ENTRY (2 * WINDOW_ENTRIES)
static uint32_t map_address(uint32_t *k)
{
    /* (the second window's first few entries: an entry freed by a release
       and cleaned is soon mapped again) */
    *k = one_in(3) ? WINDOW_ENTRIES + below(4) : below(WINDOW_ENTRIES);
    if (one_in(8))
        return window_page(*k) + 1 + below(4095);
    if (!one_in(8))
        return window_page(*k);
    uint32_t elsewhere[] = { ((SPARE_SLOT + 1) << 22) + below(1024) * 4096, PV_M2P_VIRT + below(1024) * 4096,
                             (uint32_t)fuzz_l1, start_info->pt_base, (uint32_t)ro_page, (uint32_t)region };
    *k = NO_ENTRY;
    return elsewhere[below(6)];
}

static int32_t map_theirs(uint32_t *w, uint32_t flags)
{
    uint32_t k, addr = map_address(&k), dom = one_in(6) ? not_partner() : PEER_ID;
    uint32_t ref = one_in(8) ? rnd() : one_in(4) ? below(PV_NR_GRANT_REFS + 2) : below(PARTNER_REFS + 1);
    w[0] = addr, w[1] = flags, w[2] = ref, w[3] = dom;
    bool writable = !(flags & PV_GNTMAP_readonly);
    if (flags & ~PV_GNTMAP_readonly)
        return PV_GNTST_general_error;
    if (dom != PEER_ID)
        return PV_GNTST_bad_domain;
    if (ref >= PV_NR_GRANT_REFS || theirs[ref].kind == NOT_GRANTED)
        return PV_GNTST_bad_gntref;
    if (theirs[ref].mapped)
        return PV_GNTST_no_device_space;
    if (writable && theirs[ref].kind == READ_ONLY)
        return PV_GNTST_permission_denied;
    if (theirs[ref].kind == GONE || (writable && theirs[ref].kind == A_TABLE))
        return PV_GNTST_bad_page;
    if (addr & 0xFFF || k == NO_ENTRY || !in_use(k) || (*entry_model(k) & P))
        return PV_GNTST_bad_virt_addr;
    *entry_model(k) = theirs[ref].mfn << 12 | P | A | D | (writable ? RW : 0) | PV_GNTTAB_PTE;
    theirs[ref].mapped = true, theirs[ref].writable = writable, theirs[ref].k = k;
    grant_maps++, window2_maps += k >= WINDOW_ENTRIES;
    return PV_GNTST_okay;
}

/* A ref of the partner's the fuzz maps, from a random place: PARTNER_REFS if none. */
static uint32_t mapped_ref(void)
{
    for (uint32_t ref = below(PARTNER_REFS), n = 0; n < PARTNER_REFS; n++, ref = (ref + 1) % PARTNER_REFS)
        if (theirs[ref].mapped)
            return ref;
    return PARTNER_REFS;
}

static int32_t unmap_theirs(uint32_t *w)
{
    uint32_t ref = mapped_ref(), k = below(WINDOW_ENTRIES);
    if (ref < PARTNER_REFS && !one_in(4)) {
        w[0] = window_page(one_in(8) ? k : theirs[ref].k);
        w[1] = one_in(8) ? ref : PEER_ID * PV_NR_GRANT_REFS + ref;
    } else {
        w[0] = window_page(k);
        w[1] = one_in(2) ? below(GNT_DOMIDS * PV_NR_GRANT_REFS) : rnd();
    }
    ref = w[1] % PV_NR_GRANT_REFS;
    if (w[1] / PV_NR_GRANT_REFS != PEER_ID || !theirs[ref].mapped)
        return PV_GNTST_bad_handle;
    if (w[0] != window_page(theirs[ref].k))
        return PV_GNTST_bad_virt_addr;
    if (!theirs[ref].released)
        *entry_model(theirs[ref].k) = 0;    /* else nothing left to remove: not the entry, whoever's it is now */
    theirs[ref].mapped = theirs[ref].released = false;
    return PV_GNTST_okay;
}

/* One op's words (the rest of w random) and its status. */
static int32_t peer_grant_op(uint32_t cmd, uint32_t *w)
{
    uint32_t flags = one_in(4) ? rnd() & 0xFF : one_in(2) ? PV_GNTMAP_readonly : 0;
    switch (cmd) {
    case PV_GNTTABOP_grant_foreign_access: return grant_mine(w, flags);
    case PV_GNTTABOP_end_foreign_access: return end_mine(w);
    case PV_GNTTABOP_map_grant_ref: return map_theirs(w, flags);
    default: return unmap_theirs(w);
    }
}

void grants_released(void)
{
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++)
        theirs[ref].released |= theirs[ref].mapped && theirs[ref].k >= WINDOW_ENTRIES;
}

uint32_t granted_window_page(void)
{
    uint32_t ref = mapped_ref();
    return ref < PARTNER_REFS ? window_page(theirs[ref].k) + below(1024) * 4 : 0;
}

void check_partner_m2p(void)
{
    const uint32_t *m2p = (const uint32_t *)PV_M2P_VIRT;
    struct call none = { 0, { 0 }, 0, { NULL } };
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++)
        if (m2p[theirs[ref].mfn] != PV_INVALID_PFN)
            wrong("the fuzz's M2P entry of a frame of the partner's", &none, PV_INVALID_PFN, m2p[theirs[ref].mfn]);
}

bool grant_page_word(uint32_t mfn, uint32_t i, uint32_t *want)
{
    for (uint32_t ref = 0; ref < PARTNER_REFS; ref++)
        if (theirs[ref].mapped && theirs[ref].mfn == mfn) {
            *want = page_of(ref)[i];
            return true;
        }
    return false;
}

/* The vector an access faults with (NO_FAULT: none), the word read. */
static uint32_t probe(volatile uint32_t *p, bool write, uint32_t val, uint32_t *seen)
{
    uint32_t v = 0;
    recovered_vector = NO_FAULT;
    if (write)
        TRY("movl %1, (%2)", : "=m"(*p) : "r"(val), "r"(p) : "memory");
    else
        TRY("movl (%1), %0", : "=r"(v) : "r"(p) : "memory");
    *seen = v;
    return recovered_vector;
}

void grant_access(void)
{
    struct call none = { 0, { 0 }, 0, { NULL } };
    uint32_t ref = mapped_ref(), i = below(1024), seen, val = rnd();
    grant_accesses++;
    if (ref == PARTNER_REFS || one_in(8)) {     /* a window page not mapped: #PF (SDM 4.7) */
        uint32_t k = below(2 * WINDOW_ENTRIES);
        if (in_use(k) && (*entry_model(k) & P))
            return;
        uint32_t vector = probe((volatile uint32_t *)window_page(k) + i, one_in(2), val, &seen);
        if (vector != 14)
            wrong("an access to a window page not mapped: its vector", &none, 14, vector);
        return;
    }
    if (theirs[ref].released)
        return;                                 /* its page shows what the entry holds now */
    volatile uint32_t *p = (volatile uint32_t *)window_page(theirs[ref].k) + i;
    uint32_t *model = &page_of(ref)[i];
    bool write = one_in(2);
    uint32_t vector = probe(p, write, val, &seen);
    if (!in_use(theirs[ref].k)) {               /* the second window's directory entry is 0 */
        if (vector != 14)
            wrong("an access to the second window unhooked: its vector", &none, 14, vector);
        return;
    }
    if (write && theirs[ref].writable) {
        if (vector != NO_FAULT)
            wrong("a write through a writable grant: a fault", &none, NO_FAULT, vector);
        *model = val;
    } else if (write) {                         /* read-only: #PF, the page unchanged */
        if (vector != 14)
            wrong("a write through a read-only grant: its vector", &none, 14, vector);
    } else if (vector != NO_FAULT || seen != *model) {
        wrong("a read through a grant", &none, *model, vector != NO_FAULT ? vector : seen);
    }
    if (write && *p != *model)
        wrong("a word after a write through a grant", &none, *model, *p);
}

/* The partner's pages as it summed them at the end. */
void check_partner_pages(const struct fuzz_report *r)
{
    struct call none = { 0, { 0 }, 0, { NULL } };
    for (uint32_t ref = 0; ref < PARTNER_PAGES; ref++)
        if (r->sum[ref] != sum_words(their_page[ref], 1024, ~0u))
            wrong("the checksum of a page the partner granted", &none, sum_words(their_page[ref], 1024, ~0u),
                  r->sum[ref]);
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
        int32_t status = peer ? peer_grant_op(cmd, w) : grant_op(cmd, w);
        grant_status[-status]++;
        memcpy(want + i * words, w, words * 4);
        want[i * words + status_at[kind]] = (uint32_t)status;
        if (cmd == PV_GNTTABOP_map_grant_ref && status == PV_GNTST_okay)
            want[i * words + 5] = w[3] * PV_NR_GRANT_REFS + w[2];  /* the handle: granter's refs, ref */
        grant_ops++;
    }
    c->after.out = (const uint32_t *)at, c->after.out_want = want, c->after.out_words = readable * words;
}
