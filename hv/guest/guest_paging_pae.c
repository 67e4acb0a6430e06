/*
 * guest_paging_pae.c: walking the guest's PAE and 4-level page tables in
 * software (a pure module; see guest_paging_pae.h). SDM vol. 3, 4.4 "PAE
 * Paging", 4.5 "4-Level Paging and 5-Level Paging", 4.6 "Access Rights",
 * 4.7 "Page-Fault Exceptions", 4.8 "Accessed and Dirty Flags".
 */
#include "guest/guest_paging_pae.h"
#include <stddef.h>
#include "x86/canonical.h"

#define ADDR_52      0x000FFFFFFFFFF000ull    /* an entry's address field, bits 51:12 */
#define LARGE_RSVD_2M 0x1FE000ull             /* bits 20:13 of a PDE that maps 2 MiB */
#define LARGE_RSVD_1G 0x3FFFE000ull           /* bits 29:13 of a PDPTE that maps 1 GiB */
#define PDPTE_PAE_RSVD 0x1E6ull               /* bits 2:1 and 8:5 of a PAE PDPTE (table 4-8) */

static uint64_t bits_from(unsigned low, unsigned high)   /* bits high:low, or 0 if low > high */
{
    return low > high ? 0 : (~0ull >> (63 - high)) & (~0ull << low);
}

/* The reserved bits of a present entry at `level` (1 PTE ... 4 PML4E) that
 * maps a page (`leaf`) or points to a table (4.7 "RSVD flag"; tables 4-8
 * to 4-11 for PAE, 4-15 to 4-20 for 4-level). Above MAXPHYADDR: up to bit
 * 62 with PAE, up to 51 with 4 levels (62:52 are ignored there); bit 63
 * (XD) without IA32_EFER.NXE. */
static uint64_t reserved_bits(const struct gpt_pae_regs *r, unsigned level, bool leaf)
{
    uint64_t rsvd = bits_from(r->maxphyaddr, r->levels == GPT_PAE ? 62 : 51);
    if (!(r->ctl & GPT_NXE))
        rsvd |= GPTE_XD;
    if (level == 4)
        rsvd |= GPTE_PS;                    /* a PML4E maps no page (table 4-15) */
    if (leaf && level == 2)
        rsvd |= LARGE_RSVD_2M;
    if (leaf && level == 3)
        rsvd |= LARGE_RSVD_1G;
    return rsvd;
}

/* The rights of the whole translation (4.6.1 "Determination of Access
 * Rights"): 0, or the error code of a protection fault. A user access needs
 * U/S at every level, a write R/W at every level (a supervisor write only
 * with CR0.WP), a fetch no XD at any level (with NXE); a supervisor access
 * to a user page: no fetch with CR4.SMEP, no data access with CR4.SMAP
 * unless RFLAGS.AC allows it. */
static bool rights_refuse(const struct gpt_pae_walk *w, uint32_t access, uint32_t ctl)
{
    bool user_access = access & PFEC_U, write = access & PFEC_W, fetch = access & PFEC_I;
    if (user_access && !w->user)
        return true;
    if (write && !w->writable && (user_access || (ctl & GPT_WP)))
        return true;
    if (fetch && !w->executable)
        return true;
    if (!user_access && w->user) {
        if (fetch && (ctl & GPT_SMEP))
            return true;
        if (!fetch && (ctl & GPT_SMAP) && !(ctl & GPT_AC))
            return true;
    }
    return false;
}

static void fail(struct gpt_pae_walk *w, uint32_t error_code)
{
    w->result = GPT_FAULT;
    w->error_code = error_code;
}

static void bad_table(struct gpt_pae_walk *w, uint64_t gpa)
{
    w->result = GPT_BAD_TABLE;
    w->bad_gpa = gpa;
}

