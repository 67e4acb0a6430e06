/*
 * vmcs.h: the current VMCS (64-bit, VMX root operation): reading and writing
 * its fields, making a fresh one current, and setting one up to boot a guest.
 */
#pragma once
#include <stdint.h>
#include "vmcs_fields.h"
#include "vmx_caps.h"

struct vcpu;
struct guest;

/* VMREAD/VMWRITE of the current VMCS; panic, naming the field and the
 * VM-instruction error, if the CPU refuses. */
uint64_t vmcs_read(unsigned field);
void vmcs_write(unsigned field, uint64_t value);

/* The VM-instruction error field's meaning (SDM 31.4 "VM Instruction Error
 * Numbers"), e.g. "VM entry with invalid control field(s)". */
const char *vm_instruction_error_name(unsigned error);

/* Allocate a VMCS for v, VMCLEAR it and make it current (VMPTRLD). */
void vmcs_create(struct vcpu *v, const struct vmx_caps *caps);

/* Fill the current VMCS: controls, host state, and a guest state that enters
 * the guest's Multiboot kernel (vmcs_setup.c). */
void vmcs_setup(struct vcpu *v, const struct vmx_caps *caps);

/* Print every field of the current VMCS (for failure reports and gdb). */
void vmcs_dump(void);
