/*
 * vm_lapic.h: a VM's local APIC under devices=virtual (lab 4; 64-bit, VMX
 * root operation): the model (dev/lapic.h) wired to the guest's accesses.
 *
 *   registers  the xAPIC page (0xFEE00000 unless the guest moves it) is
 *              not in the VM's memory: an access exits and is emulated
 *              (vm_mmio.c decodes it);
 *   MSRs       IA32_APIC_BASE (0x1B) and IA32_TSC_DEADLINE (0x6E0) are the
 *              model's; CPUID says so (leaf 1: APIC present while enabled,
 *              no x2APIC, which is not emulated);
 *   time       the model counts the guest's TSC (the host's plus the VM's
 *              TSC offset, SDM 26.3), which stands still while the VM's
 *              time does (timer_mode=delay, a debugger's hold);
 *   wires      the VM's 8259A pair reaches the CPU through LINT0 in
 *              ExtINT mode ("virtual wire", SDM 11.5.1), as a BIOS leaves
 *              it, or directly while the APIC is globally disabled
 *              (11.4.3); the APIC's own interrupts (its timer, a self-IPI)
 *              go by its priority rules (11.8.3).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"
#include "exit/vm_devices.h"

struct vm_devices;

/* The APIC as a PC's BIOS leaves it (SeaBIOS: software-enabled, LINT0
 * ExtINT, LINT1 NMI), on the VM's time from now. */
void vm_lapic_start(struct vcpu *v, uint64_t tsc_hz);

/* An RDMSR or WRMSR exit of the APIC's MSRs, before the MSR handlers:
 * true if it was one (emulated, or the guest's #GP injected). */
bool vm_lapic_msr_exit(struct vcpu *v);

/* Its register page for vm_mmio.c: where it is (UINT64_MAX while the APIC
 * is globally disabled), and a 32-bit read or write at an offset in it. */
uint64_t vm_lapic_page(const struct vm_devices *d);
uint32_t vm_lapic_read(struct vm_devices *d, uint32_t offset);
void vm_lapic_write(struct vm_devices *d, uint32_t offset, uint32_t value);

/* RDMSR or WRMSR (ECX the MSR) of the APIC's MSRs, as vm_lapic_msr_exit does
 * for their exits; for cpu=deprivileged, whose ring-1 kernel's RDMSR and
 * WRMSR are #GP exits, emulated (v->instruction_length set). True if it
 * was one of them. */
bool vm_lapic_msr(struct vcpu *v, bool write);

/* After a CPUID exit's handler, which left the machine's answer in the
 * guest's registers: leaf 1 as the VM's APIC is (leaf: the guest's EAX
 * before the exit). */
void vm_lapic_after_cpuid(struct vcpu *v, uint32_t leaf);

/* The wires to the CPU, for vm_interrupts.c. vm_lapic_advance brings the
 * APIC's timer to the TSC value tsc when an expiry is due, and returns the
 * TSC of its next one (UINT64_MAX: none). Inline as far as the test that
 * none is due, which is asked before every VM entry. */
uint64_t vm_lapic_advance_due(struct vm_devices *d, uint64_t tsc);
static inline uint64_t vm_lapic_advance(struct vm_devices *d, uint64_t tsc)
{
    return tsc < d->lapic_event_tsc ? d->lapic_event_tsc : vm_lapic_advance_due(d, tsc);
}
bool vm_lapic_passes_extint(const struct vm_devices *d);

/* Can ISA IRQ `irq` reach the CPU, as a PC wires it: through the PICs
 * (its input unmasked, and the master's cascade input for the slave's,
 * the master's output taken by the local APIC's LINT0, or no APIC), or
 * through its I/O APIC pin (vm_ioapic_isa_irq_open)? */
bool vm_isa_irq_reaches_cpu(const struct vm_devices *d, unsigned irq);
