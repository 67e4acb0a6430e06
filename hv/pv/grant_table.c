/*
 * grant_table.c: grants between VMs (see grant_table.h; lib/pv_abi.h
 * section 10). Xen's design (xen/common/grant_table.c) cut down: the
 * granter's table is the hypervisor's, so there is no shared entry to
 * read twice and no flag race with the guest; a grant is mapped at most
 * once at a time, so the entry itself is the mapping's record (Xen's
 * maptrack), and a handle is (granter, ref).
 *
 * The rules the frame counts enforce are direct paging's (direct_paging.c):
 * a grant's mapping holds a reference to the granter's frame (and, writable,
 * a writable type reference), taken as the granter would take it: so the
 * frame cannot leave the granter (dp_release refuses a referenced frame) or
 * become a page table while mapped, and a page table cannot be mapped
 * writable. The checks here come first so that each refusal has its own
 * status.
 */
#include "pv/grant_table.h"
#include "guest/guest_paging.h"

#define PAGE_MASK 0xFFFu

static struct gnt_domain *domain(const struct gnt_machine *m, uint32_t domid)
{
    return domid < GNT_DOMAINS_MAX ? m->dom[domid] : NULL;
}

/* Another PV VM than self, or NULL. */
static struct gnt_domain *other(const struct gnt_machine *m, uint32_t self, uint32_t domid)
{
    return domid == self ? NULL : domain(m, domid);
}

static const struct dp_frame *frame_of(const struct gnt_domain *d, uint32_t mfn)
{
    return mfn < d->dp->m->nframes ? &d->dp->m->frames[mfn] : NULL;
}

static bool is_table(const struct dp_frame *f)
{
    return (f->type == DP_L1 || f->type == DP_L2) && f->type_count > 0;
}

/* LAB 6 BEGIN: a grant made (the granter's own frame, with what rights) and ended (its mapping removed first) */
/* Can d's frame mfn be granted, or mapped for a grant, with these rights?
 * d's own (the hypervisor's pages and other VMs' never), not one of the
 * builder's kept pages, and not a page table when writable. */
static bool grantable(const struct gnt_domain *d, uint32_t mfn, bool writable)
{
    const struct dp_frame *f = frame_of(d, mfn);
    return f && f->owner == d->dp->owner && !(f->flags & DP_KEEP) && !(writable && is_table(f));
}

int32_t gnt_grant(struct gnt_machine *m, uint32_t self, uint32_t ref, uint32_t domid, uint32_t mfn,
                  uint32_t flags)
{
    struct gnt_domain *d = domain(m, self);
    if (flags & ~PV_GNTMAP_readonly)
        return PV_GNTST_general_error;
    if (!other(m, self, domid))
        return PV_GNTST_bad_domain;
    if (ref >= PV_NR_GRANT_REFS || d->refs[ref].granted)
        return PV_GNTST_bad_gntref;
    bool readonly = flags & PV_GNTMAP_readonly;
    if (!grantable(d, mfn, !readonly))
        return PV_GNTST_bad_page;
    d->refs[ref] = (struct gnt_entry){ .granted = true, .readonly = readonly, .grantee = (uint8_t)domid,
                                       .mfn = mfn };
    return PV_GNTST_okay;
}

/* The grantee's mapping of e removed, if its entry is still there (its
 * table may have been released, the references with it). */
static void unmap_entry(struct gnt_machine *m, struct gnt_entry *e)
{
    if (e->entry_ma)
        dp_grant_unmap(m->dom[e->grantee]->dp, e->entry_ma, e->pte);
    e->mapped = false;
}

/* The revocation: a mapped grant is unmapped first (pv_abi.h section 10). */
int32_t gnt_end(struct gnt_machine *m, uint32_t self, uint32_t ref)
{
    struct gnt_domain *d = domain(m, self);
    if (ref >= PV_NR_GRANT_REFS || !d->refs[ref].granted)
        return PV_GNTST_bad_gntref;
    if (d->refs[ref].mapped)
        unmap_entry(m, &d->refs[ref]);
    d->refs[ref].granted = false;
    return PV_GNTST_okay;
}
/* LAB 6 END */

/* LAB 6 BEGIN: a grant mapped (by its grantee, with the rights granted) and unmapped */
/* A new mapping of self's at entry ma: any record of self's that still
 * names ma is stale (the table that held its entry was released, and the
 * entry was free to map again) and forgets it, so that its unmap or
 * revocation cannot take the new mapping away: it may be the same entry
 * to the bit, one frame granted twice (found by the fuzzer with a partner,
 * tests/kernels/pvtest/cases_fuzz_found.c). */
static void forget_entry(struct gnt_machine *m, uint32_t self, uint32_t ma)
{
    for (uint32_t d = 0; d < GNT_DOMAINS_MAX; d++)
        for (uint32_t ref = 0; m->dom[d] && ref < PV_NR_GRANT_REFS; ref++) {
            struct gnt_entry *e = &m->dom[d]->refs[ref];
            if (e->mapped && e->grantee == self && e->entry_ma == ma)
                e->entry_ma = 0;
        }
}

int32_t gnt_map(struct gnt_machine *m, uint32_t self, uint32_t host_addr, uint32_t flags, uint32_t ref,
                uint32_t dom, uint32_t *handle)
{
    struct gnt_domain *me = domain(m, self), *granter = other(m, self, dom);
    if (flags & ~PV_GNTMAP_readonly)
        return PV_GNTST_general_error;
    if (!granter)
        return PV_GNTST_bad_domain;
    if (ref >= PV_NR_GRANT_REFS)
        return PV_GNTST_bad_gntref;
    struct gnt_entry *e = &granter->refs[ref];
    if (!e->granted || e->grantee != self)
        return PV_GNTST_bad_gntref;
    if (e->mapped)
        return PV_GNTST_no_device_space;
    bool writable = !(flags & PV_GNTMAP_readonly);
    if (writable && e->readonly)
        return PV_GNTST_permission_denied;
    if (!grantable(granter, e->mfn, writable))
        return PV_GNTST_bad_page;
    if (host_addr & PAGE_MASK)
        return PV_GNTST_bad_virt_addr;
    uint32_t pte = e->mfn << 12 | GPTE_P | GPTE_A | GPTE_D | (writable ? GPTE_W : 0), ma;
    if (dp_grant_map(me->dp, *me->base, host_addr, granter->dp, pte, &ma))
        return PV_GNTST_bad_virt_addr;  /* the frame's rules were checked above */
    forget_entry(m, self, ma);
    e->mapped = true;
    e->host_addr = host_addr;
    e->entry_ma = ma;
    e->pte = pte;
    *handle = dom * PV_NR_GRANT_REFS + ref;
    return PV_GNTST_okay;
}

int32_t gnt_unmap(struct gnt_machine *m, uint32_t self, uint32_t host_addr, uint32_t handle)
{
    struct gnt_domain *granter = other(m, self, handle / PV_NR_GRANT_REFS);
    if (!granter)
        return PV_GNTST_bad_handle;
    struct gnt_entry *e = &granter->refs[handle % PV_NR_GRANT_REFS];
    if (!e->granted || !e->mapped || e->grantee != self)
        return PV_GNTST_bad_handle;
    if (host_addr != e->host_addr)
        return PV_GNTST_bad_virt_addr;
    unmap_entry(m, e);
    return PV_GNTST_okay;
}
/* LAB 6 END */
