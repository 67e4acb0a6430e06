/*
 * guest.c: a guest's RAM, and booting a Multiboot v1 kernel in it (64-bit,
 * VMX root operation). See guest.h.
 *
 * The guest-physical memory map it gives the kernel (Multiboot spec 3.3):
 *
 *   0x00000000-0x0009fc00  usable      (0x400: the BIOS Data Area; 0x1000-0x9000:
 *                                       this boot information, unless the kernel
 *                                       loads there)
 *   0x0009fc00-0x000a0000  reserved    (the EBDA, with the MP tables: pc_firmware.h)
 *   0x000f0000-0x00100000  reserved    (where a PC's BIOS ROM would be: ACPI's tables)
 *   0x00100000-ram_size    usable      (the kernel, then its modules)
 *
 * The kernel loads anywhere in its RAM, below 1 MiB too, as QEMU's -kernel
 * loads it, but over the first page (the real-mode IVT and the BDA, which a
 * PC kernel reads to find the firmware's tables). Over the EBDA and the BIOS
 * area the kernel wins: the firmware is written first, as a PC's BIOS runs
 * before its loader. The boot information (the mbi and all it points to)
 * goes at 0x1000-0x9000 where GRUB's kernels expect nothing else, or, if the
 * kernel loads there (one linked at 0x8000), after the kernel and its
 * modules, page-aligned, where QEMU puts its module list and strings. The
 * modules go above 1 MiB, after the kernel.
 */
#include "mem/scrub.h"
#include "guest/guest.h"
#include "guest/overcommit.h"
#include "guest/machine_frames.h"
#include <stdarg.h>
#include "fmt.h"
#include "mbimage.h"
#include "mem/memory.h"
#include "boot/options.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/control_regs.h"

#define PAGE 4096ull
#define FIRST_PAGE_END 0x1000u     /* the real-mode IVT and the BIOS Data Area */
#define BOOTINFO_LOW   0x1000u     /* the boot information's place, if the kernel leaves it */
#define BOOTINFO_SIZE  0x8000u
#define LOW_RAM_END    0x9FC00u
#define HIGH_RAM_START 0x100000u

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

const struct vm_tags *vm_tags(unsigned vm)
{
    static const struct vm_tags tags[] = {
        { "", "", "(e9) " },
        { "vm1: ", "(vm1) ", "(vm1) (e9) " },
        { "vm2: ", "(vm2) ", "(vm2) (e9) " },
        { "vm3: ", "(vm3) ", "(vm3) (e9) " },
    };
    static const struct vm_tags unknown = { "vm?: ", "(vm?) ", "(vm?) (e9) " };
    _Static_assert(sizeof(tags) / sizeof(tags[0]) == OPTIONS_VMS_MAX, "a tag per VM");
    return vm < OPTIONS_VMS_MAX ? &tags[vm] : &unknown;
}

void guest_create(struct guest *g, uint64_t ram_bytes)
{
    uint64_t pages = ram_bytes / PAGE;
    g->ram_size = pages * PAGE;
    g->ram_hpa = pmm_alloc_contiguous(&hv_pmm, pages, PAGE);
    if (!g->ram_hpa)
        panic("no room for %lu MiB of guest RAM (%lu pages free): give the machine more "
              "memory, or a smaller guestmem=", g->ram_size >> 20,
              pmm_free_count(&hv_pmm));
    scrub(g->ram_hpa, g->ram_size);   /* nothing of the machine's or the hypervisor's reaches it */
    ept_init(&g->ept);
    g->shadow = &g->first_shadow;     /* one address space's shadow, unless bt=1 keeps several */
    for (uint64_t gpa = 0; gpa < g->ram_size; gpa += PAGE)
        ept_map_page(&g->ept, gpa, g->ram_hpa + gpa, EPT_RWX);
    printf("hv: %sguest RAM %lu MiB at host 0x%lx, EPT %lu pages\n", g->tag,
           g->ram_size >> 20, g->ram_hpa,
           g->ept.pages);
}

static inline bool in_ram(const struct guest *g, uint64_t gpa, uint64_t len)
{
    return gpa <= g->ram_size && len <= g->ram_size - gpa;
}

