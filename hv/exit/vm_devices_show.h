/*
 * vm_devices_show.h: a VM's PIC and PIT for gdb's `monitor pic` and
 * `monitor pit` (vm_devices_show.c): both chips' registers, each
 * counter's mode, count and OUT, and the ticks the VM was given.
 */
#pragma once
#include "guest/vcpu.h"

void vm_devices_show_pic(const struct vcpu *v);
void vm_devices_show_pit(const struct vcpu *v);
