/*
 * vm.c: a VM made out of its group of modules, the proof that VMs share no
 * memory, and the CPU handed from one VM to the next (64-bit, VMX root
 * operation; see vm.h).
 */
#include "guest/vm.h"
#include "guest/ept_check.h"
#include "guest/pc_firmware.h"
#include "fmt.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define PAGE 4096ull

/* The hypervisor's table of its VMs (as Xen's list of domains): the
 * machine's, one entry per group of modules, each entry one guest's state. */
static struct vm vms[VMS_MAX];

/* test=NAME on the hypervisor's command line reaches each guest kernel's. */
static const char *guest_test_option(const char *test)
{
    static char buf[OPTIONS_TEST_NAME_MAX + 8];
    snprintf(buf, sizeof(buf), "test=%s", test);
    return buf;
}

struct vm *vm_create(unsigned id, const struct boot_info *bi, const struct boot_group *group,
                     const struct hv_options *o, const struct vmx_caps *caps)
{
    if (id >= VMS_MAX)
        panic("vm_create: VM %u: the hypervisor has room for %u VMs", id, VMS_MAX);
    struct vm *vm = &vms[id];
    *vm = (struct vm){ .id = id, .modules = *group };
    struct guest *g = &vm->guest;
    g->tag = vm_tags(id)->hv;
    guest_create(g, (uint64_t)o->guestmem_mib << 20);
    pc_firmware_write(g, o->devices == DEVICES_VIRTUAL);      /* before the kernel: it may load over them */
    guest_load(g, bi, group, o->test[0] ? guest_test_option(o->test) : "");
    g->shadow_paging = o->mem == MEM_SHADOW;
    if (g->shadow_paging)
        printf("hv: %sshadow paging: EPT off, the guest's 32-bit tables shadowed\n", g->tag);

    /* Its vCPU, with the VMCS made current and set up (SDM 25.11.3). */
    struct vcpu *v = &vm->vcpu;
    v->vm = vm;
    v->guest = g;
    v->caps = caps;
    v->vpid = (uint16_t)(id + 1);
    vmcs_create(v, caps);
    vmcs_setup(v, caps);
    return vm;
}

/* ---- the VMs' memory, disjoint ----
 * One byte per host page up to the end of the highest VM's RAM says whose
 * it is: nobody's, the hypervisor's (and what), or VM n's. The hypervisor's
 * pages are marked first; then each VM's EPT is walked, and every page it
 * maps must be in the RAM that VM was given and nobody else's. The heap
 * and the other pages the hypervisor allocates come from the page
 * allocator, which hands out each page once (pmm.c): a page inside a VM's
 * own RAM block is none of them. */

enum owner {
    NOBODY = 0,                     /* 1..VMS_MAX: VM n - 1 */
    HV_LOW_MEMORY = 0x80, HV_IMAGE, HV_BOOT, HV_EPT_TABLE, HV_VMCS, HV_VMX_BITMAP,
};

static const char *owner_name(uint8_t owner)
{
    switch (owner) {
    case HV_LOW_MEMORY: return "the first MiB (BIOS, real-mode memory)";
    case HV_IMAGE:      return "the hypervisor's image";
    case HV_BOOT:       return "the boot information or a module";
    case HV_EPT_TABLE:  return "an EPT table";
    case HV_VMCS:       return "a VMCS";
    case HV_VMX_BITMAP: return "an I/O or MSR bitmap";
    default:            return "?";
    }
}

#define RANGES_SHOWN 4

struct memory_check {
    uint8_t *owner;                 /* one byte per host page below limit */
    uint64_t limit;
    const struct vm *vm;            /* the VM whose EPT is walked */
    uint64_t gpa_start, gpa_end;    /* what it maps */
    uint64_t pages;
    uint64_t range[RANGES_SHOWN][2];   /* host-physical, the first few */
    unsigned ranges;                /* all of them: runs of contiguous host pages */
    uint64_t last_end;              /* where the last run ends */
};

extern char __image_start[], __image_end[];   /* hv/linker.ld */

