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
#include "guest/ept.h"
#include "guest/shadow.h"

struct guest {
    uint64_t ram_hpa;      /* host-physical address of guest-physical 0 */
    uint64_t ram_size;     /* bytes */
    struct ept ept;
    uint32_t entry;        /* guest-physical entry point of the kernel */
    uint32_t mbi_gpa;      /* the Multiboot information, for EBX */
    bool shadow_paging;    /* mem=shadow (lab 2): EPT off, the shadow below instead */
    struct shadow shadow;
};

/* Allocate ram_bytes of guest RAM and map all of it in a new EPT. */
void guest_create(struct guest *g, uint64_t ram_bytes);

/* A hypervisor pointer to guest-physical [gpa, gpa + len), or NULL unless
 * all of it is guest RAM. Every access the hypervisor makes to guest memory
 * goes through here, so a guest can never point it at other memory. */
void *guest_ptr(const struct guest *g, uint64_t gpa, uint64_t len);

/* The guest's CR0, CR3 and CR4 as the guest itself reads them. With EPT the
 * VMCS holds them, but for the bits the guest/host masks give the hypervisor
 * (the read shadows answer); under shadow paging GUEST_CR3 is the shadow's
 * root and the guest's own CR3 is kept by shadow.c. For debuggers and
 * reports: the exit handlers keep these views up to date. */
uint64_t guest_cr0_view(const struct guest *g);
uint64_t guest_cr3_view(const struct guest *g);
uint64_t guest_cr4_view(const struct guest *g);

/* Boot module 0 of bi as the guest's Multiboot kernel, with modules 1..n as
 * its modules; the kernel's command line is module 0's string without its
 * first word (the path), then extra_args. A kernel or module that cannot be
 * loaded is refused (guest_refuse). */
void guest_load(struct guest *g, const struct boot_info *bi, const char *extra_args);

/* A guest kernel or module the hypervisor cannot take is the guest's fault,
 * not the hypervisor's: `hv: guest stopped: <why>` and the status of a
 * stopped guest (POWEROFF 4), before the guest has run an instruction. */
_Noreturn void guest_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
