/*
 * shadow.c: the shadow page tables (64-bit, VMX root operation; lab 2). See
 * shadow.h for what the shadow is and when its entries are made and dropped.
 *
 * The shadow directory is the real CR3. Its slots point at shadow page
 * tables made on demand; a slot's table is writable and user-accessible, so
 * that the leaf alone decides (the guest's two levels are combined into it,
 * SDM vol. 3, 4.6.1 "Determination of Access Rights"). A leaf maps one
 * 4 KiB page of guest RAM (a guest 4 MiB page becomes 1024 of them).
 */
#include "guest/shadow.h"
#include "guest/guest.h"
#include "guest/guest_paging.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "printf.h"
#include "string.h"

/* Shadow entries use the guest's format: 32-bit paging. G marks the entries
 * that survive CR3 loads; the real CR4.PGE is 0, so the CPU ignores it. */
#define SPTE_P    GPTE_P
#define SPTE_W    GPTE_W
#define SPTE_U    GPTE_U
#define SPTE_G    GPTE_G
#define SPTE_CACHE (GPTE_PWT | GPTE_PCD)
#define SPDE_TABLE (GPTE_P | GPTE_W | GPTE_U | GPTE_A)

/* What the table in a slot holds (struct shadow's kind[]). */
#define SLOT_LOCAL  1u      /* entries that a CR3 load drops */
#define SLOT_GLOBAL 2u      /* entries that survive it */
#define SLOT_LARGE  4u      /* pieces of a guest 4 MiB page: INVLPG drops them all */

static uint32_t *dir(const struct shadow *s) { return (uint32_t *)s->root; }

static uint32_t *table_of(const struct shadow *s, unsigned slot)
{
    uint32_t pde = dir(s)[slot];
    return (pde & SPTE_P) ? (uint32_t *)(uint64_t)GPTE_ADDR(pde) : NULL;
}

void shadow_init(struct shadow *s, const struct guest *g)
{
    memset(s, 0, sizeof(*s));
    /* The shadow's entries hold 32-bit physical addresses. */
    if (g->ram_hpa + g->ram_size > (1ull << 32))
        panic("shadow paging: guest RAM at host 0x%lx-0x%lx is above 4 GiB, which 32-bit "
              "shadow tables cannot map", g->ram_hpa,
              g->ram_hpa + g->ram_size);
    s->guest = g;
    s->root = alloc_page();
    s->tables = 1;
}

void shadow_map_hypervisor(struct shadow *s, uint64_t table)
{
    s->hypervisor_slot = SHADOW_SLOTS - 1;
    dir(s)[s->hypervisor_slot] = (uint32_t)table | GPTE_P | GPTE_W | GPTE_A;   /* supervisor */
}

uint32_t *shadow_entry(const struct shadow *s, uint32_t va)
{
    uint32_t *t = table_of(s, va >> 22);
    if (!t || (s->hypervisor_slot && va >> 22 == s->hypervisor_slot))
        return NULL;
    return &t[(va >> 12) & 0x3FF];
}

void shadow_write_protect(struct shadow *s, uint64_t hpa)
{
    for (unsigned i = 0; i < s->nused; i++) {
        uint32_t *t = table_of(s, s->used[i]);
        for (unsigned e = 0; e < 1024; e++)
            if ((t[e] & (SPTE_P | SPTE_W)) == (SPTE_P | SPTE_W) && GPTE_ADDR(t[e]) == hpa)
                t[e] &= ~SPTE_W;
    }
}

unsigned shadow_copy_globals(struct shadow *to, const struct shadow *from, unsigned slot,
                             bool (*keep)(void *ctx, uint32_t va, uint32_t *entry), void *ctx)
{
    const uint32_t *src = table_of(from, slot);
    uint32_t *dst = table_of(to, slot);
    unsigned copied = 0;
    if (!src || !dst || !(from->kind[slot] & SLOT_GLOBAL) || (to->hypervisor_slot && slot == to->hypervisor_slot))
        return 0;
    for (unsigned e = from->lo[slot]; e < from->hi[slot]; e++) {
        uint32_t entry = src[e];
        if (!(entry & SPTE_G) || dst[e] || !keep(ctx, slot << 22 | e << 12, &entry))
            continue;
        dst[e] = entry;
        copied++;
        if (e < to->lo[slot])
            to->lo[slot] = (uint16_t)e;
        if (e >= to->hi[slot])
            to->hi[slot] = (uint16_t)(e + 1);
    }
    if (copied)
        to->kind[slot] |= from->kind[slot] & (SLOT_GLOBAL | SLOT_LARGE);
    return copied;
}

