/*
 * vmcs.h: the current VMCS (64-bit, VMX root operation): reading and writing
 * its fields, making a fresh one current, and setting one up to boot a guest.
 */
#pragma once
#include <stdint.h>
#include "vmx/vmcs_fields.h"
#include "vmx/vmx.h"
#include "vmx/vmx_caps.h"

struct vcpu;
struct guest;

/* Panic, naming the field and the VM-instruction error (vmcs.c). */
_Noreturn void vmcs_failed(const char *what, unsigned field, int status);

/* VMREAD/VMWRITE of the current VMCS; panic, naming the field and the
 * VM-instruction error, if the CPU refuses. Inline, with one branch on the
 * flags (JBE: CF or ZF set means the instruction failed, SDM 31.2): every
 * VM exit makes a handful of these, and under Bochs each instruction is a
 * cycle of the exit's cost. On failure the instruction is repeated by the
 * checked wrapper, to learn which failure it was. */
static inline uint64_t vmcs_read(unsigned field)
{
    uint64_t value;
    __asm__ goto("vmread %[f], %[v]\n\tjbe %l[failed]"
                 : [v] "=r"(value) : [f] "r"((uint64_t)field) : "cc" : failed);
    return value;
failed:
    vmcs_failed("VMREAD of", field, vmread_checked(field, &value));
}

/* VMREAD and VMWRITE without the check, where they cannot fail: they fail
 * only with no current VMCS, for a field the CPU lacks, or (VMWRITE) for a
 * read-only field (SDM 31.3, VMREAD and VMWRITE). Only on the path every
 * exit takes: read_exit_info (exit.c) and advance_rip (vcpu.h), right after
 * a VM exit, when the VMCS that exited is current, on fields every VMX CPU
 * has (SDM 25.4, 25.9) and the guest-state ones writable. */
static inline uint64_t vmcs_read_unchecked(unsigned field)
{
    uint64_t value;
    __asm__ volatile("vmread %1, %0" : "=r"(value) : "r"((uint64_t)field) : "cc");
    return value;
}

static inline void vmcs_write_unchecked(unsigned field, uint64_t value)
{
    __asm__ volatile("vmwrite %1, %0" : : "r"((uint64_t)field), "rm"(value) : "cc");
}

static inline void vmcs_write(unsigned field, uint64_t value)
{
    __asm__ goto("vmwrite %[v], %[f]\n\tjbe %l[failed]"
                 : : [f] "r"((uint64_t)field), [v] "rm"(value) : "cc" : failed);
    return;
failed:
    vmcs_failed("VMWRITE to", field, vmwrite_checked(field, value));
}

/* The ports the guest drives itself until lab 4 (PIC, PIT): vmcs_setup.c
 * lets them through the I/O bitmaps. */
bool io_port_passed_through(uint16_t port);

/* The VM-instruction error field's meaning (SDM 31.4 "VM Instruction Error
 * Numbers"), e.g. "VM entry with invalid control field(s)". */
const char *vm_instruction_error_name(unsigned error);

/* Allocate a VMCS for v, VMCLEAR it and make it current (VMPTRLD). */
void vmcs_create(struct vcpu *v, const struct vmx_caps *caps);

/* Fill the current VMCS: controls, host state, and a guest state that enters
 * the guest's Multiboot kernel (vmcs_setup.c). */
void vmcs_setup(struct vcpu *v, const struct vmx_caps *caps);

/* Print every field of the current VMCS that this CPU has: the report of a
 * failed VM entry that the checker cannot explain (exit.c). */
void vmcs_dump(void);
