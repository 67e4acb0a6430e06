/*
 * main.c: hv_main, the hypervisor's C entry point (64-bit long mode, ring 0,
 * interrupts off, one CPU). boot.S calls it with the two values a Multiboot
 * loader leaves in EAX and EBX.
 *
 * It brings the machine up in the order each step needs the previous one:
 * console, descriptor tables (so faults are reported), boot information,
 * options, memory. The console lines it prints are a contract: the runner
 * and the kit's tests read them (see hv/README.md).
 */
#include "crc32.h"
#include "fmt.h"
#include "exit.h"
#include "exit/handlers.h" /* exit_io_init */
#include "depriv/depriv.h"
#include "check/entry_report.h"
#include "guest/ept_check.h"
#include "guest/exit_stats.h"
#include "cpu/fault_inject.h"
#include "gdb/gdb.h"
#include "cpu/gdt.h"
#include "cpu/idt.h"
#include "mbimage.h"
#include "mem/memory.h"
#include "boot/boot_info.h"
#include "exit/console.h"
#include "boot/options.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "guest/guest.h"
#include "depriv/guest_scan.h"
#include "guest/vcpu.h"
#include "vmx/vmcs.h"
#include "check/vmcs_breaks.h"
#include "vmx/vmx_on.h"
#include "x86/x86.h"

void hv_main(uint32_t magic, uint32_t mbi_pa);

static struct boot_info boot;   /* large: keep it off the stack */
static struct hv_options options;
static struct guest guest;
static struct vcpu vcpu;

static void print_memory_map(const struct boot_info *bi)
{
    printf("hv: memory %llu KiB usable in %u regions\n",
           (unsigned long long)(boot_usable_bytes(bi) / 1024), boot_usable_regions(bi));
    if (bi->mmap_from_mem_fields)
        printf("hv: the loader gave no memory map: built from mem_lower/mem_upper\n");
    for (unsigned i = 0; i < bi->mmap_count; i++)
        printf("hv: mmap 0x%016llx-0x%016llx %s\n", (unsigned long long)bi->mmap[i].start,
               (unsigned long long)bi->mmap[i].end, mmap_type_name(bi->mmap[i].type));
}

static void parse_options(const char *cmdline)
{
    static char err[256];
    if (!options_parse(cmdline, &options, err, sizeof(err)))
        panic("%s", err);
    printf("hv: options mem=%s cpu=%s vms=%u guestmem=%u test='%s' fault=%s\n",
           options_value_name("mem", options.mem), options_value_name("cpu", options.cpu),
           options.vms, options.guestmem_mib, options.test,
           options_value_name("fault", options.fault));
    /* The options that do not go together, before gdb=hv stops to wait. */
    if (options.cpu == CPU_DEPRIVILEGED && options.mem != MEM_SHADOW)
        panic("cpu=deprivileged needs mem=shadow: the hypervisor maps its own GDT and TSS into "
              "the guest's address space through the shadow page tables");
    if (options.cpu == CPU_DEPRIVILEGED && options.gdb != GDB_OFF)
        panic("cpu=deprivileged with gdb= is not built yet: use cpu=hvm to debug");
    if (options.patch && options.cpu != CPU_DEPRIVILEGED)
        panic("patch=1 patches a deprivileged guest kernel: it needs cpu=deprivileged");
}

static void print_modules(const struct boot_info *bi)
{
    for (unsigned i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        uint64_t size = m->end - m->start;
        printf("hv: module %u start=0x%08llx size=%llu crc32=%08x string='%s'\n", i,
               (unsigned long long)m->start, (unsigned long long)size,
               crc32(phys_ptr(m->start, size), size), m->string);
    }
}

/* Module 0 is the guest kernel: a Multiboot v1 kernel. Check now, with the
 * same loader code the guest will be booted with, that it can be loaded
 * (a common mistake: a flat binary, or an ELF file without the header). */
static void check_guest_kernel(const struct boot_info *bi)
{
    if (bi->module_count == 0) {
        printf("hv: no guest kernel module given\n");
        return;
    }
    const struct boot_module *m = &bi->modules[0];
    uint64_t size = m->end - m->start;
    struct mb_image img;
    if (!mbimage_inspect(&img, phys_ptr(m->start, size), (uint32_t)size))
        guest_refuse("guest kernel (module 0, '%s'): %s", m->string, img.error);
    printf("hv: guest kernel: %s, Multiboot header at offset 0x%x, loads at 0x%08llx-0x%08llx, "
           "entry 0x%08x\n", img.kludge ? "a.out kludge" : img.elf.is64 ? "ELF64" : "ELF32",
           img.header_offset, (unsigned long long)img.start, (unsigned long long)img.end, img.entry);
}

