/*
 * swap.c: the guest OS's own paging, for double paging (issue 20; lecture
 * slide 8). With `swap=N` on its command line the kernel reserves N pages
 * of its RAM as a swap area, and the pageout system call writes a
 * process's pages there (a private, present user page: copied to a free
 * slot, its frame freed, its PTE not present with PTE_SWAPPED and the slot
 * number); the next touch brings it back (handle_user_fault). A real OS
 * would pick the pages itself, by age; the system call lets a test say
 * which, so that every count is exact.
 *
 * Under a hypervisor that pages the VM too (resident=), the guest may pick
 * a page the hypervisor has already written to its store: reading it to
 * write it out makes the hypervisor bring it in, only for the guest to
 * write it again (the page written twice). Before each copy the kernel
 * tells the hypervisor which frame it is writing out (MSR_HVL_PAGEOUT_HINT,
 * apf.c), so that the hypervisor can count them: `hv: paging: ... double
 * paging: D` at the VM's end.
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "syscall.h"
#include "../../lib/printf.h"

#define SWAP_MAX 2048

static char *slot[SWAP_MAX];
static uint8_t used[SWAP_MAX];
static uint32_t slots, swapped_out, swapped_in;

void swap_init(void)
{
#ifdef GUESTOS_PV
    return;             /* the PV kernel: no swap (its tables change by batched hypercalls) */
#endif
    const char *v = boot_option("swap");
    uint32_t n = 0;
    while (v && *v >= '0' && *v <= '9')
        n = n * 10 + (uint32_t)(*v++ - '0');
    for (slots = 0; slots < n && slots < SWAP_MAX && (slot[slots] = kalloc()); slots++)
        ;
    if (n)
        printf("guestos: swap: %u pages reserved\n", slots);
}

static int free_slot(void)
{
    for (uint32_t s = 0; s < slots; s++)
        if (!used[s])
            return (int)s;
    return -1;
}

/* Write one present, private user page out; 0 if it was not one, or no
 * slot is free. */
static int page_out(uint32_t *pte, uint32_t va)
{
    uint32_t e = *pte;
    int s;
    if (!(e & PTE_P) || !(e & PTE_U) || (e & PTE_COW) || page_refcount(pte_pa(e)) != 1 || (s = free_slot()) < 0)
        return 0;
    apf_pageout_hint(pte_pa(e));
    copy_page(slot[s], P2V(pte_pa(e)));
    used[s] = 1;
    page_unref(pte_pa(e));
    mmu_batch_begin();
    set_pte(pte, (uint32_t)s << 12 | PTE_SWAPPED | (e & (PTE_W | PTE_U)));
    tlb_flush_page(va);
    mmu_batch_end();
    swapped_out++;
    return 1;
}

int swap_out_range(struct proc *p, uint32_t va, uint32_t pages)
{
    int n = 0;
    for (uint32_t i = 0; i < pages && va + i * PGSIZE < USERTOP; i++) {
        uint32_t *pte = walk_user(p->pgdir, va + i * PGSIZE);
        if (pte)
            n += page_out(pte, va + i * PGSIZE);
    }
    return n;
}

int swap_in(uint32_t *pte)
{
    uint32_t s = *pte >> 12;
    char *page = s < slots && used[s] ? kalloc() : 0;
    if (!page)
        return -1;
    copy_page(page, slot[s]);
    used[s] = 0;
    mmu_batch_begin();
    set_pte(pte, pte_make(V2P(page), (*pte & (PTE_W | PTE_U)) | PTE_P));
    mmu_batch_end();
    swapped_in++;
    return 0;
}

void swap_forget(uint32_t e)
{
    if ((e & PTE_SWAPPED) && !(e & PTE_P) && (e >> 12) < slots)
        used[e >> 12] = 0;
}

void swap_stat(struct apf_stat *out)
{
    out->swapped_out = swapped_out;
    out->swapped_in = swapped_in;
}
