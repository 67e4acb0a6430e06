/*
 * exit.h: the VM-exit path (64-bit, VMX root operation). A student follows
 * one exit from vmx_entry.S (vmx_exit) to on_exit (exit.c), through the
 * dispatcher's switch on the basic exit reason, to one handler below, and
 * back to vmx_exit's VMRESUME.
 */
#pragma once
#include <stdint.h>
#include "vcpu.h"
#include "vmcs.h"
#include "vmx_caps.h"


/* Run the guest until it stops; returns its power-off status.
 * deprivileged: its kernel runs at ring 1 (cpu=deprivileged, depriv.h). */
int vcpu_run(struct vcpu *v, const struct vmx_caps *caps, bool deprivileged);

/* vmcs_break=NAME vmcs_break_at=N: make the breakage while handling VM exit
 * N, so that the VMRESUME after it is the entry that fails. */
struct vmcs_break;
void vcpu_break_at_exit(const struct vmcs_break *b, unsigned n);
/* vmcheck=2: the VM-entry checker before every VM entry, not only the first. */
void vcpu_check_every_entry(void);
/* Whether HOST_RIP is vmx_exit, where every VM exit must land (SDM 28.5.3);
 * if not, one line saying so, after `prefix` (vmcheck=1, and panics). */
bool host_rip_check(const char *prefix);

/* Handlers, one per exit reason (or family). Each either completes the
 * instruction (advance_rip), injects an event, or stops the guest. */
void handle_cpuid(struct vcpu *v);             /* exit_cpuid.c */
void handle_io(struct vcpu *v);                /* exit_io.c */
void exit_io_init(void);                       /* the guest's devices, before its first entry */
void handle_rdmsr(struct vcpu *v);             /* exit_msr.c */
void handle_wrmsr(struct vcpu *v);
void handle_cr_access(struct vcpu *v);         /* exit_cr.c */
void handle_cr_access_shadow(struct vcpu *v);  /* (lab 2, mem=shadow) */
void shadow_write_cr0(struct vcpu *v, uint64_t value);   /* its MOV to CR0, for lab 3 */
void handle_hlt(struct vcpu *v);               /* exit_hlt.c */
/* A HLT nothing can ever end (exit_hlt.c, given; lab 1's handle_hlt and lab
 * 3's emulated HLT use them): can an interrupt still reach the guest's CPU
 * through the PICs' masks, and stopping the guest with the reason, IF off
 * (interrupts_on false) or every line masked. */
bool an_interrupt_line_is_open(void);
void stop_endless_halt(struct vcpu *v, bool interrupts_on);
void handle_exception_or_nmi(struct vcpu *v);  /* exit_exception.c */
void handle_vmx_instruction(struct vcpu *v);
void handle_triple_fault(struct vcpu *v);      /* exit_guest_fault.c */
void handle_invd(struct vcpu *v);              /* exit_unconditional.c */
void handle_unsupported_instruction(struct vcpu *v);
void handle_task_switch(struct vcpu *v);
void handle_ept_violation(struct vcpu *v);
void handle_shadow_page_fault(struct vcpu *v); /* exit_pf.c (lab 2, mem=shadow) */
void handle_invlpg(struct vcpu *v);

/* General-purpose register n in the instruction encoding's numbering (0
 * EAX, 1 ECX, ... 4 ESP, ... 7 EDI), wherever it lives: v->regs, or the
 * VMCS for RSP (exit_cr.c). */
uint64_t guest_gpr(const struct vcpu *v, unsigned n);
void set_guest_gpr(struct vcpu *v, unsigned n, uint64_t value);

/* Resume the guest after the instruction that exited (SDM 28.2.5: the VM-exit
 * instruction length is valid for the exits of instructions). Inline: most
 * exits end here. */
static inline void advance_rip(struct vcpu *v)
{
    vmcs_write(VMCS_GUEST_RIP, v->rip + v->instruction_length);
    /* STI and MOV SS block interrupts for one instruction only: the one just
     * completed here. Leaving the blocking set would carry it further
     * (SDM 25.4.2, interruptibility state bits 0 and 1). */
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if (blocking & (BLOCKING_STI | BLOCKING_MOV_SS))
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)(BLOCKING_STI | BLOCKING_MOV_SS));
}

/* End the guest's run with a power-off status, saying why on the console:
 * "hv: guest stopped: <why>" and the guest's state unless it powered off. */
void guest_stop(struct vcpu *v, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Print the guest's registers and the VMCS's view of its CPU state. */
void guest_state_print(const struct vcpu *v);
