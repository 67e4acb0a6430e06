/* entry_report.h: run the VM-entry checker (entry_check.c) on the current
 * VMCS and print every broken rule (64-bit, VMX root operation). */
#pragma once
#include "vmx/vmx_caps.h"

/* Prints one "hv: VM-entry check: ..." line per broken rule, or that all
 * rules hold; returns the number broken. */
unsigned entry_report(const struct vmx_caps *caps);
/* The same, silent when every rule holds: for a check before every entry
 * (vmcheck=2). */
unsigned entry_report_broken(const struct vmx_caps *caps);

struct vmcs_break;
/* Apply a deliberate breakage (vmcs_breaks.c) to the current VMCS. */
void vmcs_break_current(const struct vmcs_break *b);
