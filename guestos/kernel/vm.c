/*
 * vm.c: address spaces. Two-level 32-bit paging with 4 KiB pages only
 * (no 4 MiB pages: the shadow-paging lab then has one case to handle).
 *
 * The kernel's half (0xC0000000 up to 0xFC000000) is the same in every page
 * directory: its page tables are made once, at boot, and every process's
 * directory points at them. Its last 4 MiB hold device registers, not RAM
 * (the local APIC's page, with timer=lapic). The top 64 MiB stay empty for
 * the hypervisor.
 * The user half is private: the program image, a heap and a stack that are
 * filled on demand (the first touch of a page faults and gets a zero page),
 * and after fork, pages shared copy-on-write.
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

static uint32_t *kpgdir;

static void make_kernel_global(void);

/* An empty page table (plat.h: the PV kernel's is pinned, perhaps one it
 * kept), or NULL. */
static uint32_t *new_page_table(void)
{
    uint32_t *pt = reuse_page_table(PT_L1);
    if (!pt && (pt = kalloc()))
        pin_page_table(pt, PT_L1);
    return pt;
}

/* Map all RAM at KERNBASE: boot.S mapped 16 MiB, add the rest, then drop
 * the low identity mapping boot.S needed to turn paging on. (The PV
 * kernel's builder mapped all of it, and nothing low.) */
void map_kernel(uint32_t ram_top)
{
    kpgdir = boot_page_directory();
    mmu_batch_begin();
    for (uint32_t pa = BOOT_MAPPED; pa < ram_top; pa += 1024 * PGSIZE) {
        if (kpgdir[PDX(KERNBASE + pa)] & PTE_P)
            continue;
        uint32_t *pt = kalloc();
        if (!pt)
            panic("map_kernel: no memory for the kernel's page tables");
        for (int i = 0; i < 1024; i++)
            pt[i] = pte_make(pa + i * PGSIZE, PTE_P | PTE_W);  /* not yet a table: plain stores */
        pin_page_table(pt, PT_L1);
        set_pde(&kpgdir[PDX(KERNBASE + pa)], pte_make(V2P(pt), PTE_P | PTE_W));
    }
    for (uint32_t i = 0; i < PDX_KERN; i++)
        if (kpgdir[i] & PTE_P)
            set_pde(&kpgdir[i], 0);
    mmu_batch_end();
    load_pgdir(kpgdir);
    make_kernel_global();
}

/* The kernel's mappings are the same in every address space and never
 * change: mark them global, so that a context switch (a CR3 load) keeps
 * them in the TLB, and in a hypervisor's shadow tables (lab 2). Only now,
 * with the boot identity mapping gone: a global entry for it would outlive
 * it. Setting CR4.PGE flushes every translation, global ones included. */
static void make_kernel_global(void)
{
    if (!(cpuid1_edx() & CPUID_EDX_PGE))
        return;
    mmu_batch_begin();
    for (uint32_t d = PDX_KERN; d < PDX_TOP; d++) {
        if (!(kpgdir[d] & PTE_P))
            continue;
        uint32_t *pt = P2V(pte_pa(kpgdir[d]));
        for (int i = 0; i < 1024; i++)
            if (pt[i] & PTE_P)
                set_pte(&pt[i], pt[i] | PTE_G);
    }
    mmu_batch_end();
    write_cr4(read_cr4() | CR4_PGE);
}

/* Map one page of device registers (physical pa) at va, in the kernel's
 * device window (mmu.h), uncached: a cached copy of a register would hide
 * the device's own changes (PCD and PWT select the UC memory type, SDM
 * vol. 3, 4.9). Supervisor-only, and global like the rest of the kernel.
 * Call it before the first process: create_pgdir copies the kernel's
 * directory slots, this one's page table with them, so the page is then
 * in every address space. Native only: a PV kernel has no local APIC. */
void map_kernel_device(uint32_t va, uint32_t pa)
{
    uint32_t *pde = &kpgdir[PDX(va)];
    if (va < KDEVBASE || va >= KERNTOP)
        panic("map_kernel_device: 0x%08x is not in the device window", va);
    if (!(*pde & PTE_P)) {
        uint32_t *pt = new_page_table();
        if (!pt)
            panic("map_kernel_device: no memory for a page table");
        set_pde(pde, pte_make(V2P(pt), PTE_P | PTE_W));
    }
    uint32_t *pt = P2V(pte_pa(*pde));
    uint32_t global = (read_cr4() & CR4_PGE) ? PTE_G : 0;
    set_pte(&pt[PTX(va)], PTE_ADDR(pa) | PTE_P | PTE_W | PTE_PCD | PTE_PWT | global);
    tlb_flush_page(va);
}

