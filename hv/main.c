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
#include "mem/scrub.h"
#include "fmt.h"
#include "exit.h"
#include "exit/async_pf.h"
#include "exit/handlers.h"   /* exit_io_init, machine_devices_reset */
#include "depriv/depriv.h"
#include "depriv/depriv_bt.h"
#include "depriv/depriv_bt_cache.h"   /* bt_cache_frame_watched */
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
#include "cpu/tsc.h"
#include "sched.h"
#include "exit/vm_interrupts.h"
#include "exit/vm_cga.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "guest/guest.h"
#include "guest/shadow_spaces.h"
#include "depriv/guest_scan.h"
#include "guest/vcpu.h"
#include "guest/vm.h"
#include "pv/pv_build.h"
#include "pv/hypercall.h"
#include "pv/pv_check.h"
#include "pv/grant_table_op.h"
#include "pv/pv_events.h"
#include "pv/pv_tlb.h"
#include "vmx/vmcs.h"
#include "check/vmcs_breaks.h"
#include "vmx/vmx_on.h"
#include "x86/x86.h"

void hv_main(uint32_t magic, uint32_t mbi_pa);

/* The hypervisor's, one for the machine; everything of a guest's is in
 * its struct vm (vm.h). */
static struct boot_info boot;   /* large: keep it off the stack */
static struct hv_options options;
static uint64_t tsc_hz;           /* devices=virtual: the TSC's rate (cpu/tsc.h) */

static void print_memory_map(const struct boot_info *bi)
{
    printf("hv: memory %lu KiB usable in %u regions\n",
           boot_usable_bytes(bi) / 1024, boot_usable_regions(bi));
    if (bi->mmap_from_mem_fields)
        printf("hv: the loader gave no memory map: built from mem_lower/mem_upper\n");
    for (unsigned i = 0; i < bi->mmap_count; i++)
        printf("hv: mmap 0x%016lx-0x%016lx %s\n", bi->mmap[i].start,
               bi->mmap[i].end, mmap_type_name(bi->mmap[i].type));
}

/* devices= left to the default (virtual from lab 4 on, hv/hv.mk) on a CPU
 * whose VMX lacks what the virtual devices need (vm_interrupts.h): the
 * guest gets the machine's PIT and PIC, as in labs 1-3, and the run says
 * so. Asked for by name, devices=virtual on such a CPU is refused. */
static void choose_devices(const struct vmx_caps *caps)
{
    const char *lacks = vm_interrupts_lacks(caps);
    if (options.devices != DEVICES_VIRTUAL || options.devices_chosen || !lacks)
        return;
    options.devices = DEVICES_MACHINE;
    printf("hv: devices=machine: this CPU's VMX lacks %s, which devices=virtual (the default) "
           "needs, so the guest programs the machine's PIT and PIC\n", lacks);
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
    if (options.patch && options.cpu != CPU_DEPRIVILEGED)
        panic("patch=1 patches a deprivileged guest kernel: it needs cpu=deprivileged");
    if (options.bt && options.cpu != CPU_DEPRIVILEGED)
        panic("bt=1 translates a deprivileged guest kernel's code: it needs cpu=deprivileged");
    if (options.shadows > 1 && !options.bt)
        panic("shadows=%u keeps several address spaces' shadows, revalidated from what bt=1 "
              "records of each fill: it needs bt=1", options.shadows);
    if (options.bt && options.patch)
        panic("bt=1 and patch=1 are two answers to the same instructions: choose one");
    if (options.gdb == GDB_GUEST && options.vms > 1)
        panic("gdb=guest debugs one VM: with vms=%u it is not built yet (gdb=hv works)", options.vms);
}

static void print_modules(const struct boot_info *bi)
{
    for (unsigned i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        uint64_t size = m->end - m->start;
        printf("hv: module %u start=0x%08lx size=%lu crc32=%08x string='%s'\n", i,
               m->start, size,
               crc32(phys_ptr(m->start, size), size), m->string);
    }
}

/* The modules, one group per VM (boot_info.h): with vms=1 all of them,
 * module 0 the guest kernel; with vms=N, each group a Multiboot kernel and
 * the modules after it. A split that does not work is the command line's
 * mistake: a panic that says why. */
static void split_modules(const struct boot_info *bi, unsigned vms, struct boot_group *groups)
{
    static char err[400];
    bool is_kernel[BOOT_MODULES_MAX];
    for (unsigned i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];
        uint64_t size = m->end - m->start;
        is_kernel[i] = vms > 1 && mbimage_has_header(phys_ptr(m->start, size), (uint32_t)size);
    }
    if (!boot_module_groups(bi, is_kernel, vms, groups, err, sizeof(err)))
        panic("%s", err);
}