static void mark(struct memory_check *c, uint64_t start, uint64_t end, uint8_t owner)
{
    for (uint64_t pa = start & ~(PAGE - 1); pa < end && pa < c->limit; pa += PAGE)
        c->owner[pa / PAGE] = owner;
}

static void mark_ept_table(void *ctx, uint64_t table_pa)
{
    mark(ctx, table_pa, table_pa + PAGE, HV_EPT_TABLE);
}

static void no_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    (void)ctx, (void)gpa, (void)hpa, (void)size;
}

static void no_table(void *ctx, uint64_t table_pa)
{
    (void)ctx, (void)table_pa;
}

/* The hypervisor's pages: what a VM's EPT must never map. */
static void mark_hypervisor(struct memory_check *c, const struct boot_info *bi,
                            struct vm *const *list, unsigned n)
{
    mark(c, 0, 0x100000, HV_LOW_MEMORY);
    mark(c, (uintptr_t)__image_start, (uintptr_t)__image_end, HV_IMAGE);
    for (unsigned i = 0; i < bi->used_count; i++)
        mark(c, bi->used[i].start, bi->used[i].end, HV_BOOT);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu *v = &list[i]->vcpu;
        struct ept_visitor tables = { no_leaf, mark_ept_table, c };
        ept_visit(&list[i]->guest.ept, &tables);
        mark(c, v->vmcs_pa, v->vmcs_pa + PAGE, HV_VMCS);
        vcpu_load(v);
        unsigned bitmaps[] = { VMCS_IO_BITMAP_A, VMCS_IO_BITMAP_B, VMCS_MSR_BITMAP };
        for (unsigned k = 0; k < 3; k++) {
            uint64_t pa = vmcs_read(bitmaps[k]);
            mark(c, pa, pa + PAGE, HV_VMX_BITMAP);
        }
    }
}

/* One page a VM's EPT maps (or, under direct paging, a frame it owns):
 * nobody else's, and in its own RAM. The most telling reason first: the
 * hypervisor's page, another VM's. */
static void claim_page(struct memory_check *c, uint64_t gpa, uint64_t hpa)
{
    const struct guest *g = &c->vm->guest;
    unsigned id = c->vm->id;
    uint8_t owner = hpa < c->limit ? c->owner[hpa / PAGE] : NOBODY;
    if (owner >= HV_LOW_MEMORY)
        panic("vm%u's EPT maps guest-physical 0x%lx to host-physical 0x%lx: %s, the "
              "hypervisor's own memory", id, gpa, hpa,
              owner_name(owner));
    if (owner != NOBODY && owner != id + 1)
        panic("vm%u's EPT maps guest-physical 0x%lx to host-physical 0x%lx, which vm%u's EPT "
              "maps too", id, gpa, hpa, owner - 1u);
    if (!g->direct_paging && (hpa < g->ram_hpa || hpa - g->ram_hpa >= g->ram_size))
        panic("vm%u's EPT maps guest-physical 0x%lx to host-physical 0x%lx, outside the %lu MiB "
              "of RAM the VM was given (host 0x%lx-0x%lx)", id, gpa,
              hpa, g->ram_size >> 20,
              g->ram_hpa, g->ram_hpa + g->ram_size);
    c->owner[hpa / PAGE] = (uint8_t)(id + 1);
}

static void claim_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    struct memory_check *c = ctx;
    for (uint64_t off = 0; off < size; off += PAGE)
        claim_page(c, gpa + off, hpa + off);
    if (!c->pages || gpa < c->gpa_start)
        c->gpa_start = gpa;
    if (gpa + size > c->gpa_end)
        c->gpa_end = gpa + size;
    c->pages += size / PAGE;
    if (!c->ranges || hpa != c->last_end) {         /* a new run */
        if (c->ranges < RANGES_SHOWN)
            c->range[c->ranges][0] = hpa;
        c->ranges++;
    }
    c->last_end = hpa + size;
    if (c->ranges <= RANGES_SHOWN)
        c->range[c->ranges - 1][1] = c->last_end;
}

