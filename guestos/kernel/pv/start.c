/*
 * start.c: the PV kernel's start of day (lib/pv_abi.h section 3), and what
 * plat.h's boot and device operations are for it.
 *
 * The builder entered pv_entry (start.S) with paging on and the start-info
 * page in ESI. Before kmain can print, the kernel needs its hypercall page
 * (CPUID leaf 0x40000002 names the MSR that places it) and the shared-info
 * page (for its interrupt mask); then kmain runs as it does natively, with
 * the Multiboot information the builder placed.
 */
#include "../defs.h"
#include "../plat.h"
#include "hypercall.h"
#include "pv.h"
#include "../../../lib/multiboot.h"
#include "../../../lib/printf.h"
#include "../../../lib/string.h"

void kmain(uint32_t magic, uint32_t mbi_pa);
void pv_entry(void);

/* The note that makes this a PV kernel: the builder refuses one without it. */
static const struct {
    uint32_t namesz, descsz, type;
    char name[8];                   /* "hvlab", NUL-padded to 4 bytes */
    struct pv_elf_note desc;
} note __attribute__((used, section(".note.hvlab"), aligned(4))) = {
    sizeof PV_NOTE_NAME, sizeof(struct pv_elf_note), PV_NOTE_TYPE, PV_NOTE_NAME,
    {PV_VERSION, (uint32_t)pv_entry, PV_VIRT_BASE},
};

struct pv_start_info *pv_start_info;
struct pv_shared_info *pv_shared;
struct pv_vcpu_info *pv_vcpu;
uint32_t *pv_p2m;

uint32_t pv_machine_addr(const void *va)
{
    uint32_t pa = V2P(va);
    return pv_p2m[pa >> 12] << 12 | (pa & 0xFFF);
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* Nothing can be printed before the hypercall page: without the hypervisor
 * this kernel can only stop. */
static _Noreturn void stop(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* CPUID 0x40000000 says whose hypervisor this is; 0x40000002 names the MSR
 * that places the hypercall page at a machine address. */
static void map_hypercall_page(void)
{
    uint32_t r[4];
    cpuid(PV_CPUID_BASE, r);
    if (r[0] < PV_CPUID_HYPERCALL || memcmp(&r[1], "hvlabhvlabhv", 12))
        stop();
    cpuid(PV_CPUID_HYPERCALL, r);
    uint32_t msr = r[1], ma = pv_machine_addr(hypercall_page);
    __asm__ volatile("wrmsr" : : "c"(msr), "a"(ma), "d"(0) : "memory");
}

/* Is word on the command line? (Read where the builder put it: kmain's
 * copy, and boot_option, come only after the first line.) */
static int cmdline_has(const struct multiboot_info *mbi, const char *word)
{
    const char *cmd = (const char *)(PV_VIRT_BASE + mbi->cmdline);
    size_t n = strlen(word);
    for (const char *w = cmd; (mbi->flags & MULTIBOOT_INFO_CMDLINE) && *w; w++)
        if ((w == cmd || w[-1] == ' ') && !strncmp(w, word, n) && (w[n] == ' ' || w[n] == 0))
            return 1;
    return 0;
}

void pv_start(uint32_t magic, struct pv_start_info *si)
{
    if (magic != PV_START_MAGIC || memcmp(si->magic, PV_START_INFO_MAGIC, sizeof PV_START_INFO_MAGIC))
        stop();
    pv_start_info = si;
    pv_p2m = (uint32_t *)si->mfn_list;
    pv_shared = (struct pv_shared_info *)si->shared_info;
    pv_vcpu = &pv_shared->vcpu_info[0];
    pv_vcpu->evtchn_upcall_mask = 1;        /* "interrupts off", as at a Multiboot entry */
    map_hypercall_page();
    const struct multiboot_info *mbi = (const struct multiboot_info *)(PV_VIRT_BASE + si->mbi);
    if (cmdline_has(mbi, "console=split"))
        split_console_init(cmdline_has(mbi, "ring=vq"));    /* before the first line: every line goes through it */
    kmain(MULTIBOOT_BOOTLOADER_MAGIC, si->mbi);
}

uint32_t *boot_page_directory(void) { return (uint32_t *)pv_start_info->pt_base; }

/* What the builder placed (the kernel, the modules, the Multiboot
 * information, the P2M list, the start-info, shared-info and console
 * pages, the initial tables) lies below first_free_pfn; the VM has
 * nr_pages pages. */
void reserve_platform_memory(void)
{
    pv_read_options();
    clip_usable_memory(pv_start_info->first_free_pfn * PGSIZE, pv_start_info->nr_pages * PGSIZE);
}

/* No PIC, no PIT, no UART: event channels, a timer, the balloon. The CPU's
 * IF goes on now and stays on: the upcall mask is the kernel's "IF". */
void init_devices(void)
{
    printf("guestos: paravirtual (cpu=pv): %u pages (at most %u), in use below pfn %u; MMU batches %s\n",
           pv_start_info->nr_pages, pv_start_info->max_pages, pv_start_info->first_free_pfn,
           pv_batching ? "on" : "off (pvbatch=0)");
    init_events();
    init_pv_timer();
    init_balloon();
    const char *backend = boot_option("backend");
    if (backend && !strncmp(backend, "console", 7))
        console_back_start();
    __asm__ volatile("sti");
}