/* Modes of later labs are parsed already; until they exist, say so. */
static void check_labs_built(const struct hv_options *o)
{
    if (o->vms > 1)
        panic("vms=%u (several VMs on one CPU) is lab 4, not built yet: use vms=1", o->vms);
}

/* vmcs_break=NAME names one of vmcs_breaks.c's table, or nothing. */
static const struct vmcs_break *find_breakage(const char *name)
{
    if (!name[0])
        return NULL;
    const struct vmcs_break *b = vmcs_break_find(name);
    if (!b)
        panic("unknown vmcs_break '%s': the names are the first column of the table in "
              "hv/check/vmcs_breaks.c (guest-cs-type, host-tr-null, ...)", name);
    return b;
}

/* test=NAME on the hypervisor's command line reaches the guest kernel's. */
static const char *guest_test_option(const char *test)
{
    static char buf[OPTIONS_TEST_NAME_MAX + 8];
    snprintf(buf, sizeof(buf), "test=%s", test);
    return buf;
}

void hv_main(uint32_t magic, uint32_t mbi_pa)
{
    uint64_t tsc = rdtsc();   /* first: the boot-time benchmark figure */
    serial_init();
    console_init();
    printf("hv: hvlab hypervisor (x86-64), tsc=%llu\n", (unsigned long long)tsc);
    gdt_init();
    idt_init();

    if (!multiboot_parse(&boot, magic, mbi_pa, phys_ptr))
        panic("%s", boot.error);
    printf("hv: loader '%s'\n", boot.loader);
    printf("hv: cmdline '%s'\n", boot.cmdline);
    parse_options(boot.cmdline);
    gdb_init(options.gdb);        /* gdb=hv stops here, for gdb to take over */
    print_memory_map(&boot);
    print_modules(&boot);
    check_guest_kernel(&boot);
    if (options.scan && boot.module_count)
        guest_scan_print(&boot.modules[0]);

    memory_init(&boot);
    printf("hv: pmm %llu pages free of %llu\n", (unsigned long long)pmm_free_count(&hv_pmm),
           (unsigned long long)pmm_usable_count(&hv_pmm));
    heap_self_check();

    fault_inject(options.fault);
    if (boot.module_count == 0)
        poweroff(POWEROFF_OK);
    check_labs_built(&options);
    const struct vmcs_break *breakage = find_breakage(options.vmcs_break);

    /* VMX bring-up, in the order of SDM vol. 3, 24.6-24.8 and 25.11. The
     * capabilities are read once; the vCPU carries them to the handlers. */
    struct vmx_caps *caps = vmx_cpu_caps();
    vmx_detect(caps);
    if (options.mem == MEM_EPT)
        vmx_require_ept(caps);
    vmx_on(caps);
    guest_create(&guest, (uint64_t)options.guestmem_mib << 20);
    guest_load(&guest, &boot, options.test[0] ? guest_test_option(options.test) : "");
    guest.shadow_paging = options.mem == MEM_SHADOW;
    if (guest.shadow_paging)
        printf("hv: shadow paging: EPT off, the guest's 32-bit tables shadowed\n");
    vcpu.guest = &guest;
    vcpu.caps = caps;
    vmcs_create(&vcpu, caps);
    vmcs_setup(&vcpu, caps);
    if (options.cpu == CPU_DEPRIVILEGED) {
        depriv_setup(&vcpu);
        printf("hv: deprivileged: the guest kernel runs at ring 1; the hypervisor's GDT and "
               "TSS at 0x%08x\n", DEPRIV_AREA);
        if (options.patch)
            depriv_patch_kernel(&guest, &boot.modules[0]);
    }
    if (breakage && !options.vmcs_break_at)
        vmcs_break_current(breakage);
    else if (breakage)
        vcpu_break_at_exit(breakage, options.vmcs_break_at);
    else if (options.vmcs_break_at)
        panic("vmcs_break_at=%u needs vmcs_break=NAME: which rule to break", options.vmcs_break_at);
    if (options.vmcheck) {
        entry_report(caps);
        host_rip_check("hv: VM-entry check: warning: ");
        if (!guest.shadow_paging)
            ept_warn_memory_types(&guest.ept, guest.ram_size);
    }
    if (options.vmcheck == 2)
        vcpu_check_every_entry();

    gdb_guest_start(&vcpu);       /* gdb=guest stops before the guest's first instruction */
    exit_io_init();
    int status = vcpu_run(&vcpu, caps, options.cpu == CPU_DEPRIVILEGED);
    exit_stats_print();
    if (guest.shadow_paging)
        shadow_print_stats(&guest.shadow);
    if (options.cpu == CPU_DEPRIVILEGED)
        depriv_print_stats();
    poweroff(status);
}
