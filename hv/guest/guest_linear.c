/*
 * guest_linear.c: the guest's memory at its linear addresses, for an
 * observer (64-bit, VMX root operation): the debugger, and the reports of a
 * guest that is stopped. See guest_linear.h.
 *
 * PAE and 4-level paging (SDM vol. 3, 4.4, 4.5) are guest_paging_pae.c's
 * walk, for the observer too (asked to set no flag: GPT_OBSERVE), so that
 * one piece of code reads those tables.
 *
 * 32-bit paging (SDM vol. 3, 4.3 "32-Bit Paging"): bits 31:22 of the linear
 * address pick an entry of the page directory at CR3; with CR4.PSE and
 * PDE.PS it maps a 4 MiB page, else it points to a page table whose entry,
 * picked by bits 21:12, maps a 4 KiB page. Every table is guest-physical
 * and reached through guest_ptr, so a guest's bad entry can never point
 * the hypervisor outside guest RAM. An observer must not change what it
 * looks at: unlike the CPU, this walk sets no accessed or dirty flag. That,
 * the reasons it gives, and working in every lab's tree are why it is not
 * guest_paging.c's walk, which sets them and is lab 2's student code; the
 * entry bits are the same (guest_paging.h). The CPU's own accesses, which
 * cpu=deprivileged makes in software (guest_linear_touch), do use that
 * walk: they set the flags, as the CPU would.
 */
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "guest/guest_paging_pae.h"
#include "guest/shadow.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

static const uint32_t *entry(const struct guest *g, uint64_t table, unsigned index)
{
    return guest_ptr(g, GPTE_ADDR(table) + 4 * (uint64_t)index, 4);
}

static bool walk_32bit(const struct guest *g, uint64_t cr3, uint64_t cr4, uint64_t linear,
                       struct linear_walk *w)
{
    w->levels = 2;
    if (linear > 0xFFFFFFFFu) {
        w->why = "not a 32-bit linear address";
        return false;
    }
    const uint32_t *pde = entry(g, cr3, (unsigned)(linear >> 22));
    if (!pde) {
        w->why = "the page directory (CR3) is outside guest RAM";
        return false;
    }
    w->entry[w->used++] = *pde;
    if (!(*pde & GPTE_P)) {
        w->why = "the page-directory entry is not present";
        return false;
    }
    if ((cr4 & CR4_PSE) && (*pde & GPTE_PS)) {
        /* A 4 MiB page; PDE bits 20:13 are physical bits 39:32 (PSE-36). */
        w->page_size = 4u << 20;
        w->gpa = (*pde & 0xFFC00000u) | ((uint64_t)(*pde >> 13) & 0xFF) << 32 | (linear & 0x3FFFFF);
        return true;
    }
    const uint32_t *pte = entry(g, *pde, (unsigned)(linear >> 12) & 0x3FF);
    if (!pte) {
        w->why = "the page table is outside guest RAM";
        return false;
    }
    w->entry[w->used++] = *pte;
    if (!(*pte & GPTE_P)) {
        w->why = "the page-table entry is not present";
        return false;
    }
    w->page_size = 4096;
    w->gpa = GPTE_ADDR(*pte) | (linear & 0xFFF);
    return true;
}

/* A table the walk reads: under direct paging the M2P's L1 too, the
 * hypervisor's, which every L2 of a PV guest holds (its entries carry A
 * already, pv_build.c, so the walk writes nothing there). */
static uint32_t *cpu_table(void *ctx, uint64_t gpa)
{
    return (uint32_t *)guest_ptr_read(ctx, gpa, 4096);
}

/* The CPU's paging features a walk with 8-byte entries depends on, this
 * CPU's own: under EPT it is this CPU that walks the guest's tables. */
static void host_paging_features(struct gpt_pae_regs *r)
{
    static unsigned maxphyaddr;
    static bool pages_1g;
    if (!maxphyaddr) {
        maxphyaddr = (unsigned)cpuid(0x80000008u, 0).eax & 0xFF;
        pages_1g = cpuid(0x80000001u, 0).edx & (1u << 26);
    }
    r->maxphyaddr = maxphyaddr;
    r->ctl |= pages_1g ? GPT_1G : 0;
}

/* The guest's paging state, if it uses PAE or 4-level paging (CR0.PG,
 * CR4.PAE; IA32_EFER.LMA picks 4-level, SDM 4.1.1): its CR3 and controls,
 * and for PAE paging under EPT the PDPTEs the CPU holds. A VM exit saves
 * those into the VMCS's guest PDPTE fields (SDM 28.3.4 "Saving Non-Register
 * State"), and VM entry loads them from there (27.3.2.4), not from the
 * table at CR3, which the guest may have changed since its MOV to CR3: the
 * CPU would go on using what it loaded (4.4.1). */
