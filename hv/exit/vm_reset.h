/*
 * vm_reset.h: a guest's request to reset its machine (64-bit, VMX root),
 * through the chipset's reset control register (port 0xCF9, vm_pci.c) or
 * the keyboard controller's reset line (vm_kbc.c).
 *
 * The hypervisor does not restart a guest: there is no BIOS in the VM to
 * run again, and a kernel's image is loaded once, at the hypervisor's
 * boot. A reset ends the VM as if it had powered off, with status 0: a
 * reboot is what a kernel does at the end of its work as often as it
 * powers off (Linux's "reboot=kbd", hobby kernels that have no ACPI), and
 * it is not a fault of the guest's. The request never reaches the
 * machine's own reset: the next VM, or the hypervisor's report, goes on.
 */
#pragma once
#include "guest/vcpu.h"

/* Ends the VM: how says what the guest did, e.g. "0xfe to port 0x64". */
void vm_reset_requested(struct vcpu *v, const char *how);
