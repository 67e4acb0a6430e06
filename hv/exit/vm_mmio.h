/*
 * vm_mmio.h: a VM's device registers in memory (lab 4, devices=virtual;
 * 64-bit, VMX root operation): the local APIC's page (vm_lapic.c) and the
 * I/O APIC's (vm_ioapic.c).
 *
 * Neither page is in the VM's memory, so every access to one exits: an EPT
 * violation (SDM 28.2.1, table 28-7) or, under shadow paging, a #PF (the
 * shadow never maps a page outside guest RAM). The exit gives the
 * guest-physical address; the value to write, or the register to read
 * into, is the instruction's, which is decoded (x86/mmio_access.h, in the
 * guest's 16-, 32- or 64-bit code): the 32-bit MOV loads and stores the
 * SDM asks for (11.4.1) and the 82093AA's datasheet too, from and to any of
 * the 16 registers. Anything else (a narrower or a 64-bit access, a
 * read-modify-write, code on a device page, an access of the CPU's own page
 * walk or event delivery) stops the guest, naming the instruction's bytes.
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* An EPT violation or #PF exit on a device page, before any other
 * handler: true if it was one (emulated, or the guest stopped). */
bool vm_mmio_exit(struct vcpu *v);