/* LAB 2 BEGIN: the shadow tables: fill, invalidate */
/* The shadow table of a slot, made (empty) if there is none. */
static uint32_t *make_table(struct shadow *s, unsigned slot)
{
    uint32_t *t = table_of(s, slot);
    if (t)
        return t;
    uint64_t pa = s->free_tables;
    if (pa) {
        s->free_tables = *(uint64_t *)pa;
        *(uint64_t *)pa = 0;
    } else {
        pa = alloc_page();
        s->tables++;
    }
    dir(s)[slot] = (uint32_t)pa | SPDE_TABLE;
    s->used[s->nused++] = (uint16_t)slot;
    s->kind[slot] = 0;
    s->lo[slot] = 1024, s->hi[slot] = 0;
    return (uint32_t *)pa;
}

/* Clear the entries of a slot's table that may be set. */
static void clear_entries(struct shadow *s, unsigned slot, uint32_t *t, bool keep_global)
{
    for (unsigned e = s->lo[slot]; e < s->hi[slot]; e++)
        if (!keep_global || !(t[e] & SPTE_G))
            t[e] = 0;
}

/* Empty the table of used[i], keep it for reuse, and free the slot. */
static void drop_table(struct shadow *s, unsigned i)
{
    unsigned slot = s->used[i];
    uint64_t pa = GPTE_ADDR(dir(s)[slot]);
    clear_entries(s, slot, (uint32_t *)pa, false);
    *(uint64_t *)pa = s->free_tables;
    s->free_tables = pa;
    dir(s)[slot] = 0;
    s->used[i] = s->used[--s->nused];
}

/* Drop every entry, or every entry but the global ones (SDM 4.10.4.1
 * "Operations that Invalidate TLBs and Paging-Structure Caches": MOV to CR3
 * keeps global translations; a change of CR0.PG or CR4.PGE does not). */
static void flush(struct shadow *s, bool keep_global)
{
    for (unsigned i = s->nused; i-- > 0; ) {
        unsigned slot = s->used[i];
        if (!keep_global || !(s->kind[slot] & SLOT_GLOBAL)) {
            drop_table(s, i);
        } else if (s->kind[slot] & SLOT_LOCAL) {
            clear_entries(s, slot, table_of(s, slot), true);
            s->kind[slot] &= (uint8_t)~SLOT_LOCAL;
        }
    }
}

void shadow_load_cr3(struct shadow *s, uint32_t cr3)
{
    s->guest_cr3 = cr3;
    s->cr3_loads++;
    flush(s, true);
}

void shadow_set_mode(struct shadow *s, bool paging, uint32_t ctl)
{
    if (paging == s->paging && ctl == s->ctl)
        return;
    s->paging = paging;
    s->ctl = ctl;
    s->full_flushes++;
    flush(s, false);
}

/* INVLPG drops the translation of one page, global or not (SDM 4.10.4.1);
 * for a page that came from a guest 4 MiB page, all of that page. The
 * hypervisor's slot (cpu=deprivileged) is never the guest's to drop: its
 * table maps the GDT and TSS the CPU needs (as flush() never sees it). */
void shadow_invlpg(struct shadow *s, uint32_t va)
{
    unsigned slot = va >> 22;
    uint32_t *t = table_of(s, slot);
    s->invlpgs++;
    if (!t || (s->hypervisor_slot && slot == s->hypervisor_slot))
        return;
    if (s->kind[slot] & SLOT_LARGE) {
        for (unsigned i = 0; i < s->nused; i++)
            if (s->used[i] == slot) {
                drop_table(s, i);
                return;
            }
    }
    t[(va >> 12) & 0x3FF] = 0;
}

/* guest_paging.c reads the guest's tables through guest_ptr: a table
 * outside guest RAM is never read. */
static uint32_t *guest_table(void *ctx, uint64_t gpa)
{
    return guest_ptr(ctx, gpa, 4096);
}

