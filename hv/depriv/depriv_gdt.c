/*
 * depriv_gdt.c: the descriptor tables the CPU uses for a deprivileged
 * guest, and its state at a Multiboot entry (64-bit, VMX root; lab 3).
 *
 * The CPU reads its GDT, IDT and TSS at linear addresses of the guest's
 * address space, so the hypervisor's copies live in the top 4 MiB of it
 * (kit contract: the guest leaves the top 64 MiB unused), mapped by the
 * shadow page tables in every address space, read-only (the real CR0.WP is
 * 1). Every segment the guest gets ends below the top 64 MiB, so that the
 * guest kernel, at ring 1 a supervisor as far as paging goes, cannot reach
 * them through a segment (Xen's protection of its own area; lecture slide
 * 38). The real IDT is empty (events are delivered in software), and the
 * real TSS has an I/O map that allows every port, so that IN and OUT at
 * ring 1 reach the VMX I/O bitmaps as they do at ring 0.
 */
#include "depriv/depriv.h"
#include "x86/descriptor.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "guest/shadow.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

#define TSS_IOMAP      0x68              /* the I/O map starts after the 104-byte TSS */
#define TSS_LIMIT      (TSS_IOMAP + 8192)   /* the map and its all-ones last byte */
#define AR_TSS32_BUSY  0x8B

bool depriv_guest_tss(struct vcpu *v, uint32_t *base, uint32_t *limit)
{
    const struct depriv *dp = &v->depriv;
    uint64_t d;
    if (!dp->tr || !depriv_read(v, dp->gdt_base + (dp->tr & ~7u), &d, 8))
        return false;
    *base = descriptor_base(d);
    *limit = descriptor_limit(d);
    return true;
}

/* One descriptor of the guest's GDT, read as the CPU would read it on use:
 * false if it lies outside the guest's RAM; a page its tables do not map
 * reads as 0 (a descriptor the CPU refuses on use: depriv_fault.c). */
static bool read_guest_descriptor(struct vcpu *v, uint32_t linear, uint64_t *d)
{
    if (guest_linear_read(v->guest, linear, d, 8) == 8)
        return true;
    *d = 0;
    const struct guest *g = v->guest;
    struct linear_walk w;
    for (uint32_t at = linear; at - linear < 8; at += 7)   /* its first byte's page, its last's */
        if (!guest_linear_walk(g, at, &w))
            return true;                        /* not mapped: the CPU's #PF on use */
    return false;                               /* mapped, outside guest RAM */
}

/* A code or data descriptor marked not present: the CPU checks its type
 * and DPL before P, and a load that passes them is #NP (SS: #SS) with the
 * selector (SDM vol. 2A, MOV). Copied with its type and DPL (0 made 1) and
 * nothing else, it answers so at ring 1 too: no base or limit, and never
 * loaded, being absent. */
static uint64_t absent_segment(uint64_t d)
{
    d &= DESC_S | DESC_CODE | DESC_EXPAND_DOWN | DESC_WRITABLE | 3ull << 45;
    return DESC_DPL(d) == 0 ? d | 1ull << 45 : d;
}

/* bt=1's own descriptors, where the guest's GDT of n descriptors leaves
 * their slots free; else every index is the guest's, and what needs them
 * (the real IDT's gates) is off. */
static void install_hv_slots(struct depriv *dp, unsigned n)
{
    dp->hv_slots_in_use = dp->hv_slot[0] && n <= DEPRIV_HV_SLOT;
    for (unsigned i = 0; dp->hv_slots_in_use && i < DEPRIV_HV_SLOTS; i++)
        dp->gdt[DEPRIV_HV_SLOT + i] = dp->hv_slot[i];
}

bool depriv_load_gdt(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    unsigned n = (dp->gdt_limit + 1) / 8;       /* the limit is 16 bits: n <= 8192 */
    dp->gdt_copies++;
    for (unsigned i = 1; i < n; i++) {
        uint64_t d;
        if (!read_guest_descriptor(v, dp->gdt_base + 8 * i, &d))
            return false;
        dp->gdt[i] = (d & DESC_S) && !(d & DESC_P) ? absent_segment(d) : descriptor_compress(d, DEPRIV_SEG_LIMIT);
    }
    for (unsigned i = n ? n : 1; i < DEPRIV_GDT_ENTRIES; i++)
        dp->gdt[i] = 0;
    install_hv_slots(dp, n);
    return true;
}