/* The page-table entry for va, making its page table if `create`. Not
 * inside a batch that may have made that table: it reads the directory. */
static uint32_t *walk(uint32_t *pgdir, uint32_t va, int create)
{
    uint32_t *pde = &pgdir[PDX(va)];
    if (*pde & PTE_P)
        return (uint32_t *)P2V(pte_pa(*pde)) + PTX(va);
    uint32_t *pt = create ? new_page_table() : NULL;
    if (!pt)
        return NULL;
    set_pde(pde, pte_make(V2P(pt), PTE_P | PTE_W | PTE_U));    /* the PTEs restrict further */
    return &pt[PTX(va)];
}

/* A page holding the kernel's directory entries, not yet a table. */
static uint32_t *kernel_pgdir_copy(void)
{
    uint32_t *pgdir = kalloc();
    if (pgdir)
        memcpy(&pgdir[PDX_KERN], &kpgdir[PDX_KERN], (PDX_TOP - PDX_KERN) * 4);
    return pgdir;
}

/* A new directory holding only the kernel's mappings (perhaps one the PV
 * kernel kept: the same kernel half, no user entry). */
uint32_t *create_pgdir(void)
{
    uint32_t *pgdir = reuse_page_table(PT_L2);
    if (!pgdir && (pgdir = kernel_pgdir_copy()))
        pin_page_table(pgdir, PT_L2);
    return pgdir;
}

/* Drop every user page (shared ones lose a reference), the page tables,
 * and the directory itself (not the one loaded: exit loads the kernel's
 * first, which the PV kernel puts off until it reuses or frees this one,
 * pv/mmu.c). Where tables are pinned, each entry is cleared first, so that
 * a table freed is empty, as the PV kernel keeps it for reuse (plat.h);
 * natively a freed page is just free. */
void free_pgdir(uint32_t *pgdir)
{
    mmu_batch_begin();
    for (uint32_t d = 0; d < PDX_KERN; d++) {
        if (!(pgdir[d] & PTE_P))
            continue;
        uint32_t *pt = P2V(pte_pa(pgdir[d]));
        for (int i = 0; i < 1024; i++) {
            if (!(pt[i] & (PTE_P | PTE_SWAPPED)))   /* one test: most entries are empty */
                continue;
            if (!(pt[i] & PTE_P)) {
                swap_forget(pt[i]);
                continue;
            }
            page_unref(pte_pa(pt[i]));
            if (TABLES_PINNED)
                set_pte(&pt[i], 0);
        }
        if (TABLES_PINNED)
            set_pde(&pgdir[d], 0);
        free_page_table(pt, PT_L1);
    }
    free_page_table(pgdir, PT_L2);
    mmu_batch_end();
}

/* Map one user page; returns -1 when out of memory or already mapped. */
int map_user_page(uint32_t *pgdir, uint32_t va, uint32_t pa, uint32_t perm)
{
    uint32_t *pte = walk(pgdir, va, 1);
    if (!pte || (*pte & PTE_P))
        return -1;
    set_pte(pte, pte_make(pa, perm | PTE_P | PTE_U));
    return 0;
}

/* fork's copy: the child gets its own page tables pointing at the parent's
 * pages; writable pages become read-only + COW in both, so whoever writes
 * first gets a private copy (handle_user_fault). NULL when out of memory.
 * Every entry, the child's and the parent's, is a set_pte in one batch:
 * the PV kernel makes one hypercall for it all (an mmu_update; a multicall
 * if a table had to be made), and its tables are ones it kept pinned
 * (plat.h), so the hypervisor validates only the entries written (built
 * as plain pages and pinned when full, as Xen's Linux did, each fork had
 * the directory's 240 kernel entries validated, and released at exit). */
