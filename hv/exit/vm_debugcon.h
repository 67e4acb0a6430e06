/*
 * vm_debugcon.h: port 0xE9 as a guest sees it under devices=virtual
 * (64-bit, VMX root): the debug console of Bochs (port_e9_hack) and QEMU
 * (-debugcon), where hobby kernels print before they drive anything. Its
 * bytes become the guest's own lines on the hypervisor's console, marked
 * "(e9) " (after the VM's tag), relayed and quoted as COM1's are
 * (console.h); a read gives 0xE9, as both emulators answer: how a kernel
 * finds out the port is there. The machine's port 0xE9 stays the
 * hypervisor's verdict channel (console.h): no guest byte reaches it.
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* An I/O exit on port 0xE9: emulated (true, RIP advanced), else false. */
bool vm_debugcon_exit(struct vcpu *v, const struct io_qual *io);
