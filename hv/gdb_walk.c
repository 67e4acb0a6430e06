/*
 * gdb_walk.c: the guest's own page tables, read by the debugger (64-bit,
 * VMX root operation). See gdb_target.h.
 *
 * 32-bit paging (SDM vol. 3, 4.3 "32-Bit Paging"): bits 31:22 of the linear
 * address pick an entry of the page directory at CR3; with CR4.PSE and
 * PDE.PS it maps a 4 MiB page, else it points to a page table whose entry,
 * picked by bits 21:12, maps a 4 KiB page. Every table is guest-physical
 * and reached through guest_ptr, so a guest's bad entry can never point
 * the hypervisor outside guest RAM. A debugger must not change what it
 * looks at: unlike the CPU, this walk sets no accessed or dirty flag. That,
 * the reasons it gives, and working in every lab's tree are why it is not
 * guest_paging.c's walk, which sets them and is lab 2's student code; the
 * entry bits are the same (guest_paging.h).
 */
#include "gdb_target.h"
#include "guest_paging.h"
#include "x86.h"

static const uint32_t *entry(const struct guest *g, uint64_t table, unsigned index)
{
    return guest_ptr(g, GPTE_ADDR(table) + 4 * (uint64_t)index, 4);
}

bool gdb_walk(const struct guest *g, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t linear,
              struct gdb_walk *w)
{
    *w = (struct gdb_walk){ .why = "" };
    if (linear > 0xFFFFFFFFu) {
        w->why = "not a 32-bit linear address";
        return false;
    }
    if (!(cr0 & CR0_PG)) {
        w->gpa = linear;            /* paging off: linear is physical */
        return true;
    }
    if (cr4 & CR4_PAE) {
        w->why = "the guest uses PAE paging, which this walker does not read";
        return false;
    }
    const uint32_t *pde = entry(g, cr3, (unsigned)(linear >> 22));
    if (!pde) {
        w->why = "the page directory (CR3) is outside guest RAM";
        return false;
    }
    w->pde = *pde;
    if (!(w->pde & GPTE_P)) {
        w->why = "the page-directory entry is not present";
        return false;
    }
    if ((cr4 & CR4_PSE) && (w->pde & GPTE_PS)) {
        /* A 4 MiB page; PDE bits 20:13 are physical bits 39:32 (PSE-36). */
        w->large = true;
        w->gpa = (w->pde & 0xFFC00000u) | ((uint64_t)(w->pde >> 13) & 0xFF) << 32 |
                 (linear & 0x3FFFFF);
        return true;
    }
    const uint32_t *pte = entry(g, w->pde, (unsigned)(linear >> 12) & 0x3FF);
    if (!pte) {
        w->why = "the page table is outside guest RAM";
        return false;
    }
    w->pte = *pte;
    if (!(w->pte & GPTE_P)) {
        w->why = "the page-table entry is not present";
        return false;
    }
    w->gpa = GPTE_ADDR(w->pte) | (linear & 0xFFF);
    return true;
}