/* The entry for va at `level` in the table at guest-physical `table`. */
static uint64_t *entry_at(const struct gpt_mem *m, uint64_t table, unsigned level, uint64_t va)
{
    uint64_t *t = (uint64_t *)(void *)m->table(m->ctx, table & ~0xFFFull);
    unsigned index = (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
    return t ? &t[(table & 0xFFF) / 8 + index] : NULL;
}

void gpt_walk_pae(struct gpt_pae_walk *w, const struct gpt_mem *m, const struct gpt_pae_regs *r,
                  uint64_t va, uint32_t access)
{
    *w = (struct gpt_pae_walk){ .writable = true, .user = true, .executable = true };
    access &= PFEC_W | PFEC_U | PFEC_I;
    /* I/D is reported only with NXE or SMEP (4.7). */
    if (!(r->ctl & (GPT_NXE | GPT_SMEP)))
        access &= ~PFEC_I;
    uint64_t *used[4];
    unsigned level = r->levels;
    uint64_t table;
    if (r->levels == GPT_4LEVEL) {
        if (!canonical(va)) {
            w->result = GPT_NONCANONICAL;
            return;
        }
        table = r->cr3 & ADDR_52 & ~bits_from(r->maxphyaddr, 63);
    } else {
        /* PAE: the PDPTE the CPU loaded from the 32-byte table at CR3 (4.4.1):
         * it has no rights or flags of its own, only P and the address. */
        va = (uint32_t)va;
        uint64_t pdpte;
        if (r->pdptes) {
            pdpte = r->pdptes[va >> 30];
        } else {
            uint64_t *e = entry_at(m, r->cr3 & 0xFFFFFFE0u, 3, va & 0xC0000000u);
            if (!e)
                return bad_table(w, r->cr3 & 0xFFFFFFE0u);
            pdpte = *e;
        }
        w->entry[w->used++] = pdpte;
        if (!(pdpte & GPTE_P))
            return fail(w, access);
        /* A MOV to CR3 refuses reserved bits here with #GP (4.4.1): a
         * walk of memory (no PDPTEs given) may still meet them. */
        if (pdpte & (PDPTE_PAE_RSVD | bits_from(r->maxphyaddr, 63)))
            return fail(w, PFEC_P | PFEC_RSVD | access);
        table = pdpte & ADDR_52;
        level = 2;
    }
    for (;; level--) {
        uint64_t *e = entry_at(m, table, level, va);
        if (!e)
            return bad_table(w, table);
        used[w->used] = e;
        w->entry[w->used++] = *e;
        if (!(*e & GPTE_P))
            return fail(w, access);
        bool leaf = level == 1 || (level <= 3 && (*e & GPTE_PS));
        uint64_t rsvd = reserved_bits(r, level, leaf);
        if (leaf && level == 3 && !(r->ctl & GPT_1G))
            rsvd |= GPTE_PS;                /* no 1 GiB pages on this CPU: PS is reserved */
        if (*e & rsvd)
            return fail(w, PFEC_P | PFEC_RSVD | access);
        w->writable &= (*e & GPTE_W) != 0;
        w->user &= (*e & GPTE_U) != 0;
        if (r->ctl & GPT_NXE)
            w->executable &= !(*e & GPTE_XD);
        if (leaf) {
            w->page_size = 1ull << (12 + 9 * (level - 1));
            break;
        }
        table = *e & ADDR_52;
    }
    if (rights_refuse(w, access, r->ctl))
        return fail(w, PFEC_P | access);
    uint64_t *leaf = used[w->used - 1];
    if (!(r->ctl & GPT_OBSERVE)) {
        unsigned first = r->levels == GPT_PAE;      /* PAE's PDPTE: no A flag */
        for (unsigned i = first; i < w->used; i++)
            w->entry[i] = *used[i] |= GPTE_A;
        if (access & PFEC_W)
            w->entry[w->used - 1] = *leaf |= GPTE_D;
    }
    w->result = GPT_OK;
    w->gpa = (*leaf & ADDR_52 & ~(w->page_size - 1)) | (va & (w->page_size - 1));
    w->dirty = *leaf & GPTE_D;
    w->global = (*leaf & GPTE_G) && (r->ctl & GPT_PGE);
}
