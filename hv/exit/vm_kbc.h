/*
 * vm_kbc.h: a VM's keyboard controller under devices=virtual (64-bit, VMX
 * root): byte accesses to ports 0x60 and 0x64, dev/i8042.c's model, its
 * IRQ 1 (and 12) on the VM's PIC and I/O APIC. A reset through it (0xFE
 * to port 0x64, or the output port's reset line cleared with 0xD1) ends
 * the VM (vm_reset.h). Keys come from the console (vm_input.h).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

struct vm_devices;

/* An I/O exit on those ports: emulated (true, RIP advanced, or the VM
 * ended by a reset), or not one of them (false). */
bool vm_kbc_exit(struct vcpu *v, const struct io_qual *io);

/* IRQ 1 and 12 as the controller has them now; after_read: the guest just
 * took a byte at 0x60, which dropped the line, so a next byte waiting
 * raises it again (a new edge for the PIC, as a real 8042 gives). */
void vm_kbc_update_irqs(struct vm_devices *d, bool after_read);