void depriv_set_hv_slots(struct vcpu *v, const uint64_t slot[DEPRIV_HV_SLOTS])
{
    struct depriv *dp = &v->depriv;
    for (unsigned i = 0; i < DEPRIV_HV_SLOTS; i++)
        dp->hv_slot[i] = slot[i];
    install_hv_slots(dp, (dp->gdt_limit + 1) / 8);
}

void depriv_descriptor_fields(uint64_t d, uint64_t *base, uint64_t *limit, uint64_t *access)
{
    *base = descriptor_base(d);
    *limit = descriptor_limit(d);
    *access = (d & DESC_P) ? descriptor_access_rights(d) : 0x10000;
}

void depriv_load_descriptor(unsigned selector_field, uint16_t selector, uint64_t d)
{
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;   /* see vmcs_setup.c's set_segment */
    uint64_t base, limit, access;
    depriv_descriptor_fields(d, &base, &limit, &access);
    vmcs_write(selector_field, selector);
    vmcs_write(VMCS_GUEST_ES_BASE + n, base);
    vmcs_write(VMCS_GUEST_ES_LIMIT + n, limit);
    vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + n, access);
}

/* The copy of the descriptor a selector names, or 0: the null selector and
 * an LDT selector (the guest has no LDT) name nothing the guest may load,
 * nor one past its GDT's limit (the copy holds 0 there, depriv_load_gdt,
 * or the hypervisor's own descriptors). */
uint64_t depriv_copied_descriptor(const struct vcpu *v, uint16_t selector)
{
    unsigned index = selector >> 3;
    if (!index || (selector & 4) || (v->depriv.hv_slots_in_use && index >= DEPRIV_HV_SLOT))
        return 0;
    return v->depriv.gdt[index];
}

void depriv_load_segment(const struct vcpu *v, unsigned selector_field, uint16_t selector)
{
    depriv_load_descriptor(selector_field, selector, depriv_copied_descriptor(v, selector));
}

unsigned depriv_data_segment_fault(const struct vcpu *v, uint16_t selector)
{
    if (!(selector & ~3u))
        return 0;                               /* the null selector: an unusable segment */
    uint64_t d = depriv_copied_descriptor(v, selector);
    bool code = d & DESC_CODE, conforming = code && (d & DESC_EXPAND_DOWN);   /* bit 42: C for code */
    if (!(d & DESC_S) || (code && !(d & DESC_WRITABLE)))
        return VEC_GP;                          /* a system segment, or execute-only code */
    if (!conforming && (DESC_DPL(d) < 1 || DESC_DPL(d) < (selector & 3u)))
        return VEC_GP;                          /* the real CPL is 1 */
    return (d & DESC_P) ? 0 : VEC_NP;
}

bool depriv_segment_ok(const struct vcpu *v, uint16_t selector, bool code)
{
    return descriptor_fits(depriv_copied_descriptor(v, selector), selector & 3u, code);
}

/* A flat segment of ring 1, as the guest's own are made. */
static uint64_t flat(uint64_t access)
{
    return descriptor_compress(0xFFFF | 0xFull << 48 | access << 40 | 0xCull << 52, DEPRIV_SEG_LIMIT);
}

