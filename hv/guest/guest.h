/*
 * guest.h: a guest's memory and how it is booted (64-bit, VMX root).
 *
 * Guest RAM is one contiguous block of host memory, guest-physical address 0
 * at host-physical ram_hpa, mapped through the EPT page by page. The guest
 * kernel is booted as a Multiboot v1 kernel: the hypervisor does what GRUB
 * would (load it, place its modules, write the boot information).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "boot/boot_info.h"
#include "guest/direct_paging.h"
#include "guest/ept.h"
#include "guest/shadow.h"

struct overcommit;         /* guest/overcommit.h */
struct shadow_spaces;      /* guest/shadow_spaces.h */

struct guest {
    const char *tag;       /* what the hypervisor's lines about it say after "hv: " (vm_tags) */
    uint64_t ram_hpa;      /* host-physical address of guest-physical 0 */
    uint64_t ram_size;     /* bytes */
    struct ept ept;
    uint32_t entry;        /* guest-physical entry point of the kernel */
    uint32_t mbi_gpa;      /* the Multiboot information, for EBX */
    bool shadow_paging;    /* mem=shadow (lab 2): EPT off, the shadow below instead */
    struct shadow *shadow;         /* the shadow of the address space loaded now: first_shadow,
                                      or one of several kept (shadow_spaces.h, bt=1) */
    struct shadow first_shadow;
    struct shadow_spaces *spaces;  /* bt=1: the shadows of several address spaces, else NULL */
    bool direct_paging;    /* mem=direct (cpu=pv, lab 5): no EPT, no shadow; addresses are
                              machine addresses from the PV builder on (guest_ptr) */
    struct dp_vm dp;       /* its side of the machine's frame table (direct_paging.h) */
    struct overcommit *overcommit;   /* resident=: the hypervisor pages its RAM (overcommit.h), else NULL */
    bool special_memory;   /* direct_paging or overcommit: guest_ptr's slow path */
};

/* How the console marks the lines of VM number vm (0..VMS_MAX-1, vm.h).
 * VM 0's are unmarked, so that the lines of one VM read as they always
 * did; for VM 1 the hypervisor's lines say "hv: vm1: guest stopped: ...",
 * its guest's COM1 lines "(vm1) ..." and its port 0xE9 lines
 * "(vm1) (e9) ..." (guest_line.h, vm_debugcon.h). */
struct vm_tags {
    const char *hv;         /* after "hv: " */
    const char *com1;       /* before each of the guest's COM1 lines */
    const char *debugcon;   /* before each of its port 0xE9 lines */
};
const struct vm_tags *vm_tags(unsigned vm);

/* Allocate ram_bytes of guest RAM and map all of it in a new EPT (g->tag
 * set first: it names the guest on the console). */
void guest_create(struct guest *g, uint64_t ram_bytes);

/* A hypervisor pointer to guest-physical [gpa, gpa + len), or NULL unless
 * all of it is guest RAM. Every access the hypervisor makes to guest memory
 * goes through here, so a guest can never point it at other memory.
 * Under direct paging (g->direct_paging, set by the PV builder once it has
 * loaded the kernel at pseudo-physical addresses) the guest's CPU uses
 * MACHINE addresses, in its page tables and CR3, with no EPT below them
 * (pv-design.md): gpa is then a machine address, and every frame of it
 * must be one the machine's frame table gives this VM (machine_frames.h).
 * Under resident= (overcommit.h) the pages it names that the hypervisor
 * paged out are brought in first. */
void *guest_special_ptr(const struct guest *g, uint64_t gpa, uint64_t len);
/* Inline: the hypervisor reaches guest memory this way a hundred times in
 * a ring-1 guest's system call, plain RAM a test away. */
static inline void *guest_ptr(const struct guest *g, uint64_t gpa, uint64_t len)
{
    if (g->special_memory)
        return guest_special_ptr(g, gpa, len);
    return gpa <= g->ram_size && len <= g->ram_size - gpa ? (void *)(g->ram_hpa + gpa) : NULL;
}

/* guest_ptr for a read by the guest's own CPU: under direct paging also
 * the hypervisor's frames its tables map to it (the M2P and its L1,
 * read-only: machine_frames_hv_ptr). */
const void *guest_ptr_read(const struct guest *g, uint64_t gpa, uint64_t len);

/* The guest's CR0, CR3 and CR4 as the guest itself reads them. With EPT the
 * VMCS holds them, but for the bits the guest/host masks give the hypervisor
 * (the read shadows answer); under shadow paging GUEST_CR3 is the shadow's
 * root and the guest's own CR3 is kept by shadow.c. For debuggers and
 * reports: the exit handlers keep these views up to date. */
uint64_t guest_cr0_view(const struct guest *g);
uint64_t guest_cr3_view(const struct guest *g);
uint64_t guest_cr4_view(const struct guest *g);

/* The guest's IA32_EFER: the VMCS's field, where VM entry loads it
 * (vmcs_setup.c); 0 on a CPU without that control, where the guest cannot
 * write it (exit_msr.c). guest_set_efer writes it and makes the "IA-32e
 * mode guest" VM-entry control follow its LMA (SDM 25.8.1; VM entry checks
 * that the two agree, 27.3.1.1). A VM exit stores LMA into the control
 * itself (28.2 "Recording VM-Exit Information and Updating VM-Entry Control
 * Fields"), so a guest that turns paging on with no exit is followed too. */
uint64_t guest_efer_view(const struct guest *g);
void guest_set_efer(struct guest *g, uint64_t efer);

/* Boot the guest's group of modules (boot_info.h): its first module as the
 * guest's Multiboot kernel, the others as its modules (with one VM, module 0
 * and modules 1..n); the kernel's command line is its module's string
 * without its first word (the path), then extra_args. The kernel goes
 * anywhere in the guest's RAM but its first page, the boot information at
 * 0x1000-0x9000 or, if the kernel is there, after it and its modules (the
 * map: guest.c). A kernel or module that cannot be loaded is refused
 * (guest_refuse). */
void guest_load(struct guest *g, const struct boot_info *bi, const struct boot_group *group,
                const char *extra_args);

/* A guest kernel or module the hypervisor cannot take is the guest's fault,
 * not the hypervisor's: `hv: <tag>guest stopped: <why>` and the status of a
 * stopped guest (POWEROFF 4), before any guest has run an instruction (every
 * VM is built before the first one runs). */
_Noreturn void guest_refuse(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
