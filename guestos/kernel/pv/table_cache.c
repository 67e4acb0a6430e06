/*
 * table_cache.c: the PV kernel's freed page tables, kept pinned for reuse
 * (plat.h). A table made and freed costs the hypervisor a validation of
 * every entry it holds (a directory: the kernel's 240 slots) and the guest
 * a read-only/writable round of its direct-map entry; fork+exit+wait made
 * three of them each time. Kept, a table is reused as it is: still an L1
 * or an L2 in the hypervisor's eyes, read-only in the direct map, its user
 * entries all 0 (vm.c clears them through set_pte before it frees one),
 * a directory's kernel half the one every directory has (vm.c: it never
 * changes after boot). Linux's quicklists of page tables did the same for
 * its Xen guests. A few only: they are memory no one else may use, given
 * back (unpinned, then freed) when kalloc runs out.
 */
#include "../defs.h"
#include "../plat.h"
#include "pv.h"
#include "../../../lib/printf.h"

#define KEPT 8                      /* tables of each level */

static void *kept[2][KEPT];
static uint32_t nkept[2];

static uint32_t level_index(int level) { return level == PT_L2; }

/* A directory kept may still be the CPU's (mmu.c's load_pgdir leaves an
 * exiting process's loaded): not once it is reused or freed. */
void *reuse_page_table(int level)
{
    uint32_t l = level_index(level), flags = irq_save();
    void *page = nkept[l] ? kept[l][--nkept[l]] : NULL;
    irq_restore(flags);
    if (page)
        pgdir_leaving(page);
    return page;
}

/* An unpinned table is an ordinary page only once the unpin went: the
 * queue goes before kfree hands the page to anyone. */
static void unpin_and_free(void *page)
{
    pgdir_leaving(page);
    unpin_page_table(page);
    mmu_send_queue();
    kfree(page);
}

void free_page_table(void *page, int level)
{
    uint32_t l = level_index(level), flags = irq_save();
    int keep = nkept[l] < KEPT;
    if (keep)
        kept[l][nkept[l]++] = page;
    irq_restore(flags);
    if (!keep)
        unpin_and_free(page);
}

uint32_t page_tables_kept(void) { return nkept[0] + nkept[1]; }

int give_back_page_tables(void)
{
    int given = 0;
    for (int level = PT_L1; level <= PT_L2; level++) {
        void *page;
        while ((page = reuse_page_table(level))) {
            unpin_and_free(page);
            given++;
        }
    }
    if (given)
        printf("guestos: out of free pages: %d kept page tables given back\n", given);
    return given > 0;
}
