/*
 * vm.h: a virtual machine (64-bit, VMX root operation): everything the
 * hypervisor keeps for one guest, and nothing another guest could reach.
 *
 * A VM is made from its group of modules on the command line (its guest
 * kernel and that kernel's modules, boot_info.h) and holds:
 *   - its memory (struct guest): its RAM from the page allocator, its EPT or
 *     its shadow page tables, the Multiboot information it boots with;
 *   - its vCPU (one until lab 4), with what is per vCPU: its registers, its
 *     VMCS, its exit statistics (exit_stats.h), and under cpu=deprivileged
 *     its ring-1 CPU state (depriv_cpu.h); v->vm leads back here;
 *   - its devices (vm->devices, exit_io.c): its COM1, its view of the PICs'
 *     initialisation (pic_filter.h), the console line its COM1 writes
 *     (guest_line.h), the ports it was told have no device; and its
 *     power-off port, which ends this VM only: the vCPU's stop_status is the
 *     VM's end;
 *   - under patch=1, its kernel's patched instructions (depriv_patch.c);
 *   - under cpu=pv, its PV domain (pv/pv_domain.h): start of day, base
 *     pointer, M2P, hypercall page.
 * The devices and the patches are defined by the layers that use them,
 * above this one (exit/, depriv/): a VM holds them by pointer, as KVM's
 * struct kvm holds its PIC. Every handler reaches its VM through the vCPU
 * it is given (v->vm, v->guest), never through a global.
 *
 * What is not a VM's is the hypervisor's, one for the machine: the page
 * allocator and the heap (memory.c), the console and its verdict channel
 * (console.c), the GDB stub and its COM2 (gdb*.c; gdb_vcpu is only the vCPU
 * the debugger looks at), the VMX capabilities (vmx_on.c; each vCPU carries
 * a pointer, v->caps), and the table of VMs below.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "boot/boot_info.h"
#include "guest/guest.h"
#include "guest/long_mode_msrs.h"
#include "boot/options.h"
#include "guest/vcpu.h"
#include "vmx/vmx_caps.h"

#define VMS_MAX OPTIONS_VMS_MAX    /* vms=1..4 (options.c) */

struct vm_devices;                 /* exit_io.c */
struct depriv_patches;             /* depriv_patch.c */
struct pv_domain;                  /* pv/pv_domain.h: cpu=pv */

/* What a VM leaves in the CPU that no VMCS switches (SDM 25.4 lists what
 * the guest-state area holds): kept here while another VM runs (sched.c). */
struct vm_cpu_state {
    uint8_t fpu[512] __attribute__((aligned(16)));   /* FXSAVE's image: x87, SSE */
    uint64_t dr[4], dr6, cr2;
    uint64_t long_mode_msrs[LONG_MODE_SWITCHED_MSRS];   /* SWAPGS's and SYSCALL's */
    bool saved;                     /* it ran and was switched out */
};

struct vm {
    unsigned id;                    /* 0, 1, ...: its module group's place on the command line */
    struct boot_group modules;      /* its guest kernel and the kernel's modules */
    struct guest guest;             /* its memory: RAM, EPT or shadow tables, boot information */
    struct vcpu vcpu;               /* its one vCPU (vcpu.vm points back here) */
    struct vm_devices *devices;     /* COM1, the PIC filter, its console line (exit_io_init) */
    struct depriv_patches *patches; /* patch=1: its kernel's patched instructions, else NULL */
    struct pv_domain *pv;           /* cpu=pv: its PV state (pv_build.c), else NULL */
    struct vm_cpu_state cpu;        /* while another VM runs (vm_switch_cpu_state) */
};

/* VM number id, made from its group of modules: its RAM and EPT (or shadow
 * paging, mem=shadow), its kernel loaded (test= passed on to it), its vCPU
 * with a VMCS set up, which is the current VMCS on return. Its devices are
 * exit_io_init's to add, cpu=deprivileged's state depriv_setup's. */
struct vm *vm_create(unsigned id, const struct boot_info *bi, const struct boot_group *group,
                     const struct hv_options *o, const struct vmx_caps *caps);

/* Several VMs: one line per VM, "hv: vmN: guest-physical ... on host-physical
 * ...", from its EPT walked; then the proof that the VMs' memory is
 * disjoint: no host page is mapped by two VMs' EPTs, every page a VM's EPT
 * maps lies in the RAM the VM was given, and none is the hypervisor's own
 * (low memory, its image, the boot information and modules bi lists, any
 * VM's EPT tables, VMCS or VMX bitmaps): "hv: VM memory disjoint: ...". A
 * page that breaks this is a hypervisor bug: a panic naming it. Under
 * mem=shadow the EPT is built all the same, and is the guest-physical map
 * the shadow tables fill from (guest_ptr). Under direct paging (cpu=pv)
 * a VM's memory is the frames the machine's frame table says it owns (its
 * EPT is unused), anywhere once its balloon has moved: each checked to be
 * no other's and none of the hypervisor's, not to lie in its first RAM.
 * The last VM's VMCS is current on return. */
void vm_check_memory(struct vm *const *vms, unsigned n, const struct boot_info *bi);

/* Before the next VM runs on this CPU: what the previous one left in it
 * that no VMCS switches (SDM 25.4 lists what the guest-state area holds),
 * cleared: the x87 and SSE registers, DR0-DR3 and DR6, CR2. */
void vm_clear_cpu_state(void);

/* Several VMs on one CPU (sched.c): the CPU state above, the outgoing
 * VM's saved and the incoming VM's back (cleared the first time it runs).
 * from may be NULL (nothing ran before). */
void vm_switch_cpu_state(struct vm *from, struct vm *to);
