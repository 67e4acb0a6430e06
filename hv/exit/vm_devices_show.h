/*
 * vm_devices_show.h: a VM's PIC, PIT and local APIC for gdb's `monitor
 * pic`, `monitor pit` and `monitor lapic` (vm_devices_show.c): both
 * chips' registers, each counter's mode, count and OUT, the ticks the VM
 * was given, and every APIC register as the guest would read it
 * (`monitor ioapic`: the I/O APIC's unmasked pins).
 */
#pragma once
#include "guest/vcpu.h"

void vm_devices_show_pic(const struct vcpu *v);
void vm_devices_show_pit(const struct vcpu *v);
void vm_devices_show_lapic(const struct vcpu *v);
void vm_devices_show_ioapic(const struct vcpu *v);