/* Under direct paging (cpu=pv, lab 5) a VM's memory is not what an EPT
 * maps (its EPT is built, and unused: no entry goes through it) but the
 * frames the machine's frame table says it owns (guest/machine_frames.h),
 * which its balloon changes: after ballooning they can be anywhere the
 * page allocator had free, so the RAM block it was built in proves
 * nothing; each must still be no other's and none of the hypervisor's.
 * Their "guest-physical" is the machine address itself. */
static void claim_owned_frames(struct memory_check *c, const struct dp_vm *dp)
{
    for (uint32_t mfn = 0; dp->m && mfn < dp->m->nframes; mfn++)
        if (dp->m->frames[mfn].owner == dp->owner)
            claim_leaf(c, (uint64_t)mfn * PAGE, (uint64_t)mfn * PAGE, PAGE);
}

/* "hv: vm1: guest-physical 0x0-0x4000000 (64 MiB) on host-physical
 * 0x6c00000-0xac00000 (16384 pages in 1 range)"; under direct paging
 * "hv: vm1: machine frames 0x...-0x... (1024 pages in 1 range), owned in
 * the frame table". */
static void print_vm_memory(const struct memory_check *c)
{
    if (c->vm->guest.direct_paging) {
        printf("hv: vm%u: machine frames", c->vm->id);
        for (unsigned i = 0; i < c->ranges && i < RANGES_SHOWN; i++)
            printf(" 0x%lx-0x%lx", c->range[i][0], c->range[i][1]);
        printf("%s (%lu pages in %u range%s), its own in the machine's frame table\n",
               c->ranges > RANGES_SHOWN ? " ..." : "", c->pages, c->ranges, c->ranges == 1 ? "" : "s");
        return;
    }
    printf("hv: vm%u: guest-physical 0x%lx-0x%lx (%lu MiB) on host-physical", c->vm->id,
           c->gpa_start, c->gpa_end,
           (c->gpa_end - c->gpa_start) >> 20);
    for (unsigned i = 0; i < c->ranges && i < RANGES_SHOWN; i++)
        printf(" 0x%lx-0x%lx", c->range[i][0], c->range[i][1]);
    printf("%s (%lu pages in %u range%s)\n", c->ranges > RANGES_SHOWN ? " ..." : "",
           c->pages, c->ranges, c->ranges == 1 ? "" : "s");
}

void vm_check_memory(struct vm *const *list, unsigned n, const struct boot_info *bi)
{
    struct memory_check c = { 0 };
    for (unsigned i = 0; i < n; i++) {
        const struct guest *g = &list[i]->guest;
        if (g->ram_hpa + g->ram_size > c.limit)
            c.limit = g->ram_hpa + g->ram_size;
        for (uint32_t mfn = 0; g->direct_paging && g->dp.m && mfn < g->dp.m->nframes; mfn++)
            if (g->dp.m->frames[mfn].owner == g->dp.owner && (mfn + 1) * PAGE > c.limit)
                c.limit = (mfn + 1) * PAGE;          /* a frame it owns may be any (its balloon) */
    }
    c.owner = kmalloc(c.limit / PAGE);
    memset(c.owner, NOBODY, c.limit / PAGE);
    mark_hypervisor(&c, bi, list, n);
    uint64_t pages = 0;
    for (unsigned i = 0; i < n; i++) {
        c.vm = list[i];
        c.gpa_start = c.gpa_end = c.pages = c.last_end = 0;
        c.ranges = 0;
        struct ept_visitor claim = { claim_leaf, no_table, &c };
        if (list[i]->guest.direct_paging)
            claim_owned_frames(&c, &list[i]->guest.dp);
        else
            ept_visit(&list[i]->guest.ept, &claim);
        print_vm_memory(&c);
        pages += c.pages;
    }
    kfree(c.owner);
    printf("hv: VM memory disjoint: %u VMs, %lu guest pages, each in its own VM's %s; no host "
           "page in two VMs, none the hypervisor's (low memory, image, boot modules, EPT tables, "
           "VMCSs, VMX bitmaps)\n", n, pages, list[0]->guest.direct_paging ? "frames" : "RAM");
}

