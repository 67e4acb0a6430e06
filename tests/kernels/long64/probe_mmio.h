/*
 * probe_mmio.h: long64's probe=mmio (probe_mmio.c): the local APIC and the
 * I/O APIC reached from 64-bit code through the forms a 64-bit kernel's
 * MOVs take, and the odd ones. Prints its lines; true if all passed. Then
 * wide: a 64-bit (REX.W) load of the I/O APIC's 32-bit window; outside: a
 * RIP-relative load from a mapped address with no RAM behind it (each for
 * a hypervisor to refuse; natively, the value read is printed).
 */
#pragma once
#include <stdbool.h>

bool probe_mmio(bool wide, bool outside);
