/*
 * pv_build.c: the PV domain builder (64-bit, VMX root). See pv_build.h.
 *
 * Xen's builder (tools/libs/guest/xg_dom_x86.c) in small: the kernel is
 * loaded as any Multiboot kernel is (guest_load), at pseudo-physical
 * addresses, which at build time are machine addresses too, shifted: the
 * VM's RAM is one contiguous block (guest_create), pfn p at machine frame
 * first_mfn + p. After the last thing loaded (kernel, modules, Multiboot
 * information), page-aligned and in this order (lib/pv_abi.h section 3):
 *
 *   P2M list      uint32_t mfn[max_pages]: the guest's to keep from now on
 *   start info    struct pv_start_info
 *   shared info   struct pv_shared_info (time and events: section 6)
 *   console       struct pv_console (section 7)
 *   page tables   one page directory (L2), then the L1s it uses: pfn p at
 *                 PV_VIRT_BASE + p * 4096 for every page of the VM, the
 *                 tables' own frames read-only (the guest may read, never
 *                 write, what the CPU walks), 4 KiB pages so that each
 *                 table frame can be read-only alone; L1s for max_pages
 *                 (maxmem=), their entries past nr_pages empty, so that a
 *                 page the balloon takes beyond the VM's start has its
 *                 place in the direct map, and in every address space
 *                 that shares the kernel's L2 entries (Xen's Linux sizes
 *                 its P2M and direct map for max_pages the same way)
 *
 * Then the VM's frames are claimed in the machine's frame table (each
 * becomes the VM's: owner id vm->id + 1), its builder pages kept (DP_KEEP:
 * never given back to the hypervisor by the balloon), the M2P made, and
 * the L2 pinned and made the base pointer: direct paging validates the
 * tables the builder wrote exactly as it will validate the guest's own.
 * From here on every address the hypervisor is given by the guest is a
 * machine address (guest->direct_paging: guest_ptr).
 *
 * The M2P (section 4) is per VM: hypervisor pages (owner none: no guest
 * can map them itself) holding the pfn of each machine frame the VM owns
 * and PV_INVALID_PFN elsewhere, mapped read-only and supervisor-only at
 * PV_M2P_VIRT by a hypervisor L1 that every L2 of the VM holds in slot
 * 1008 (dp_vm.hv_pde: direct_paging.c writes it into each L2 it validates).
 */
#include "pv/pv_build.h"
#include "cpu/panic.h"
#include "guest/machine_frames.h"
#include "guest/vmcs_setup_direct.h"
#include "mbimage.h"
#include "mem/memory.h"
#include "multiboot.h"
#include "pv/pv_domain.h"
#include "pv_note.h"
#include "printf.h"
#include "string.h"

#define PAGE 4096u
#define PTE_P  0x1u
#define PTE_RW 0x2u
#define PTE_US 0x4u
#define PTE_A  0x20u
#define DIRECT_MAP_PAGES ((PV_HYPERVISOR_VIRT - PV_VIRT_BASE) / PAGE)   /* 960 MiB */

static uint32_t pages_for(uint64_t bytes)
{
    return (uint32_t)((bytes + PAGE - 1) / PAGE);
}

/* The note, from the kernel's file: refused without it (section 3). */
static struct pv_elf_note read_note(const struct vm *vm, const struct boot_info *bi)
{
    const struct boot_module *km = &bi->modules[vm->modules.first];
    uint32_t size = (uint32_t)(km->end - km->start);
    struct pv_elf_note note;
    const char *why;
    if (pv_note_find(phys_ptr(km->start, size), size, &note, &why) != PV_NOTE_OK)
        guest_refuse(vm->guest.tag, "cpu=pv: guest kernel (module %u, '%s'): %s", vm->modules.first,
                     km->string, why);
    return note;
}

/* The first pfn after everything guest_load placed: the kernel, its
 * modules (the Multiboot module list) and the boot information's area,
 * which starts at the mbi (guest.c: 0x8000 bytes). */
static uint32_t loaded_end_pfn(const struct vm *vm, const struct boot_info *bi)
{
    const struct guest *g = &vm->guest;
    const struct boot_module *km = &bi->modules[vm->modules.first];
    static struct mb_image k;                  /* large: off the stack */
    mbimage_inspect(&k, phys_ptr(km->start, km->end - km->start), (uint32_t)(km->end - km->start));
    uint64_t end = k.end;
    const struct multiboot_info *mbi = guest_ptr(g, g->mbi_gpa, sizeof(*mbi));
    if (g->mbi_gpa + 0x8000ull > end)
        end = g->mbi_gpa + 0x8000ull;
    const struct multiboot_mod_list *mods = guest_ptr(g, mbi->mods_addr,
                                                      mbi->mods_count * sizeof(*mods));
    for (uint32_t i = 0; mods && i < mbi->mods_count; i++)
        if (mods[i].mod_end > end)
            end = mods[i].mod_end;
    return pages_for(end);
}