static bool pae_regs(const struct guest *g, uint64_t pdptes[4], struct gpt_pae_regs *r)
{
    uint64_t cr0 = guest_cr0_view(g), cr4 = guest_cr4_view(g), efer = guest_efer_view(g);
    if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE))
        return false;
    bool lma = vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST;   /* SDM 28.2 */
    *r = (struct gpt_pae_regs){
        .levels = lma ? GPT_4LEVEL : GPT_PAE,
        .cr3 = guest_cr3_view(g),
        .ctl = ((cr0 & CR0_WP) ? GPT_WP : 0) | ((cr4 & CR4_PGE) ? GPT_PGE : 0) |
               ((efer & EFER_NXE) ? GPT_NXE : 0) | ((cr4 & CR4_SMEP) ? GPT_SMEP : 0) |
               ((cr4 & CR4_SMAP) ? GPT_SMAP : 0) |
               ((vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_AC) ? GPT_AC : 0),
    };
    if (!lma && !g->shadow_paging) {
        static const unsigned fields[4] = { VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2,
                                            VMCS_GUEST_PDPTE3 };
        for (unsigned i = 0; i < 4; i++)
            pdptes[i] = vmcs_read(fields[i]);
        r->pdptes = pdptes;
    }
    host_paging_features(r);
    return true;
}

/* Why the observer's walk failed, in words. */
static const char *pae_why(const struct gpt_pae_walk *pw, unsigned levels)
{
    static const char *const absent[] = {
        "the PML4 entry is not present", "the page-directory-pointer-table entry is not present",
        "the page-directory entry is not present", "the page-table entry is not present" };
    if (pw->result == GPT_NONCANONICAL)
        return "not a canonical address (bits 63:47 differ)";
    if (pw->result == GPT_BAD_TABLE)
        return pw->used ? "a page table is outside guest RAM" : "the top table (CR3) is outside guest RAM";
    if (!(pw->entry[pw->used - 1] & GPTE_P))
        return absent[4 - levels + pw->used - 1];
    return "a paging-structure entry has reserved bits set (the CPU's #PF with RSVD)";
}

bool guest_linear_walk(const struct guest *g, uint64_t linear, struct linear_walk *w)
{
    *w = (struct linear_walk){ .why = "" };
    uint64_t cr0 = guest_cr0_view(g);
    if (!(cr0 & CR0_PG)) {
        w->gpa = linear;            /* paging off: linear is physical */
        return true;
    }
    uint64_t pdptes[4];
    struct gpt_pae_regs r;
    if (!pae_regs(g, pdptes, &r))
        return walk_32bit(g, guest_cr3_view(g), guest_cr4_view(g), linear, w);
    /* An observer: no accessed or dirty flag, and any page it maps readable. */
    r.ctl = (r.ctl | GPT_OBSERVE) & ~(uint32_t)GPT_SMAP;
    struct gpt_mem mem = { cpu_table, (void *)g };
    struct gpt_pae_walk pw;
    gpt_walk_pae(&pw, &mem, &r, linear, 0);
    w->levels = r.levels;
    w->used = pw.used;
    memcpy(w->entry, pw.entry, sizeof(w->entry));
    if (pw.result != GPT_OK) {
        w->why = pae_why(&pw, r.levels);
        return false;
    }
    w->gpa = pw.gpa;
    w->page_size = pw.page_size;
    return true;
}

bool guest_shadow_gpa(const struct guest *g, uint32_t linear, uint64_t *gpa)
{
    const uint32_t *dir = (const uint32_t *)g->shadow->root;
    uint32_t pde = dir ? dir[linear >> 22] : 0;
    if (!(pde & GPTE_P))
        return false;
    uint32_t pte = ((const uint32_t *)(uint64_t)GPTE_ADDR(pde))[(linear >> 12) & 0x3FF];
    uint64_t hpa = GPTE_ADDR(pte);
    if (!(pte & GPTE_P) || hpa < g->ram_hpa || hpa >= g->ram_hpa + g->ram_size)
        return false;                   /* not filled, or the hypervisor's own page */
    *gpa = hpa - g->ram_hpa + (linear & 0xFFF);
    return true;
}

/* Under direct paging (cpu=pv) the guest's page tables are the CPU's and
 * mapped read-only to it: an observer's write (gdb=guest) goes only through
 * entries that are all writable, as the guest's own would, so that no
 * table changes behind direct paging's back (lib/pv_abi.h section 5). */
static bool writable_for_direct_paging(const struct linear_walk *w)
{
    for (unsigned i = 0; i < w->used; i++)
        if (!(w->entry[i] & GPTE_W))
            return false;
    return true;
}