/* A clean x87 and SSE state for FXRSTOR (SDM vol. 1, 10.5.1, table 10-2):
 * FCW 0x37F and MXCSR 0x1F80, their values after FNINIT and at reset,
 * every register 0 and every x87 register empty (abridged tag word 0). */
static const uint8_t clean_fpu_state[512] __attribute__((aligned(16))) = {
    [0] = 0x7F, [1] = 0x03,                 /* FCW */
    [24] = 0x80, [25] = 0x1F,               /* MXCSR */
};

/* FXSAVE and FXRSTOR need CR4.OSFXSR for the XMM registers and CR0.EM and
 * TS clear (SDM vol. 2A, FXSAVE): set for the instruction, then put back. */
static void with_fpu_enabled(void (*op)(const void *), const void *area)
{
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();
    write_cr0(cr0 & ~(CR0_EM | CR0_TS));
    write_cr4(cr4 | CR4_OSFXSR);
    op(area);
    write_cr4(cr4);
    write_cr0(cr0);
}

static void fxsave(const void *area)
{
    __asm__ volatile("fxsave %0" : "=m"(*(uint8_t (*)[512])(uintptr_t)area));
}

static void fxrstor(const void *area)
{
    __asm__ volatile("fxrstor %0" : : "m"(*(const uint8_t (*)[512])area));
}

void vm_switch_cpu_state(struct vm *from, struct vm *to)
{
    if (from) {
        struct vm_cpu_state *c = &from->cpu;
        with_fpu_enabled(fxsave, c->fpu);
        __asm__ volatile("mov %%db0, %0\n\tmov %%db1, %1\n\tmov %%db2, %2\n\tmov %%db3, %3\n\t"
                         "mov %%db6, %4" : "=r"(c->dr[0]), "=r"(c->dr[1]), "=r"(c->dr[2]),
                         "=r"(c->dr[3]), "=r"(c->dr6));
        c->cr2 = read_cr2();
        long_mode_msrs_save(c->long_mode_msrs);
        c->saved = true;
    }
    if (!to->cpu.saved) {
        vm_clear_cpu_state();
        return;
    }
    struct vm_cpu_state *c = &to->cpu;
    with_fpu_enabled(fxrstor, c->fpu);
    __asm__ volatile("mov %0, %%db0\n\tmov %1, %%db1\n\tmov %2, %%db2\n\tmov %3, %%db3\n\t"
                     "mov %4, %%db6" : : "r"(c->dr[0]), "r"(c->dr[1]), "r"(c->dr[2]),
                     "r"(c->dr[3]), "r"(c->dr6));
    write_cr2(c->cr2);
    long_mode_msrs_load(c->long_mode_msrs);
}

void vm_clear_cpu_state(void)
{
    /* The hypervisor itself uses no x87 or SSE register (-mgeneral-regs-
     * only), so the guest's stay in the CPU across its exits: FXRSTOR of a
     * clean state overwrites all of them, ST0-ST7 and XMM0-XMM15 (FNINIT
     * alone would only tag ST0-ST7 empty, and FXSAVE still shows their
     * bits). It needs CR4.OSFXSR for the XMM registers and CR0.EM, TS
     * clear (SDM vol. 2A, FXRSTOR). */
    with_fpu_enabled(fxrstor, clean_fpu_state);
    /* DR0-DR3 and DR6 are the guest's own registers (MOV DR does not exit,
     * SDM 26.1.3): the next VM starts from their values at reset (18.2);
     * DR7 is in the VMCS. CR2 too: the last page fault's address; and the
     * MSRs of SWAPGS and SYSCALL, which the guest writes in the CPU
     * (long_mode_msrs.c). */
    uint64_t zero = 0, dr6 = 0xFFFF0FF0;
    __asm__ volatile("mov %0, %%db0\n\tmov %0, %%db1\n\tmov %0, %%db2\n\tmov %0, %%db3\n\t"
                     "mov %1, %%db6" : : "r"(zero), "r"(dr6));
    write_cr2(0);
    long_mode_msrs_reset();
}