/* The layout (the file's comment): pfns from `at` on. */
static void place(struct pv_domain *pv, uint32_t at)
{
    pv->p2m_pfn = at;
    pv->p2m_frames = pages_for((uint64_t)pv->max_pages * 4);
    pv->start_info_pfn = pv->p2m_pfn + pv->p2m_frames;
    pv->shared_info_pfn = pv->start_info_pfn + 1;
    pv->console_pfn = pv->shared_info_pfn + 1;
    pv->pt_pfn = pv->console_pfn + 1;
    pv->nr_pt_frames = 1 + (pv->max_pages + 1023) / 1024;
    pv->first_free_pfn = pv->pt_pfn + pv->nr_pt_frames;
    pv->start_info_mfn = pv->first_mfn + pv->start_info_pfn;
    pv->shared_info_mfn = pv->first_mfn + pv->shared_info_pfn;
    pv->console_mfn = pv->first_mfn + pv->console_pfn;
}

static uint32_t *frame(const struct pv_domain *pv, uint32_t pfn)
{
    return (uint32_t *)((uint64_t)(pv->first_mfn + pfn) * PAGE);   /* the identity map */
}

/* The direct map: L2 entries for the L1s, the L1s' entries for every page. */
static void write_tables(const struct pv_domain *pv)
{
    uint32_t *l2 = frame(pv, pv->pt_pfn);
    for (uint32_t i = 0; i < pv->nr_pt_frames - 1; i++)
        l2[(PV_VIRT_BASE >> 22) + i] = (pv->first_mfn + pv->pt_pfn + 1 + i) * PAGE | PTE_P | PTE_RW | PTE_US;
    for (uint32_t pfn = 0; pfn < pv->nr_pages; pfn++) {
        bool table = pfn >= pv->pt_pfn && pfn < pv->first_free_pfn;
        frame(pv, pv->pt_pfn + 1 + pfn / 1024)[pfn % 1024] =
            (pv->first_mfn + pfn) * PAGE | PTE_P | (table ? 0 : PTE_RW);
    }
}

static void write_start_info(const struct pv_domain *pv, const struct guest *g)
{
    struct pv_start_info *si = (struct pv_start_info *)frame(pv, pv->start_info_pfn);
    *si = (struct pv_start_info){
        .nr_pages = pv->nr_pages, .max_pages = pv->max_pages,
        .shared_info = pv_pfn_virt(pv->shared_info_pfn), .pt_base = pv_pfn_virt(pv->pt_pfn),
        .nr_pt_frames = pv->nr_pt_frames, .mfn_list = pv_pfn_virt(pv->p2m_pfn),
        .mbi = g->mbi_gpa, .console_pfn = pv->console_pfn, .console_evtchn = 0,
        .first_free_pfn = pv->first_free_pfn, .flags = 0,
    };
    memcpy(si->magic, PV_START_INFO_MAGIC, sizeof(PV_START_INFO_MAGIC));
    uint32_t *p2m = frame(pv, pv->p2m_pfn);
    for (uint32_t pfn = 0; pfn < pv->max_pages; pfn++)
        p2m[pfn] = pfn < pv->nr_pages ? pv->first_mfn + pfn : PV_INVALID_MFN;   /* the rest: not yet the VM's */
    /* Every event channel masked, upcalls masked: none is bound yet. */
    struct pv_shared_info *sh = (struct pv_shared_info *)frame(pv, pv->shared_info_pfn);
    sh->vcpu_info[0].evtchn_upcall_mask = 1;
    memset(sh->evtchn_mask, 0xFF, sizeof(sh->evtchn_mask));
}

/* The M2P: hypervisor pages (contiguous, so that m2p[mfn] is an array),
 * and the L1 that maps them read-only at PV_M2P_VIRT. Its entries, and the
 * PDE every L2 of the VM holds for it, are written with A already set: the
 * CPU sets A in each entry it uses in a walk (SDM vol. 3, 4.8; the PDE's
 * bit 5, 4.3 table 4-5), so an entry without it would be written by the
 * CPU in every L2 the guest runs on and in this L1, behind the back of the
 * hypervisor that owns them (Xen's own mappings carry _PAGE_ACCESSED too). */
