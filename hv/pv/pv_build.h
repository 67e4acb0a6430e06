/*
 * pv_build.h: the PV domain builder (cpu=pv, lab 5; 64-bit, VMX root):
 * what turns a VM whose kernel guest_load has placed into a PV guest at
 * its start of day (lib/pv_abi.h section 3).
 */
#pragma once
#include "boot/boot_info.h"
#include "guest/vm.h"
#include "vmx/vmx_caps.h"

/* vm, made by vm_create (its kernel, modules and Multiboot information
 * loaded at pseudo-physical addresses, its VMCS current): the kernel's PV
 * note read (a kernel without one refused, guest_refuse), the P2M list,
 * start info, shared info, console page and initial page tables placed
 * after what was loaded, every frame of the VM claimed in the machine's
 * frame table, its M2P made, the initial L2 pinned and made the base
 * pointer, and the VMCS set to enter the note's entry (vm->pv set).
 * max_mib: what its balloon may grow to (maxmem=; max_pages), at least
 * its RAM. */
void pv_build(struct vm *vm, const struct boot_info *bi, const struct vmx_caps *caps, unsigned max_mib);