/* len bytes at linear, within one page, through the guest's tables as the
 * guest sees them (its own CR0, CR3, CR4, even under shadow paging), or
 * through the shadow tables the CPU runs on. */
static void *guest_bytes(const struct guest *g, uint64_t linear, size_t len, bool shadow, bool write)
{
    struct linear_walk w;
    if (shadow)
        return linear <= 0xFFFFFFFFu && guest_shadow_gpa(g, (uint32_t)linear, &w.gpa)
                   ? guest_ptr(g, w.gpa, len) : NULL;
    if (!guest_linear_walk(g, linear, &w))
        return NULL;
    if (write && g->direct_paging && !writable_for_direct_paging(&w))
        return NULL;
    return guest_ptr(g, w.gpa, len);
}

/* Page by page: consecutive linear pages need not be consecutive in RAM. */
static size_t copy_guest(const struct guest *g, uint64_t linear, uint8_t *buf, size_t len,
                         bool write, bool shadow)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = 4096 - (linear & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        uint8_t *p = guest_bytes(g, linear, chunk, shadow, write);
        if (!p)
            break;
        if (write)
            memcpy(p, buf + done, chunk);
        else
            memcpy(buf + done, p, chunk);
        linear += chunk;
        done += chunk;
    }
    return done;
}

size_t guest_linear_read(const struct guest *g, uint64_t linear, void *buf, size_t len)
{
    return copy_guest(g, linear, buf, len, false, false);
}

size_t guest_shadow_read(const struct guest *g, uint64_t linear, void *buf, size_t len)
{
    return copy_guest(g, linear, buf, len, false, true);
}

size_t guest_linear_write(const struct guest *g, uint64_t linear, const void *buf, size_t len)
{
    return copy_guest(g, linear, (uint8_t *)buf, len, true, false);
}

void guest_cpu_walk(struct guest *g, uint32_t linear, uint32_t access, struct gpt_walk *w)
{
    struct gpt_mem mem = { cpu_table, g };
    gpt_walk(w, &mem, g->shadow->guest_cr3, linear, access, g->shadow->ctl);
}

void guest_cpu_walk_now(struct guest *g, uint64_t linear, uint32_t access, struct gpt_walk *w)
{
    struct gpt_mem mem = { cpu_table, g };
    uint64_t pdptes[4];
    struct gpt_pae_regs r;
    if (!pae_regs(g, pdptes, &r)) {
        uint64_t cr0 = guest_cr0_view(g), cr4 = guest_cr4_view(g);
        uint32_t ctl = ((cr0 & CR0_WP) ? GPT_WP : 0) | ((cr4 & CR4_PSE) ? GPT_PSE : 0) |
                       ((cr4 & CR4_PGE) ? GPT_PGE : 0);
        if (linear > 0xFFFFFFFFu)
            *w = (struct gpt_walk){ .result = GPT_NONCANONICAL };   /* not the caller's to ask */
        else
            gpt_walk(w, &mem, (uint32_t)guest_cr3_view(g), (uint32_t)linear, access, ctl);
        return;
    }
    struct gpt_pae_walk pw;
    gpt_walk_pae(&pw, &mem, &r, linear, access);
    *w = (struct gpt_walk){ .result = pw.result, .gpa = pw.gpa, .writable = pw.writable, .user = pw.user,
                            .dirty = pw.dirty, .global = pw.global,
                            .pte = pw.used ? (uint32_t)pw.entry[pw.used - 1] : 0,
                            .error_code = pw.error_code, .bad_gpa = pw.bad_gpa };
}

bool guest_linear_touch_by(struct guest *g, uint32_t linear, void *data, unsigned len, bool write,
                           guest_walker *walk, void *ctx)
{
    uint8_t *buf = data;
    while (len) {
        unsigned chunk = 4096 - (linear & 0xFFF);
        if (chunk > len)
            chunk = len;
        uint64_t gpa = linear;
        if (walk || g->shadow->paging) {
            struct gpt_walk w;
            if (walk)
                walk(ctx, linear, write ? PFEC_W : 0, &w);
            else
                guest_cpu_walk(g, linear, write ? PFEC_W : 0, &w);
            if (w.result != GPT_OK)
                return false;
            gpa = w.gpa;
        }
        uint8_t *p = guest_ptr(g, gpa, chunk);
        if (!p)
            return false;
        if (write)
            memcpy(p, buf, chunk);
        else
            memcpy(buf, p, chunk);
        linear += chunk, buf += chunk, len -= chunk;
    }
    return true;
}

bool guest_linear_touch(struct guest *g, uint32_t linear, void *data, unsigned len, bool write)
{
    return guest_linear_touch_by(g, linear, data, len, write, NULL, NULL);
}
