/*
 * guest_paging.c: walking the guest's 32-bit page tables in software (a pure
 * module; see guest_paging.h). SDM vol. 3, 4.3 "32-Bit Paging", 4.6 "Access
 * Rights", 4.7 "Page-Fault Exceptions", 4.8 "Accessed and Dirty Flags".
 */
#include "guest/guest_paging.h"

/* LAB 2 BEGIN: walk the guest's page tables */
/* The rights of the combined translation (SDM 4.6.1 "Determination of Access
 * Rights"): a user access needs U/S at both levels; a write needs R/W at both
 * levels if it is a user access, or a supervisor access with CR0.WP set.
 * Returns 0, or the error code of the protection fault (P set). */
static uint32_t check_rights(bool writable, bool user, uint32_t access, uint32_t ctl)
{
    if ((access & PFEC_U) && !user)
        return PFEC_P | access;
    if ((access & PFEC_W) && !writable && ((access & PFEC_U) || (ctl & GPT_WP)))
        return PFEC_P | access;
    return 0;
}

static void fail(struct gpt_walk *w, uint32_t error_code)
{
    w->result = GPT_FAULT;
    w->error_code = error_code;
}

void gpt_walk(struct gpt_walk *w, const struct gpt_mem *m, uint32_t cr3, uint32_t va,
              uint32_t access, uint32_t ctl)
{
    *w = (struct gpt_walk){ 0 };
    access &= PFEC_W | PFEC_U;
    uint32_t *pd = m->table(m->ctx, GPTE_ADDR(cr3));
    if (!pd) {
        w->result = GPT_BAD_TABLE;
        w->bad_gpa = GPTE_ADDR(cr3);
        return;
    }
    uint32_t *pde = &pd[va >> 22];
    if (!(*pde & GPTE_P))
        return fail(w, access);

    uint32_t *leaf;
    bool writable, user;
    if ((*pde & GPTE_PS) && (ctl & GPT_PSE)) {
        /* A 4 MiB page: the PDE is the leaf; bits 20:13 are physical-address
         * bits 39:32 (PSE-36, SDM 4.3 table 4-4). */
        leaf = pde;
        writable = *pde & GPTE_W;
        user = *pde & GPTE_U;
        uint32_t err = check_rights(writable, user, access, ctl);
        if (err)
            return fail(w, err);
        w->gpa = (uint64_t)(*pde & 0xFFC00000u) | (uint64_t)((*pde >> 13) & 0xFF) << 32 |
                 (va & 0x3FFFFFu);
    } else {
        uint32_t *pt = m->table(m->ctx, GPTE_ADDR(*pde));
        if (!pt) {
            w->result = GPT_BAD_TABLE;
            w->bad_gpa = GPTE_ADDR(*pde);
            return;
        }
        leaf = &pt[(va >> 12) & 0x3FF];
        if (!(*leaf & GPTE_P))
            return fail(w, access);
        writable = (*pde & GPTE_W) && (*leaf & GPTE_W);
        user = (*pde & GPTE_U) && (*leaf & GPTE_U);
        uint32_t err = check_rights(writable, user, access, ctl);
        if (err)
            return fail(w, err);
        *pde |= GPTE_A;                     /* the CPU sets A in every entry it used */
        w->gpa = GPTE_ADDR(*leaf) | (va & 0xFFFu);
    }
    *leaf |= GPTE_A | ((access & PFEC_W) ? GPTE_D : 0);
    w->result = GPT_OK;
    w->writable = writable;
    w->user = user;
    w->dirty = *leaf & GPTE_D;
    w->global = (*leaf & GPTE_G) && (ctl & GPT_PGE);
    w->pte = *leaf;
}
/* LAB 2 END */