uint32_t *copy_pgdir_cow(uint32_t *pgdir)
{
    uint32_t *child = create_pgdir();
    if (!child)
        return NULL;
    mmu_batch_begin();
    for (uint32_t d = 0; d < PDX_KERN; d++) {
        if (!(pgdir[d] & PTE_P))
            continue;
        uint32_t *pt = P2V(pte_pa(pgdir[d])), *cpt = NULL;
        for (uint32_t i = 0; i < 1024; i++) {
            uint32_t e = pt[i];
            if (!(e & (PTE_P | PTE_SWAPPED)))  /* one test: most entries are empty */
                continue;
            if (!(e & PTE_P)) {
                if (swap_in(&pt[i]) < 0) {      /* the child gets its own copy */
                    mmu_batch_end();
                    free_pgdir(child);
                    return NULL;
                }
                e = pt[i];
            }
            if (!cpt) {
                if (!(cpt = new_page_table())) {
                    mmu_batch_end();
                    free_pgdir(child);
                    return NULL;
                }
                set_pde(&child[d], pte_make(V2P(cpt), PTE_P | PTE_W | PTE_U));
            }
            if (e & PTE_W) {
                e = (e & ~PTE_W) | PTE_COW;
                set_pte(&pt[i], e);
            }
            set_pte(&cpt[i], e);
            page_ref(pte_pa(e));
        }
    }
    tlb_flush_taken();      /* the parent's writable entries lost RW */
    mmu_batch_end();
    return child;
}

/* A write to a copy-on-write page: copy it, unless no one else maps it. */
static int break_cow(uint32_t *pte, uint32_t va)
{
    uint32_t pa = pte_pa(*pte);
    if (page_refcount(pa) > 1) {
        char *copy = kalloc();
        if (!copy) {
            printf("guestos: out of memory for a copy-on-write page\n");
            return -1;
        }
        copy_page(copy, P2V(pa));
        page_unref(pa);
        pa = V2P(copy);
    }
    mmu_batch_begin();
    set_pte(pte, pte_make(pa, (*pte & 0xFFF & ~PTE_COW) | PTE_W));
    tlb_flush_page(va);
    mmu_batch_end();
    return 0;
}

/* The PTE of user page va, NULL if no table holds it (swap.c). */
uint32_t *walk_user(uint32_t *pgdir, uint32_t va)
{
    return walk(pgdir, va, 0);
}

static int in_lazy_region(struct proc *p, uint32_t va)
{
    return (va >= p->heap_base && va < p->brk) || (va >= USTACK_LOW && va < USERTOP);
}

/* Resolve a user page fault at va: a zero page for the heap or stack, or a
 * private copy of a COW page. Returns 0 when resolved, -1 when the access
 * is an error (the caller kills the process). */
int handle_user_fault(struct proc *p, uint32_t va, int write)
{
    if (va >= USERTOP || !p->pgdir)
        return -1;
    uint32_t *pte = walk(p->pgdir, va, 0);
    if (pte && (*pte & PTE_P))
        return (write && (*pte & PTE_COW)) ? break_cow(pte, PGROUNDDOWN(va)) : -1;
    if (pte && (*pte & PTE_SWAPPED))
        return swap_in(pte);               /* in the kernel's swap (swap.c) */
    if (!in_lazy_region(p, va))
        return -1;
    char *page = kalloc();
    if (!page) {
        printf("guestos: out of memory for a page of pid %d (%s)\n", p->pid, p->name);
        return -1;
    }
    mmu_batch_begin();     /* the PV kernel: a page table, if needed, and the entry in one call */
    int mapped = map_user_page(p->pgdir, PGROUNDDOWN(va), V2P(page), PTE_W);
    mmu_batch_end();
    if (mapped < 0) {
        kfree(page);
        return -1;
    }
    return 0;
}

/* The kernel address of user byte va, faulting the page in (or copying it,
 * for a write) as the CPU would. NULL if the process may not access it. */
static char *user_byte(struct proc *p, uint32_t va, int write)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        uint32_t *pte = va < USERTOP ? walk(p->pgdir, va, 0) : NULL;
        if (pte && (*pte & PTE_P) && (*pte & PTE_U) && (!write || (*pte & PTE_W)))
            return (char *)P2V(pte_pa(*pte)) + (va & (PGSIZE - 1));
        if (handle_user_fault(p, va, write) < 0)
            return NULL;
    }
    return NULL;
}

/* Copy to or from user memory one page at a time, through the page tables,
 * so a bad pointer is an error return, never a kernel fault. */