/* Direct paging's machine frames, or RAM the hypervisor pages
 * (resident=): brought in first. */
void *guest_special_ptr(const struct guest *g, uint64_t gpa, uint64_t len)
{
    if (g->direct_paging)
        return machine_frames_ptr(&g->dp, gpa, len);
    if (!in_ram(g, gpa, len))
        return NULL;
    overcommit_touch(g->overcommit, gpa, len);
    return (void *)(g->ram_hpa + gpa);
}

const void *guest_ptr_read(const struct guest *g, uint64_t gpa, uint64_t len)
{
    const void *p = guest_ptr(g, gpa, len);
    return p || !g->direct_paging ? p : machine_frames_hv_ptr(&g->dp, gpa, len);
}

/* The boot information is written into a small bump area of guest memory. */
struct bootinfo_area {
    struct guest *g;
    uint32_t next, end;  /* guest-physical */
};

static uint32_t bootinfo_alloc(struct bootinfo_area *a, uint32_t size)
{
    uint32_t at = (uint32_t)align_up(a->next, 8);
    if (size > a->end - at)
        guest_refuse(a->g->tag, "the guest's Multiboot information does not fit in its 0x%x bytes "
                     "at 0x%x: fewer or shorter module strings", BOOTINFO_SIZE,
                     a->end - BOOTINFO_SIZE);
    a->next = at + size;
    return at;
}

/* Where the modules go: page-aligned, after the kernel, above 1 MiB. */
static uint64_t modules_start(const struct mb_image *k)
{
    return align_up(k->end > HIGH_RAM_START ? k->end : HIGH_RAM_START, PAGE);
}

/* The boot information's area: 0x1000-0x9000 if the kernel leaves it
 * free, else the first page after the kernel and its modules (placed from
 * modules_start on, each page-aligned), if the guest's RAM has room. */
static struct bootinfo_area bootinfo_area_for(struct guest *g, const struct mb_image *k,
                                              const struct boot_info *bi,
                                              const struct boot_group *group)
{
    uint64_t at = BOOTINFO_LOW;
    if (k->start < BOOTINFO_LOW + BOOTINFO_SIZE && k->end > BOOTINFO_LOW) {
        at = modules_start(k);
        for (unsigned i = 1; i < group->count; i++) {
            const struct boot_module *m = &bi->modules[group->first + i];
            at = align_up(at + (m->end - m->start), PAGE);
        }
    }
    if (!guest_ptr(g, at, BOOTINFO_SIZE))
        guest_refuse(g->tag, "no room for the guest's Multiboot information (0x%x bytes): the "
                     "kernel loads at 0x%lx-0x%lx, over 0x%x-0x%x, and after it and its modules "
                     "0x%lx is beyond the guest's RAM (0-0x%lx): give more guestmem=",
                     BOOTINFO_SIZE, k->start, k->end, BOOTINFO_LOW, BOOTINFO_LOW + BOOTINFO_SIZE,
                     at + BOOTINFO_SIZE, g->ram_size);
    if (at != BOOTINFO_LOW)
        printf("hv: %sguest's Multiboot information at 0x%lx-0x%lx, after its kernel and modules "
               "(the kernel loads over 0x%x-0x%x)\n", g->tag, at, at + BOOTINFO_SIZE,
               BOOTINFO_LOW, BOOTINFO_LOW + BOOTINFO_SIZE);
    return (struct bootinfo_area){ g, (uint32_t)at, (uint32_t)(at + BOOTINFO_SIZE) };
}

static uint32_t bootinfo_string(struct bootinfo_area *a, const char *s)
{
    uint32_t len = (uint32_t)strlen(s) + 1;
    uint32_t at = bootinfo_alloc(a, len);
    memcpy(guest_ptr(a->g, at, len), s, len);
    return at;
}

static void add_mmap(struct multiboot_mmap_entry *e, uint64_t start, uint64_t end, uint32_t type)
{
    *e = (struct multiboot_mmap_entry){ 20, start, end - start, type };
}

