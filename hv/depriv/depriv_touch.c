/*
 * depriv_touch.c: the CPU's own accesses to a deprivileged guest's memory,
 * made by the hypervisor in software (64-bit, VMX root; beside lab 3):
 * depriv_read and depriv_write, and the translations one event's delivery
 * walked (struct delivery_translations in vmx/depriv_cpu.h).
 *
 * The check of a delivery (depriv_fault.c) walks the guest's tables for
 * the IDT, the GDT, the TSS and the kernel stack; the delivery
 * (depriv_deliver.c, lab 3) then reads and writes the same bytes. Nothing
 * between them can change the guest's tables, so the delivery uses the
 * check's walks, as the CPU would use its TLB (SDM vol. 3, 4.10.2). (The
 * delivery walking again what its check had walked cost about 400 cycles
 * an event: the ring-1 null system call 58x -> 54x native.)
 */
#include "depriv/depriv.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "guest/shadow.h"

/* A page's translation that this delivery walked already, good for the
 * access (a write needs one walked for a write), or NULL. */
static const struct delivery_page *walked_page(const struct delivery_translations *t, uint32_t page, bool write)
{
    for (unsigned i = 0; i < t->used; i++)
        if (t->page[i].page == page && (t->page[i].written || !write))
            return &t->page[i];
    return NULL;
}

static void remember(struct delivery_translations *t, uint32_t page, bool write, uint64_t gpa)
{
    unsigned i = 0;
    while (i < t->used && t->page[i].page != page)
        i++;
    if (i == DELIVERY_PAGES)
        i = DELIVERY_PAGES - 1;                 /* full: the last one goes */
    else if (i == t->used)
        t->used++;
    t->page[i] = (struct delivery_page){ page, write || (t->page[i].page == page && t->page[i].written), gpa };
}

void depriv_cpu_walk(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w)
{
    struct walked_entries e;
    depriv_entries_before(v, at, &e);
    guest_cpu_walk(v->guest, at, access, w);
    depriv_entries_after(v, &e);
}

/* The shadow's entry for the page, if it allows the access: the shadow
 * is the guest's TLB, and the CPU's own accesses (an event's IDT, GDT and
 * TSS reads, its frame's pushes) may use a TLB entry as much as the
 * program's (SDM vol. 3, 4.10.2.3): its flags were set when it was filled,
 * its D flag before it was made writable (shadow_fault). Only below the
 * hypervisor's area, whose shadow entries are the translation cache's and
 * the hypervisor's (the guest's own there are never shadowed). A walk of
 * the guest's tables and the A and D checks around it cost about 350
 * cycles a page, and a delivery makes seven or eight of them. */
static bool shadow_hit(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w)
{
    const uint32_t *e = at <= DEPRIV_SEG_LIMIT ? shadow_entry(v->guest->shadow, at) : NULL;
    uint32_t need = GPTE_P | (access & PFEC_W ? GPTE_W : 0) | (access & PFEC_U ? GPTE_U : 0);
    if (!e || (*e & need) != need)
        return false;
    *w = (struct gpt_walk){ .result = GPT_OK, .gpa = GPTE_ADDR(*e) - v->guest->ram_hpa + (at & 0xFFF) };
    return true;
}

/* The CPU's walk now; with the guest's paging off, linear is guest-physical. */
static void walk_now(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w)
{
    *w = (struct gpt_walk){ .result = GPT_OK, .gpa = at };
    if (v->guest->shadow->paging && !shadow_hit(v, at, access, w))
        depriv_cpu_walk(v, at, access, w);
}

void depriv_walk_page(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w)
{
    struct delivery_translations *t = &v->depriv.walked;
    bool write = access & PFEC_W;
    const struct delivery_page *p = walked_page(t, at & ~0xFFFu, write);
    if (p) {
        *w = (struct gpt_walk){ .result = GPT_OK, .gpa = p->gpa | (at & 0xFFF) };
        return;
    }
    walk_now(v, at, access, w);
    if (w->result == GPT_OK)
        remember(t, at & ~0xFFFu, write, w->gpa & ~0xFFFull);
}

void depriv_entries_before(struct vcpu *v, uint32_t linear, struct walked_entries *e)
{
    e->n = 0;
    const struct shadow *s = v->guest->shadow;
    if (!v->depriv.written || !s->paging)
        return;
    uint64_t table = GPTE_ADDR(s->guest_cr3);
    for (unsigned level = 0; level < 2; level++) {
        uint64_t at = table + 4 * (level ? (linear >> 12) & 0x3FF : linear >> 22);
        const uint32_t *p = guest_ptr(v->guest, at, 4);
        if (!p)
            return;
        e->gpa[e->n] = at;
        e->value[e->n++] = *p;
        if (!(*p & GPTE_P) || (!level && (*p & GPTE_PS) && (s->ctl & GPT_PSE)))
            return;
        table = GPTE_ADDR(*p);
    }
}

void depriv_entries_after(struct vcpu *v, const struct walked_entries *e)
{
    for (unsigned i = 0; i < e->n; i++) {
        const uint32_t *p = guest_ptr(v->guest, e->gpa[i], 4);
        if (p && *p != e->value[i])
            v->depriv.written(v, e->gpa[i]);
    }
}

/* Each page's walk, and bt=1 told of each frame written (the hook
 * `written`), the data's and the tables' whose flags the walk set: its
 * translated frames are write-protected in the shadow, which the
 * hypervisor's own stores do not pass through, so an event's frame pushed
 * over translated code (the CPU's write, SDM vol. 3, 6.12.1) would leave
 * its translations and decodings standing (hostile bt-emul-rewrite-frame).
 * Told at each page's walk, before its store: a store that fails on a
 * later page has still written this one. */
static void walker(void *ctx, uint32_t at, uint32_t access, struct gpt_walk *w)
{
    struct vcpu *v = ctx;
    if (v->depriv.walked.active)
        depriv_walk_page(v, at, access, w);
    else
        walk_now(v, at, access, w);
    if (w->result == GPT_OK && (access & PFEC_W) && v->depriv.written)
        v->depriv.written(v, w->gpa);
}

bool depriv_touch(struct vcpu *v, uint32_t linear, void *buf, unsigned len, bool write)
{
    if (!v->depriv.walked.active && !v->depriv.written)
        return guest_linear_touch(v->guest, linear, buf, len, write);
    return guest_linear_touch_by(v->guest, linear, buf, len, write, walker, v);
}

void depriv_delivery_begin(struct vcpu *v)
{
    v->depriv.walked = (struct delivery_translations){ .active = true };
}

void depriv_delivery_end(struct vcpu *v)
{
    v->depriv.walked.active = false;
}