int copy_to_user(struct proc *p, uint32_t dst, const void *src, uint32_t n)
{
    while (n > 0) {
        char *k = user_byte(p, dst, 1);
        if (!k)
            return -1;
        uint32_t chunk = PGSIZE - (dst & (PGSIZE - 1));
        if (chunk > n)
            chunk = n;
        memcpy(k, src, chunk);
        dst += chunk, src = (const char *)src + chunk, n -= chunk;
    }
    return 0;
}

int copy_from_user(struct proc *p, void *dst, uint32_t src, uint32_t n)
{
    while (n > 0) {
        char *k = user_byte(p, src, 0);
        if (!k)
            return -1;
        uint32_t chunk = PGSIZE - (src & (PGSIZE - 1));
        if (chunk > n)
            chunk = n;
        memcpy(dst, k, chunk);
        src += chunk, dst = (char *)dst + chunk, n -= chunk;
    }
    return 0;
}

/* A NUL-terminated string of at most max bytes (with the NUL). */
int copy_string_from_user(struct proc *p, char *dst, uint32_t src, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++) {
        char *k = user_byte(p, src + i, 0);
        if (!k)
            return -1;
        if ((dst[i] = *k) == 0)
            return 0;
    }
    return -1;
}

/* sbrk: move the end of the heap. Growing only moves brk (pages come on
 * first touch); shrinking unmaps and frees the pages above the new end.
 * Returns -1 if the heap would leave [heap_base, USTACK_LOW). */
int resize_heap(struct proc *p, int32_t delta, uint32_t *old_brk)
{
    uint32_t old = p->brk, new = old + (uint32_t)delta;
    if ((delta > 0 && (new < old || new > USTACK_LOW)) || (delta < 0 && (new > old || new < p->heap_base)))
        return -1;
    *old_brk = old;
    p->brk = new;
    mmu_batch_begin();
    for (uint32_t va = PGROUNDUP(new); va < PGROUNDUP(old); va += PGSIZE) {
        uint32_t *pte = walk(p->pgdir, va, 0);
        if (pte && (*pte & PTE_P)) {
            page_unref(pte_pa(*pte));
            set_pte(pte, 0);
            tlb_flush_page(va);
        } else if (pte && (*pte & PTE_SWAPPED)) {
            swap_forget(*pte);
            set_pte(pte, 0);
        }
    }
    mmu_batch_end();
    return 0;
}

/* The flags (bits 11:0) of the PTE that maps user page va, or -1 if none
 * does. With `clear`, clear its accessed and dirty flags (PTE_A, PTE_D in
 * clear) and invalidate the page, so that the CPU sets them afresh: the
 * pteflags system call, for tests of how a hypervisor keeps them (lab 2). */
int user_pte_flags(struct proc *p, uint32_t va, uint32_t clear)
{
    uint32_t *pte = va < USERTOP ? walk(p->pgdir, va, 0) : NULL;
    if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U))
        return -1;
    int flags = (int)(*pte & 0xFFF);
    if (clear & (PTE_A | PTE_D)) {
        set_pte(pte, *pte & ~(clear & (PTE_A | PTE_D)));
        tlb_flush_page(PGROUNDDOWN(va));
    }
    return flags;
}

/* Swap the pages that map user pages va1 and va2, and invalidate both: the
 * ptswap system call, for tests of TLB (and shadow) invalidation (lab 2).
 * Returns -1 unless both are mapped. */
int swap_user_pages(struct proc *p, uint32_t va1, uint32_t va2)
{
    uint32_t *a = va1 < USERTOP ? walk(p->pgdir, va1, 0) : NULL;
    uint32_t *b = va2 < USERTOP ? walk(p->pgdir, va2, 0) : NULL;
    if (!a || !b || !(*a & *b & PTE_P))
        return -1;
    uint32_t ea = *a, eb = *b;
    mmu_batch_begin();
    set_pte(a, eb);
    set_pte(b, ea);
    tlb_flush_page(PGROUNDDOWN(va1));
    tlb_flush_page(PGROUNDDOWN(va2));
    mmu_batch_end();
    return 0;
}

/* Run on pgdir's address space (the kernel's own one for NULL). */
void switch_to_pgdir(uint32_t *pgdir)
{
    load_pgdir(pgdir ? pgdir : kpgdir);
}