void depriv_setup(struct vcpu *v)
{
    /* The vCPU's ring-1 state: its own, as a CPU's registers are. */
    struct depriv *dp = &v->depriv;
    *dp = (struct depriv){ .active = true };

    /* The hypervisor's pages: the GDT (16 contiguous pages, the host's
     * array dp->gdt), the TSS with its I/O map (three pages), and the page
     * table that maps them at DEPRIV_AREA, in that order. */
    uint64_t gdt = pmm_alloc_contiguous(&hv_pmm, DEPRIV_GDT_PAGES, PAGE_SIZE);
    if (!gdt)
        panic("out of memory: no %u contiguous pages for a deprivileged guest's GDT", DEPRIV_GDT_PAGES);
    uint64_t tss = alloc_page(), table = alloc_page();
    uint64_t map1 = alloc_page(), map2 = alloc_page();
    uint32_t *pt = (uint32_t *)table;
    memset((void *)table, 0, PAGE_SIZE);
    for (unsigned i = 0; i < DEPRIV_GDT_PAGES; i++)
        pt[i] = (uint32_t)(gdt + i * PAGE_SIZE) | GPTE_P | GPTE_A | GPTE_D;   /* supervisor, read-only */
    memset((void *)gdt, 0, DEPRIV_GDT_PAGES * PAGE_SIZE);
    uint64_t pages[3] = { tss, map1, map2 };
    for (unsigned i = 0; i < 3; i++) {
        memset((void *)pages[i], 0, PAGE_SIZE);
        pt[DEPRIV_GDT_PAGES + i] = (uint32_t)pages[i] | GPTE_P | GPTE_A | GPTE_D;
    }
    ((uint16_t *)tss)[0x66 / 2] = TSS_IOMAP;       /* I/O map base; every bit 0: allowed */
    ((uint8_t *)tss)[TSS_LIMIT] = 0xFF;             /* the map's last byte (SDM vol. 1, I/O bit map) */
    dp->gdt = (uint64_t *)gdt;
    dp->area = pt;
    dp->gdt[1] = flat(0x9A);                        /* the loader's flat code and data, */
    dp->gdt[2] = flat(0x92);                        /* at ring 1, until the guest's LGDT */
    v->sysenter_msrs = dp->sysenter;                /* RDMSR, WRMSR: exit_msr.c */
    shadow_map_hypervisor(v->guest->shadow, table);

    /* Every exception exits; so will every external interrupt, acknowledged
     * (the vector comes with the exit: SDM 25.7.1, 28.2.2), once the guest
     * has enabled interrupts (depriv_set_vif). */
    const struct vmx_caps *caps = v->caps;
    vmcs_write(VMCS_EXCEPTION_BITMAP, 0xFFFFFFFF);
    /* Every port exits: the real TSS's I/O map, which ring 3 shares with
     * ring 1, allows them all (depriv_io checks a user program's access). */
    memset((void *)vmcs_read(VMCS_IO_BITMAP_A), 0xFF, PAGE_SIZE);
    memset((void *)vmcs_read(VMCS_IO_BITMAP_B), 0xFF, PAGE_SIZE);
    vmcs_write(VMCS_PIN_BASED_CONTROLS, vmx_ctl_adjust(caps->pinbased, PIN_NMI_EXITING));
    vmcs_write(VMCS_VM_EXIT_CONTROLS, vmcs_read(VMCS_VM_EXIT_CONTROLS) |
               vmx_ctl_adjust(caps->exit, EXIT_ACK_INTERRUPT_ON_EXIT));

    /* The Multiboot state at ring 1: CPL is SS.DPL (SDM 25.4.1). */
    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, 0x08 | 1);
    depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, 0x10 | 1);
    depriv_load_segment(v, VMCS_GUEST_DS_SELECTOR, 0x10);
    depriv_load_segment(v, VMCS_GUEST_ES_SELECTOR, 0x10);
    depriv_load_segment(v, VMCS_GUEST_FS_SELECTOR, 0x10);
    depriv_load_segment(v, VMCS_GUEST_GS_SELECTOR, 0x10);
    vmcs_write(VMCS_GUEST_GDTR_BASE, DEPRIV_GDT);
    vmcs_write(VMCS_GUEST_GDTR_LIMIT, DEPRIV_GDT_ENTRIES * 8 - 1);
    vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);            /* every INT n faults: #GP */
    vmcs_write(VMCS_GUEST_TR_SELECTOR, DEPRIV_TSS_SELECTOR);
    vmcs_write(VMCS_GUEST_TR_BASE, DEPRIV_TSS);
    vmcs_write(VMCS_GUEST_TR_LIMIT, TSS_LIMIT);
    vmcs_write(VMCS_GUEST_TR_ACCESS_RIGHTS, AR_TSS32_BUSY);
    vmcs_write(VMCS_GUEST_RFLAGS, 0x2);              /* IF 0, as Multiboot says, until */
    dp->vif = false;                                 /* the first STI (depriv_set_vif) */
}
