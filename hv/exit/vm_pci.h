/*
 * vm_pci.h: a VM's PCI configuration space and reset control register
 * under devices=virtual (64-bit, VMX root): ports 0xCF8-0xCFF,
 * dev/pci_config.c's model. A write of the reset bit to 0xCF9 ends the VM
 * (vm_reset.h).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* An I/O exit on those ports: emulated (true, RIP advanced, or the VM
 * ended by a reset), or not one of them (false). */
bool vm_pci_exit(struct vcpu *v, const struct io_qual *io);