static void make_m2p(struct pv_domain *pv, struct dp_vm *dp)
{
    pv->m2p_entries = dp->m->nframes;
    uint32_t pages = pages_for((uint64_t)pv->m2p_entries * 4);
    uint64_t pa = pmm_alloc_contiguous(&hv_pmm, pages, PAGE);
    if (!pa)
        panic("no room for a PV guest's M2P (%u pages)", pages);
    pv->m2p = (uint32_t *)pa;
    memset(pv->m2p, 0xFF, (uint64_t)pages * PAGE);                /* PV_INVALID_PFN */
    uint64_t l1 = alloc_page();
    for (uint32_t i = 0; i < pages; i++)
        ((uint32_t *)l1)[i] = (uint32_t)(pa + (uint64_t)i * PAGE) | PTE_P | PTE_A;   /* read-only, supervisor */
    pv->m2p_l1 = (uint32_t)(l1 / PAGE);
    dp->hv_pde[0] = (uint32_t)l1 | PTE_P | PTE_A;
    dp->hv_run = (uint32_t)(pa / PAGE), dp->hv_run_frames = pages;
    for (uint32_t pfn = 0; pfn < pv->nr_pages; pfn++)
        pv->m2p[pv->first_mfn + pfn] = pfn;
}

/* A direct-paging call the builder makes cannot fail on tables it wrote
 * itself: if it does, the builder or direct_paging.c is wrong. */
static void must(int r, const char *what, uint32_t mfn)
{
    if (r)
        panic("PV builder: %s of frame 0x%x failed (%d)", what, mfn, r);
}

void pv_build(struct vm *vm, const struct boot_info *bi, const struct vmx_caps *caps, unsigned max_mib)
{
    struct guest *g = &vm->guest;
    struct pv_elf_note note = read_note(vm, bi);
    struct pv_domain *pv = kmalloc(sizeof(*pv));
    *pv = (struct pv_domain){ .base = PV_INVALID_MFN, .hypercall_mfn = PV_INVALID_MFN,
                              .first_mfn = (uint32_t)(g->ram_hpa / PAGE),
                              .nr_pages = (uint32_t)(g->ram_size / PAGE) };
    pv->max_pages = (uint32_t)max_mib * (1024 * 1024 / PAGE);
    if (pv->max_pages < pv->nr_pages)
        pv->max_pages = pv->nr_pages;
    if (pv->max_pages > DIRECT_MAP_PAGES)
        guest_refuse(g->tag, "cpu=pv: maxmem=%u: a PV guest's direct map (0x%x-0x%x) holds "
                     "%u MiB", pv->max_pages / 256, PV_VIRT_BASE, PV_HYPERVISOR_VIRT,
                     DIRECT_MAP_PAGES / 256);
    place(pv, loaded_end_pfn(vm, bi));
    if (pv->first_free_pfn > pv->nr_pages)
        guest_refuse(g->tag, "cpu=pv: no room after the kernel, its modules and boot information "
                     "for the start-of-day pages (%u pages from pfn 0x%x): give more guestmem=",
                     pv->first_free_pfn - pv->p2m_pfn, pv->p2m_pfn);
    memset(frame(pv, pv->p2m_pfn), 0, (uint64_t)(pv->first_free_pfn - pv->p2m_pfn) * PAGE);
    write_tables(pv);
    write_start_info(pv, g);

    struct dp_vm *dp = &g->dp;
    *dp = (struct dp_vm){ .m = machine_frames(), .owner = (uint8_t)(vm->id + 1) };
    if (!dp->m || (uint64_t)pv->first_mfn + pv->nr_pages > dp->m->nframes)
        panic("PV builder: the machine's frame table does not cover the VM's RAM");
    make_m2p(pv, dp);
    for (uint32_t pfn = 0; pfn < pv->nr_pages; pfn++)
        must(dp_claim(dp, pv->first_mfn + pfn), "dp_claim", pv->first_mfn + pfn);
    for (uint32_t pfn = pv->p2m_pfn; pfn < pv->pt_pfn; pfn++)
        must(dp_keep(dp, pv->first_mfn + pfn), "dp_keep", pv->first_mfn + pfn);
    uint32_t l2 = pv->first_mfn + pv->pt_pfn;
    must(dp_pin(dp, l2, DP_L2), "pinning the initial L2", l2);
    must(dp_set_base(dp, &pv->base, l2), "dp_set_base", l2);
    dp->flush = false;
    g->direct_paging = true;            /* from here on, machine addresses (guest_ptr) */
    g->special_memory = true;
    vm->pv = pv;

    uint32_t start_info = pv_pfn_virt(pv->start_info_pfn);
    vmcs_setup_direct_paging(&vm->vcpu, caps, l2 * PAGE, note.entry, start_info);
    printf("hv: %sPV guest: %u pages, start info at 0x%x, page tables 0x%x-0x%x, entry 0x%x\n",
           g->tag, pv->nr_pages, start_info, pv_pfn_virt(pv->pt_pfn),
           pv_pfn_virt(pv->first_free_pfn), note.entry);
    if (pv->max_pages > pv->nr_pages)
        printf("hv: %sPV guest: its balloon may grow to %u pages (maxmem=%u)\n", g->tag, pv->max_pages,
               pv->max_pages / 256);
}
