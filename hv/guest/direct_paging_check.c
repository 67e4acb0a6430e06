/*
 * direct_paging_check.c: direct paging's invariants recomputed from the
 * tables themselves (dp_check, direct_paging.h), with nothing of
 * direct_paging.c's bookkeeping trusted: each table in use is read entry by
 * entry, each pin, keep and base counted, and the sums compared with every
 * frame's counts and type. Pure, for the unit test after every step, the
 * fuzzer after every call, and the hypervisor's optional self-check.
 */
#include "guest/direct_paging.h"
#include "guest/guest_paging.h"
#include "pv_abi.h"
#include "fmt.h"
#include "string.h"

#define ENTRIES 1024u

struct check {
    const struct dp_machine *m;
    struct dp_tally *tally;
    char *why;
    size_t whylen;
};

static bool broken(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool broken(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->whylen)
        vsnprintf(c->why, c->whylen, fmt, ap);
    va_end(ap);
    return false;
}

static bool in_use_as_table(const struct dp_frame *f)
{
    return (f->type == DP_L1 || f->type == DP_L2) && f->type_count > 0;
}

/* A present entry of a table of owner's maps mfn: the owner's frame (a
 * grant's entry: some VM's), counted. */
static bool count_mapping(struct check *c, uint32_t table, unsigned slot, uint32_t mfn, bool writable,
                          bool grant)
{
    uint8_t owner = c->m->frames[table].owner;
    if (mfn >= c->m->nframes || (grant ? c->m->frames[mfn].owner == DP_OWNER_NONE
                                       : c->m->frames[mfn].owner != owner))
        return broken(c, "frame 0x%x (a table of owner %u), entry %u maps frame 0x%x, not %s", table,
                      owner, slot, mfn, grant ? "a VM's" : "its owner's");
    c->tally[mfn].refs++;
    if (writable)
        c->tally[mfn].writable++;
    return true;
}

static bool count_l2e(struct check *c, uint32_t table, unsigned slot, uint32_t pde)
{
    if (!(pde & GPTE_P))
        return true;
    if (!(pde & GPTE_PS)) {
        if (!count_mapping(c, table, slot, pde >> 12, false, false))
            return false;
        c->tally[pde >> 12].as_l1++;
        return true;
    }
    if (pde & DP_PDE_4M_RESERVED)
        return broken(c, "frame 0x%x (an L2), entry %u = 0x%x: reserved bits set", table, slot, pde);
    for (uint32_t i = 0; i < 1024; i++)
        if (!count_mapping(c, table, slot, ((pde >> 22) << 10) + i, pde & GPTE_W, false))
            return false;
    return true;
}

/* The hypervisor's slots of an L2 map only the hypervisor's frames. */
static bool check_hv_slot(struct check *c, uint32_t table, unsigned slot, uint32_t pde)
{
    uint32_t mfn = pde >> 12;
    if ((pde & GPTE_P) && mfn < c->m->nframes && c->m->frames[mfn].owner != DP_OWNER_NONE)
        return broken(c, "frame 0x%x (an L2), hypervisor slot %u maps frame 0x%x of owner %u", table,
                      slot, mfn, c->m->frames[mfn].owner);
    return true;
}

static bool count_entry(struct check *c, uint32_t table, enum dp_type type, unsigned slot, uint32_t e)
{
    if (type == DP_L1)
        return !(e & GPTE_P) || count_mapping(c, table, slot, e >> 12, e & GPTE_W, e & PV_GNTTAB_PTE);
    if (slot < DP_FIRST_HV_SLOT)
        return count_l2e(c, table, slot, e);
    return check_hv_slot(c, table, slot, e);
}

static bool count_table(struct check *c, uint32_t mfn)
{
    const uint32_t *t = c->m->frame_ptr(c->m->ctx, mfn);
    for (unsigned i = 0; i < ENTRIES; i++)
        if (!count_entry(c, mfn, c->m->frames[mfn].type, i, t[i]))
            return false;
    return true;
}

/* What the hypervisor and the guest hold besides entries: pins, keeps, bases. */
static bool count_holds(struct check *c, const uint32_t *bases, size_t nbases)
{
    for (uint32_t mfn = 0; mfn < c->m->nframes; mfn++) {
        const struct dp_frame *f = &c->m->frames[mfn];
        struct dp_tally *t = &c->tally[mfn];
        if (f->flags & DP_PINNED) {
            if (f->type != DP_L1 && f->type != DP_L2)
                return broken(c, "frame 0x%x is pinned but no table (type %u)", mfn, f->type);
            t->refs++;
            if (f->type == DP_L1)
                t->as_l1++;
            else
                t->as_l2++;
        }
        if (f->flags & DP_KEEP) {
            t->refs++;
            t->writable++;
        }
    }
    for (size_t i = 0; i < nbases; i++) {
        if (bases[i] == PV_INVALID_MFN)
            continue;
        if (bases[i] >= c->m->nframes || c->m->frames[bases[i]].owner == DP_OWNER_NONE)
            return broken(c, "base 0x%x is no VM's frame", bases[i]);
        c->tally[bases[i]].refs++;
        c->tally[bases[i]].as_l2++;
    }
    return true;
}

/* A frame's counts against what was counted: one type at a time. */
static bool compare(struct check *c, uint32_t mfn)
{
    const struct dp_frame *f = &c->m->frames[mfn];
    const struct dp_tally *t = &c->tally[mfn];
    unsigned types = (t->writable > 0) + (t->as_l1 > 0) + (t->as_l2 > 0);
    if (types > 1)
        return broken(c, "frame 0x%x is used as %u types: %u writable, %u as L1, %u as L2", mfn, types,
                      t->writable, t->as_l1, t->as_l2);
    enum dp_type type = t->writable ? DP_WRITABLE : t->as_l1 ? DP_L1 : t->as_l2 ? DP_L2 : DP_NONE;
    uint32_t count = t->writable + t->as_l1 + t->as_l2;
    if (f->type != type || f->type_count != count)
        return broken(c, "frame 0x%x has type %u count %u, its uses add up to type %u count %u", mfn,
                      f->type, f->type_count, type, count);
    if (f->refs != t->refs)
        return broken(c, "frame 0x%x has %u references, its uses add up to %u", mfn, f->refs, t->refs);
    if (f->owner == DP_OWNER_NONE && (f->refs || f->flags))
        return broken(c, "frame 0x%x is nobody's but has %u references, flags 0x%x", mfn, f->refs,
                      f->flags);
    return true;
}

bool dp_check(const struct dp_machine *m, const uint32_t *bases, size_t nbases,
              struct dp_tally *tally, char *why, size_t whylen)
{
    struct check c = { m, tally, why, whylen };
    memset(tally, 0, m->nframes * sizeof(*tally));
    for (uint32_t mfn = 0; mfn < m->nframes; mfn++)
        if (in_use_as_table(&m->frames[mfn]) && !count_table(&c, mfn))
            return false;
    if (!count_holds(&c, bases, nbases))
        return false;
    for (uint32_t mfn = 0; mfn < m->nframes; mfn++)
        if (!compare(&c, mfn))
            return false;
    if (whylen)
        why[0] = '\0';
    return true;
}