static void outside_ram(struct shadow_fault_info *out, uint64_t gpa, const char *what)
{
    out->outcome = SHADOW_OUTSIDE_RAM;
    out->gpa = gpa;
    out->what = what;
}

void shadow_fault(struct shadow *s, uint32_t va, uint32_t error_code, struct shadow_fault_info *out)
{
    const struct guest *g = s->guest;
    if (s->hypervisor_slot && va >> 22 == s->hypervisor_slot)
        return outside_ram(out, va, "page (the hypervisor's own top 4 MiB)");
    uint32_t *entry = &make_table(s, va >> 22)[(va >> 12) & 0x3FF];
    uint32_t page = va & ~0xFFFu, spte;
    uint8_t kind = SLOT_LOCAL;
    *out = (struct shadow_fault_info){ 0 };

    if (!s->paging) {
        /* Paging off: linear = guest-physical, every access allowed (the
         * identity shadow: SDM 27.3.1.1 makes the real CR0.PG 1). */
        if (!guest_ptr(g, page, 4096))
            return outside_ram(out, page, "page");
        spte = (uint32_t)(g->ram_hpa + page) | SPTE_P | SPTE_W | SPTE_U | GPTE_A | GPTE_D;
    } else {
        struct gpt_walk w;
        struct gpt_mem mem = { guest_table, (void *)g };
        gpt_walk(&w, &mem, s->guest_cr3, va, error_code, s->ctl);
        if (w.result == GPT_BAD_TABLE)
            return outside_ram(out, w.bad_gpa, w.bad_gpa == GPTE_ADDR(s->guest_cr3) ?
                               "page directory" : "page table");
        if (w.result == GPT_FAULT) {
            /* A fault invalidates the TLB's entry for the page (SDM 4.10.4.1). */
            *entry = 0;
            s->guest_faults++;
            out->outcome = SHADOW_GUEST_FAULT;
            out->error_code = w.error_code;
            return;
        }
        uint64_t gpa = w.gpa & ~0xFFFull;
        if (!guest_ptr(g, gpa, 4096))
            return outside_ram(out, gpa, "page");
        /* Writable only once the guest's D flag is set, so that the first
         * write faults here and sets it (SDM 4.8). A supervisor write to a
         * read-only page with CR0.WP clear is allowed (SDM 4.6.1): the
         * shadow grants it to supervisor mode only. */
        spte = (uint32_t)(g->ram_hpa + gpa) | SPTE_P | GPTE_A | GPTE_D | (w.pte & SPTE_CACHE);
        if (w.user)
            spte |= SPTE_U;
        if (w.writable && w.dirty)
            spte |= SPTE_W;
        if (!w.writable && !(s->ctl & GPT_WP) && (error_code & PFEC_W) && !(error_code & PFEC_U))
            spte = (spte | SPTE_W) & ~SPTE_U;
        if (w.global) {
            spte |= SPTE_G;
            kind = SLOT_GLOBAL;
        }
        if ((w.pte & GPTE_PS) && (s->ctl & GPT_PSE))
            kind |= SLOT_LARGE;
    }
    *entry = spte;
    unsigned slot = va >> 22, index = (va >> 12) & 0x3FF;
    if (index < s->lo[slot])
        s->lo[slot] = (uint16_t)index;
    if (index >= s->hi[slot])
        s->hi[slot] = (uint16_t)(index + 1);
    s->kind[slot] |= kind;
    s->fills++;
    out->outcome = SHADOW_FILLED;
}
/* LAB 2 END */

void shadow_print_stats(const struct shadow *const *shadows, unsigned n)
{
    uint64_t fills = 0, guest_faults = 0, cr3_loads = 0, invlpgs = 0, full_flushes = 0, tables = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct shadow *s = shadows[i];
        fills += s->fills, guest_faults += s->guest_faults, cr3_loads += s->cr3_loads;
        invlpgs += s->invlpgs, full_flushes += s->full_flushes, tables += s->tables;
    }
    printf("hv: %sshadow: %lu fills, %lu guest page faults reflected, %lu CR3 loads, "
           "%lu INVLPGs, %lu full flushes, %lu tables\n", shadows[0]->guest->tag, fills,
           guest_faults, cr3_loads, invlpgs, full_flushes, tables);
}