/* A guest kernel the hypervisor cannot take is the guest's fault, not the
 * hypervisor's: it is refused with a report and the status of a stopped
 * guest, before it has run an instruction. */
void guest_refuse(const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("hv: %sguest stopped: ", tag);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    poweroff(POWEROFF_GUEST_STOPPED);
}

struct placing {
    struct guest *g;
    const struct boot_module *kernel;
    unsigned module;         /* the kernel's number on the command line */
};

/* mbimage_place's callback: copy a piece of the kernel into guest RAM. Any
 * guest RAM will do, below 1 MiB too (GRUB and QEMU load such kernels), but
 * the first page: the IVT and the BDA that pc_firmware.c wrote. */
static void place_in_guest(void *ctx, uint64_t gpa, const uint8_t *src, uint64_t filesz,
                           uint64_t memsz)
{
    const struct placing *p = ctx;
    uint8_t *dst = guest_ptr(p->g, gpa, memsz);
    if (!dst)
        guest_refuse(p->g->tag, "the guest kernel (module %u, '%s') wants guest-physical "
                     "0x%lx-0x%lx, outside the guest's RAM (0-0x%lx): link it lower, or give more "
                     "guestmem=", p->module, p->kernel->string, gpa,
                     gpa + memsz, p->g->ram_size);
    if (gpa < FIRST_PAGE_END)
        guest_refuse(p->g->tag, "the guest kernel (module %u, '%s') wants guest-physical "
                     "0x%lx-0x%lx, over the first page (0-0x%x: the real-mode IVT and the BIOS "
                     "Data Area, which a PC kernel reads): link it at 0x%x or above",
                     p->module, p->kernel->string, gpa, gpa + memsz, FIRST_PAGE_END,
                     FIRST_PAGE_END);
    memcpy(dst, src, filesz);
    memset(dst + filesz, 0, memsz - filesz);
}

/* The kernel's command line: its module's string without the path. */
static void guest_cmdline(char *out, size_t size, const char *module_string, const char *extra)
{
    const char *args = strchr(module_string, ' ');
    args = args ? args + 1 : "";
    snprintf(out, size, "%s%s%s", args, *args && *extra ? " " : "", extra);
}

