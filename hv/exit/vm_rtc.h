/*
 * vm_rtc.h: a VM's CMOS clock and RAM under devices=virtual (64-bit, VMX
 * root): ports 0x70 and 0x71, dev/rtc.c's model, on the VM's time. The
 * clock starts at the machine's own (its CMOS read once, at the first VM's
 * start) and runs with the VM's PIT clock, so that it stands still when
 * the VM's time does (timer_mode=delay). Its IRQ 8 (dev/rtc_irq.c) runs
 * on the same clock.
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* Power-on: the clock at the machine's time, the CMOS RAM for its RAM. */
void vm_rtc_start(struct vcpu *v);

/* A byte I/O exit on port 0x70 or 0x71: emulated (true, RIP advanced),
 * else false. */
bool vm_rtc_exit(struct vcpu *v, const struct io_qual *io);

/* The clock's interrupt flags brought to the VM's time at tsc, and its
 * IRQ 8 line to the PIC's IR8 (the slave's line 0) and the I/O APIC's pin
 * 8, where a PC wires it; d->rtc_event_tsc is then when it may next rise,
 * for the VMX-preemption timer (vm_interrupts.c). */
struct vm_devices;
void vm_rtc_advance(struct vm_devices *d, uint64_t tsc);

/* Can IRQ 8 still reach the guest's CPU: an interrupt of the clock's to
 * come, through an unmasked PIC line or I/O APIC pin? */
bool vm_rtc_irq_can_come(const struct vm_devices *d);
