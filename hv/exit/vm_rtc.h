/*
 * vm_rtc.h: a VM's CMOS clock and RAM under devices=virtual (64-bit, VMX
 * root): ports 0x70 and 0x71, dev/rtc.c's model, on the VM's time. The
 * clock starts at the machine's own (its CMOS read once, at the first VM's
 * start) and runs with the VM's PIT clock, so that it stands still when
 * the VM's time does (timer_mode=delay).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* Power-on: the clock at the machine's time, the CMOS RAM for its RAM. */
void vm_rtc_start(struct vcpu *v);

/* A byte I/O exit on port 0x70 or 0x71: emulated (true, RIP advanced),
 * else false. */
bool vm_rtc_exit(struct vcpu *v);