/* LAB 1 BEGIN: boot the guest kernel as a Multiboot loader would */
void guest_load(struct guest *g, const struct boot_info *bi, const struct boot_group *group,
                const char *extra_args)
{
    if (group->count == 0)
        panic("no guest kernel: pass it as the first module (make run does)");
    const struct boot_module *km = &bi->modules[group->first];
    struct mb_image k;
    if (!mbimage_inspect(&k, phys_ptr(km->start, km->end - km->start),
                         (uint32_t)(km->end - km->start)))
        guest_refuse(g->tag, "guest kernel (module %u, '%s'): %s", group->first, km->string,
                     k.error);
    struct placing placing = { g, km, group->first };
    mbimage_place(&k, place_in_guest, &placing);
    g->entry = k.entry;

    struct bootinfo_area a = bootinfo_area_for(g, &k, bi, group);
    uint32_t mbi_gpa = bootinfo_alloc(&a, sizeof(struct multiboot_info));
    struct multiboot_info *mbi = guest_ptr(g, mbi_gpa, sizeof(*mbi));
    memset(mbi, 0, sizeof(*mbi));

    /* Modules, page-aligned after the kernel (Multiboot header flag 0), in
     * the RAM above 1 MiB even when the kernel lies below it. */
    unsigned nmods = group->count - 1;
    uint32_t list = bootinfo_alloc(&a, nmods * sizeof(struct multiboot_mod_list));
    uint64_t next = modules_start(&k);
    for (unsigned i = 0; i < nmods; i++) {
        const struct boot_module *m = &bi->modules[group->first + 1 + i];
        uint64_t size = m->end - m->start;
        void *dst = guest_ptr(g, next, size);
        if (!dst)
            guest_refuse(g->tag, "guest module %u ('%s', %lu bytes) does not fit in %lu MiB of "
                         "guest RAM: give more guestmem=", i, m->string, size,
                         g->ram_size >> 20);
        memcpy(dst, phys_ptr(m->start, size), size);
        struct multiboot_mod_list *ml = guest_ptr(g, list + i * sizeof(*ml), sizeof(*ml));
        *ml = (struct multiboot_mod_list){ (uint32_t)next, (uint32_t)(next + size),
                                           bootinfo_string(&a, m->string), 0 };
        next = align_up(next + size, PAGE);
    }

    uint32_t map = bootinfo_alloc(&a, 4 * sizeof(struct multiboot_mmap_entry));
    struct multiboot_mmap_entry *e = guest_ptr(g, map, 4 * sizeof(*e));
    add_mmap(&e[0], 0, LOW_RAM_END, MULTIBOOT_MEMORY_AVAILABLE);
    add_mmap(&e[1], LOW_RAM_END, 0xA0000, MULTIBOOT_MEMORY_RESERVED);
    add_mmap(&e[2], 0xF0000, HIGH_RAM_START, MULTIBOOT_MEMORY_RESERVED);
    add_mmap(&e[3], HIGH_RAM_START, g->ram_size, MULTIBOOT_MEMORY_AVAILABLE);

    char cmdline[BOOT_CMDLINE_MAX];
    guest_cmdline(cmdline, sizeof(cmdline), km->string, extra_args);
    mbi->flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
                 MULTIBOOT_INFO_BOOT_LOADER_NAME | (nmods ? MULTIBOOT_INFO_MODS : 0);
    mbi->mem_lower = LOW_RAM_END / 1024;
    mbi->mem_upper = (uint32_t)((g->ram_size - HIGH_RAM_START) / 1024);
    mbi->cmdline = bootinfo_string(&a, cmdline);
    mbi->mods_count = nmods;
    mbi->mods_addr = list;
    mbi->mmap_addr = map;
    mbi->mmap_length = 4 * sizeof(*e);
    mbi->boot_loader_name = bootinfo_string(&a, "hvlab hypervisor");
    g->mbi_gpa = mbi_gpa;
    printf("hv: %sguest kernel loaded at 0x%08lx-0x%08lx, entry 0x%08x, %u modules, "
           "cmdline '%s'\n", g->tag, k.start, k.end,
           k.entry, nmods, cmdline);
}
/* LAB 1 END */

/* Bits the mask gives the hypervisor read from the shadow (SDM 25.6.6). */
static uint64_t masked_view(unsigned real, unsigned mask, unsigned shadow)
{
    uint64_t m = vmcs_read(mask);
    return (vmcs_read(real) & ~m) | (vmcs_read(shadow) & m);
}

uint64_t guest_cr0_view(const struct guest *g)
{
    (void)g;
    return masked_view(VMCS_GUEST_CR0, VMCS_CR0_GUEST_HOST_MASK, VMCS_CR0_READ_SHADOW);
}

uint64_t guest_cr4_view(const struct guest *g)
{
    (void)g;
    return masked_view(VMCS_GUEST_CR4, VMCS_CR4_GUEST_HOST_MASK, VMCS_CR4_READ_SHADOW);
}

uint64_t guest_efer_view(const struct guest *g)
{
    (void)g;
    return (vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_LOAD_IA32_EFER) ? vmcs_read(VMCS_GUEST_IA32_EFER) : 0;
}

void guest_set_efer(struct guest *g, uint64_t efer)
{
    uint64_t entry = vmcs_read(VMCS_VM_ENTRY_CONTROLS);
    if (!(entry & ENTRY_LOAD_IA32_EFER) || efer == guest_efer_view(g))
        return;
    vmcs_write(VMCS_GUEST_IA32_EFER, efer);
    vmcs_write(VMCS_VM_ENTRY_CONTROLS, (efer & EFER_LMA) ? entry | ENTRY_IA32E_MODE_GUEST
                                                         : entry & ~(uint64_t)ENTRY_IA32E_MODE_GUEST);
}

uint64_t guest_cr3_view(const struct guest *g)
{
    return g->shadow_paging ? g->shadow->guest_cr3 : vmcs_read(VMCS_GUEST_CR3);
}
