/*
 * vcpu.h: one virtual CPU, and what an exit handler may do to it (64-bit,
 * VMX root operation): stop it with a reason, read and write its registers,
 * move its RIP past the instruction that exited. The exit handlers
 * (exit_*.c, handlers.h), depriv's emulation, the EPT checker and gdb use
 * this layer; none of them needs the dispatcher (exit.h) for it.
 *
 * The guest's general-purpose registers live here while the hypervisor runs:
 * the VMCS holds RIP, RSP and RFLAGS, but nothing else of the GPRs (SDM vol.
 * 3, 25.4.1 "Guest Register State"), so vmx_entry.S saves them on every VM
 * exit and loads them on every VM entry. The exit's facts that every handler
 * needs are read from the VMCS once per exit (exit.c, read_exit_info).
 * struct vcpu is defined in vmx_entry.h, with the offsets the assembly uses
 * and the asserts that keep the two in step; the VMX layer below (vmcs.c)
 * needs the struct but not this layer.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmx/vmcs.h"
#include "vmx/vmx_caps.h"
#include "vmx/exit_info.h"  /* struct instr_info */
#include "vmx/vmx_entry.h" /* struct vcpu itself: vmx_entry.S's contract with C */
#include "x86/x86_decode.h"  /* enum x86_mode */

/* The guest's TSC: the TSC plus the VMCS's TSC offset when "use TSC
 * offsetting" is on (SDM 26.3, RDTSC), as the guest's RDTSC reads it; for
 * an RDMSR of IA32_TSC, which exits. */
uint64_t guest_tsc(void);

/* General-purpose register n in the instruction encoding's numbering (0
 * EAX, 1 ECX, ... 4 ESP, ... 7 EDI, ... 15 R15), wherever it lives:
 * v->regs, or the VMCS for RSP (vcpu.c). */
uint64_t guest_gpr(const struct vcpu *v, unsigned n);
void set_guest_gpr(struct vcpu *v, unsigned n, uint64_t value);

/* The linear address of the memory operand of the instruction that exited,
 * where the VM-exit instruction information names one (SDM 28.2.5;
 * ii = instr_info_decode of VMCS_EXIT_INSTRUCTION_INFO): the segment's base
 * plus base + index * scale + displacement (the exit qualification). Outside
 * 64-bit mode the sum wraps at 4 GiB; in 64-bit mode only FS and GS add a
 * base (SDM vol. 3, 3.4.4). Read or write it through guest_linear.h: as an
 * observer (guest_linear_read), or as the CPU would (guest_linear_touch). */
uint64_t vcpu_operand_address(const struct vcpu *v, struct instr_info ii);

/* The instruction at the guest's CS:RIP as the CPU ran it, for an
 * emulator to decode: up to X86_MAX_LENGTH (15) bytes into code, read
 * through the shadow under shadow paging (guest_linear.h: the bytes a stale
 * entry mapped are the ones the CPU fetched), else through the guest's
 * tables; its linear address (32 bits, wrapping, outside 64-bit mode) and
 * the code's mode (x86_decode.h: CS.L in IA-32e mode, else CS.D). Returns
 * how many bytes it could read, up to the first page not mapped. */
size_t guest_instruction_fetch(const struct vcpu *v, uint8_t *code, uint64_t *linear, enum x86_mode *mode);

/* Resume the guest after the instruction that exited (SDM 28.2.5: the VM-exit
 * instruction length is valid for the exits of instructions). Inline: most
 * exits end here. */
static inline void advance_rip(struct vcpu *v)
{
    vmcs_write_unchecked(VMCS_GUEST_RIP, v->rip + v->instruction_length);
    /* STI and MOV SS block interrupts for one instruction only: the one just
     * completed here. Leaving the blocking set would carry it further
     * (SDM 25.4.2, interruptibility state bits 0 and 1). */
    uint64_t blocking = vmcs_read_unchecked(VMCS_GUEST_INTERRUPTIBILITY);
    if (blocking & (BLOCKING_STI | BLOCKING_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)(BLOCKING_STI | BLOCKING_MOV_SS));
}

/* End the guest's run with a power-off status, saying why on the console:
 * "hv: guest stopped: <why>" and the guest's state unless it powered off
 * (vcpu.c). */
void guest_stop(struct vcpu *v, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Make v's VMCS the current one (VMPTRLD, SDM 25.11.1): every VMREAD and
 * VMWRITE after it, and the next VMLAUNCH or VMRESUME, are v's. One CPU
 * runs each VM in turn: the VM about to run loads its vCPU first. */
void vcpu_load(struct vcpu *v);

/* Print the guest's registers and the VMCS's view of its CPU state. */
void guest_state_print(const struct vcpu *v);
