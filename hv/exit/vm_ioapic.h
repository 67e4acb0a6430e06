/*
 * vm_ioapic.h: a VM's I/O APIC under devices=virtual (lab 4; 64-bit, VMX
 * root operation): the model (dev/ioapic.h) wired to the VM's devices and
 * its local APIC.
 *
 *   registers  its page at 0xFEC00000 (IOREGSEL, IOWIN, EOI), outside the
 *              VM's memory: every access exits and is emulated (vm_mmio.c);
 *   inputs     the ISA interrupt lines reach its pins as on a PC: IRQ 0
 *              (the PIT) on pin 2, every other IRQ n on pin n (the MP
 *              table's and ACPI's interrupt source override), beside the
 *              8259A's inputs;
 *   outputs    each message goes to the VM's one local APIC if it is
 *              addressed to it: a fixed or lowest-priority one into its IRR
 *              (lapic_accept), an NMI as its CPU's NMI (lapic_accept_nmi);
 *              the others (SMI, INIT, ExtINT) and those that reach no APIC
 *              are dropped and counted. A level-triggered
 *              vector's EOI at the local APIC comes back (vm_ioapic_eoi).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vm_devices;

/* As after RESET: every entry masked. */
void vm_ioapic_start(struct vm_devices *d);

/* Its page, and a 32-bit read or write at an offset in it (vm_mmio.c). */
uint64_t vm_ioapic_page(const struct vm_devices *d);
uint32_t vm_ioapic_read(struct vm_devices *d, uint32_t offset);
void vm_ioapic_write(struct vm_devices *d, uint32_t offset, uint32_t value);

/* ISA IRQ `irq`'s line is now at `level`. */
void vm_ioapic_set_isa_irq(struct vm_devices *d, unsigned irq, bool level);

/* ISA IRQ `irq`'s line low, then high: an edge, as the two calls above
 * make it, the messages of each taken; none of their work when it would
 * change nothing (ioapic_pulse_changes_nothing: the PIT's pin while a
 * guest takes its ticks through the PIC). */
void vm_ioapic_pulse_isa_irq(struct vm_devices *d, unsigned irq);

/* A device's ISA line (the keyboard's IRQ 1, COM1's IRQ 4, ...) at a
 * level, as a PC wires it: to the PIC's input and to the I/O APIC's pin,
 * each of which sees its edges. */
void vm_isa_irq(struct vm_devices *d, unsigned irq, bool level);

/* The local APIC's EOI of a level-triggered vector. */
void vm_ioapic_eoi(struct vm_devices *d, uint8_t vector);

/* Is ISA IRQ `irq`'s pin unmasked, its messages fixed, lowest priority or
 * NMI (what can wake a halted CPU)? */
bool vm_ioapic_isa_irq_open(const struct vm_devices *d, unsigned irq);

/* Is ISA IRQ `irq`'s pin unmasked and in NMI mode (what can wake a CPU
 * halted with interrupts off)? */
bool vm_ioapic_isa_irq_sends_nmi(const struct vm_devices *d, unsigned irq);

/* Does ISA IRQ `irq` wait for the CPU through the I/O APIC: its pin's
 * entry unmasked, and its vector waiting in the local APIC's IRR (or, in
 * NMI mode, an NMI latched)? */
bool vm_ioapic_isa_irq_waiting(const struct vm_devices *d, unsigned irq);
