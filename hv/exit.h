/*
 * exit.h: the VM-exit path (64-bit, VMX root operation). A student follows
 * one exit from vmx_entry.S (vmx_exit) to vcpu_run (exit.c), through the
 * dispatcher's switch on the basic exit reason, to one handler below, and
 * back to VMRESUME.
 */
#pragma once
#include <stdint.h>
#include "vcpu.h"
#include "vmx_caps.h"

/* Run the guest until it stops; returns its power-off status. */
int vcpu_run(struct vcpu *v, const struct vmx_caps *caps);

/* Handlers, one per exit reason (or family). Each either completes the
 * instruction (advance_rip), injects an event, or stops the guest. */
void handle_cpuid(struct vcpu *v);             /* exit_cpuid.c */
void handle_io(struct vcpu *v);                /* exit_io.c */
void exit_io_init(void);                       /* the guest's devices, before its first entry */
void handle_rdmsr(struct vcpu *v);             /* exit_msr.c */
void handle_wrmsr(struct vcpu *v);
void handle_cr_access(struct vcpu *v);         /* exit_cr.c */
void handle_cr_access_shadow(struct vcpu *v);  /* (lab 2, mem=shadow) */
void handle_hlt(struct vcpu *v);               /* exit_hlt.c */
void handle_exception_or_nmi(struct vcpu *v);  /* exit_exception.c */
void handle_vmx_instruction(struct vcpu *v);
void handle_triple_fault(struct vcpu *v);      /* exit_guest_fault.c */
void handle_ept_violation(struct vcpu *v);
void handle_shadow_page_fault(struct vcpu *v); /* exit_pf.c (lab 2, mem=shadow) */
void handle_invlpg(struct vcpu *v);

/* Resume the guest after the instruction that exited (SDM 28.2.5: the VM-exit
 * instruction length is valid for the exits of instructions). */
void advance_rip(struct vcpu *v);

/* End the guest's run with a power-off status, saying why on the console:
 * "hv: guest stopped: <why>" and the guest's state unless it powered off. */
void guest_stop(struct vcpu *v, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Print the guest's registers and the VMCS's view of its CPU state. */
void guest_state_print(const struct vcpu *v);