/* Each VM's first module is its guest kernel: a Multiboot v1 kernel. Check
 * now, with the same loader code the guest will be booted with, that it can
 * be loaded (a common mistake: a flat binary, or an ELF file without the
 * header). */
static void check_guest_kernel(const struct boot_info *bi, const struct boot_group *group,
                               unsigned vm)
{
    const char *tag = vm_tags(vm)->hv;
    if (group->count == 0) {
        printf("hv: no guest kernel module given\n");
        return;
    }
    const struct boot_module *m = &bi->modules[group->first];
    uint64_t size = m->end - m->start;
    struct mb_image img;
    if (!mbimage_inspect(&img, phys_ptr(m->start, size), (uint32_t)size))
        guest_refuse(tag, "guest kernel (module %u, '%s'): %s", group->first, m->string, img.error);
    printf("hv: %sguest kernel: %s, Multiboot header at offset 0x%x, loads at 0x%08lx-0x%08lx, "
           "entry 0x%08x\n", tag, img.kludge ? "a.out kludge" : img.elf.is64 ? "ELF64" : "ELF32",
           img.header_offset, img.start, img.end, img.entry);
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

/* VM number id, ready to run: made (vm.h), with its devices, and under
 * cpu=deprivileged its ring-1 state; for VM 0 the vmcs_break= of the
 * command line; vmcheck=1's report on its VMCS. */
static struct vm *setup_vm(unsigned id, const struct boot_group *group, const struct vmx_caps *caps,
                           const struct vmcs_break *breakage)
{
    struct vm *vm = vm_create(id, &boot, group, &options, caps);
    struct vcpu *v = &vm->vcpu;
    exit_io_init(vm, &options);
    if (options.resident_pages[id])     /* issue 20: the hypervisor pages it */
        async_pf_setup(vm, options.resident_pages[id], options.pagein_kcycles * 1000ull, caps->ept_vpid);
    if (options.cpu == CPU_PV) {
        pv_build(vm, &boot, caps, options.maxmem_mib[id]);
        pv_events_setup(vm, &options.balloon);
        pv_check_setup(vm, options.dpcheck);
        pv_grant_setup(vm);
    }
    if (options.cpu == CPU_DEPRIVILEGED) {
        depriv_setup(v);
        printf("hv: %sdeprivileged: the guest kernel runs at ring 1; the hypervisor's GDT and "
               "TSS at 0x%08x\n", vm->guest.tag, DEPRIV_AREA);
        if (options.patch)
            depriv_patch_kernel(v, &boot.modules[group->first]);
        if (options.bt) {
            depriv_bt_setup(v);
            /* Its fills record what they were made from (bt_cache_filled),
             * which keeping several address spaces' shadows needs. */
            shadow_spaces_create(&vm->guest, options.shadows ? options.shadows : SHADOW_SPACES_DEFAULT);
            shadow_spaces_watch(&vm->guest, bt_cache_frame_watched, v);
        }
    }
    if (id == 0 && breakage && !options.vmcs_break_at)
        vmcs_break_current(breakage);
    else if (id == 0 && breakage)
        vcpu_break_at_exit(v, breakage, options.vmcs_break_at);
    if (options.vmcheck) {
        entry_report(caps);
        host_rip_check("hv: VM-entry check: warning: ");
        if (!vm->guest.shadow_paging)
            ept_warn_memory_types(&vm->guest.ept, vm->guest.ram_size);
    }
    return vm;
}

/* Before VM vm runs: its VMCS made current; for a VM after the first,
 * what the previous one left in the CPU and in the machine's PICs and PIT
 * cleared (vm.h, handlers.h). The VMs run one after the other, each to its
 * end: interleaving them on the one CPU is lab 4's scheduler. */
static void prepare_to_run(struct vm *vm)
{
    vcpu_load(&vm->vcpu);
    if (vm->id > 0) {
        vm_clear_cpu_state();
        machine_devices_reset();
    }
    gdb_guest_start(&vm->vcpu);   /* gdb=guest (one VM) stops before the guest's first instruction */
    if (options.devices == DEVICES_VIRTUAL) {  /* its time starts now, after gdb's wait */
        vm_interrupts_start(&vm->vcpu, tsc_hz, options.gdb != GDB_OFF);
        pv_events_start(&vm->vcpu, tsc_hz);
    }
}

/* A VM's statistics, once it has ended. */
static void print_vm_stats(struct vm *vm)
{
    pv_events_end(&vm->vcpu);           /* a PV guest's last console ring output, before the figures */
    if (options.devices == DEVICES_VIRTUAL)
        vm_cga_end(&vm->vcpu);          /* what its screen shows, before the figures */
    const struct vcpu *v = &vm->vcpu;
    exit_stats_print(&v->stats, vm->guest.tag);
    if (vm->pv) {
        pv_hypercall_print_stats(v, vm->guest.tag);
        pv_tlb_print_stats(v, vm->guest.tag);
    }
    vm_interrupts_print_stats(v);
    if (vm->guest.overcommit)
        async_pf_print_stats(v);
    if (vm->guest.shadow_paging)
        shadow_spaces_print_stats(&vm->guest);
    if (v->depriv.active)
        depriv_print_stats(v);
    if (v->depriv.bt)
        depriv_bt_print_stats(v);
}

/* The run's verdict from its VMs' (lib/poweroff.h): the worst of them, so
 * that the run fails if any VM failed (a guest stopped, 4, is worse than a
 * failure it reported itself, 1). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

void hv_main(uint32_t magic, uint32_t mbi_pa)
{
    uint64_t tsc = rdtsc();   /* first: the boot-time benchmark figure */
    serial_init();
    console_init();
    printf("hv: hvlab hypervisor (x86-64), tsc=%lu\n", tsc);
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
    struct boot_group groups[VMS_MAX];
    split_modules(&boot, options.vms, groups);
    for (unsigned i = 0; i < options.vms; i++)
        check_guest_kernel(&boot, &groups[i], i);
    if (options.scan && boot.module_count)
        guest_scan_print(&boot.modules[0]);

    memory_init(&boot);
    printf("hv: pmm %lu pages free of %lu\n", pmm_free_count(&hv_pmm),
           pmm_usable_count(&hv_pmm));
    heap_self_check();
    if (options.fill_free)
        scrub_fill_free((uint8_t)options.fill_free);

    fault_inject(options.fault);
    if (boot.module_count == 0)
        poweroff(POWEROFF_OK);
    const struct vmcs_break *breakage = find_breakage(options.vmcs_break);
    if (options.vmcs_break_at && !breakage)
        panic("vmcs_break_at=%u needs vmcs_break=NAME: which rule to break", options.vmcs_break_at);

    /* VMX bring-up, in the order of SDM vol. 3, 24.6-24.8 and 25.11. The
     * capabilities are read once; each vCPU carries them to the handlers. */
    struct vmx_caps *caps = vmx_cpu_caps();
    vmx_detect(caps);
    if (options.mem == MEM_EPT)
        vmx_require_ept(caps);
    choose_devices(caps);
    /* devices=virtual: a VM's time is the TSC; how fast it runs, measured
     * while the machine's PIT is still the hypervisor's alone. */
    if (options.devices == DEVICES_VIRTUAL) {
        vm_interrupts_require(caps);
        tsc_hz = tsc_measure_hz();
    }
    vmx_on(caps);
    struct vm *vms[VMS_MAX];
    for (unsigned i = 0; i < options.vms; i++)
        vms[i] = setup_vm(i, &groups[i], caps, breakage);
    if (options.vms > 1)
        vm_check_memory(vms, options.vms, &boot);
    gdb_set_vms(vms, options.vms);
    if (options.vmcheck == 2)
        vcpu_check_every_entry();
    if (options.run_for)
        vcpu_limit_time(options.run_for, tsc_hz ? tsc_hz : tsc_measure_hz());

    /* Each VM to its end: its power-off, or a stop, ends that VM only.
     * With devices=virtual the VMs share the CPU in turns (sched.c); with
     * the machine's PIT and PIC, which one guest at a time programs, they
     * run one after the other. */
    int status = POWEROFF_OK;
    if (options.devices == DEVICES_VIRTUAL && options.vms > 1) {
        sched_run(vms, options.vms, tsc_hz / 1000 * options.quantum_ms, tsc_hz, options.sched_trace,
                  print_vm_stats);
        for (unsigned i = 0; i < options.vms; i++)
            status = worse(status, vms[i]->vcpu.stop_status);
    } else {
        for (unsigned i = 0; i < options.vms; i++) {
            prepare_to_run(vms[i]);
            status = worse(status, vcpu_run(&vms[i]->vcpu));
            print_vm_stats(vms[i]);
        }
    }
    if (options.vms > 1) {
        printf("hv: VMs ended:");
        for (unsigned i = 0; i < options.vms; i++)
            printf(" vm%u status %d%s", i, vms[i]->vcpu.stop_status, i + 1 < options.vms ? "," : "\n");
    }
    poweroff(status);
}
