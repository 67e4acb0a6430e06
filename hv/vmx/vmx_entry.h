/*
 * vmx_entry.h: the contract between vmx_entry.S and the C code (64-bit, VMX
 * root operation). The assembler and the compiler both include this file:
 * only #defines above the __ASSEMBLER__ line. vmx_entry.S takes every
 * offset and code it shares with C from here; below the line, struct vcpu
 * and the _Static_asserts that check these very definitions against it and
 * against the VMCS encodings, so that a change on one side that the other
 * misses fails the build. The vCPU's operations are in vcpu.h.
 */
#pragma once

/* Where vmx_entry.S finds the vCPU's fields, from the vcpu pointer
 * (struct vcpu, vcpu.h): the GPRs first, in struct guest_regs' order. */
#define VCPU_REG(n)         ((n) * 8)           /* 0 rax, 1 rcx, ... 14 r15 */
#define VCPU_LAUNCHED       (15 * 8)            /* uint8_t launched */
#define VCPU_STOPPED        (VCPU_LAUNCHED + 1) /* bool stopped */
#define VCPU_EXIT_CYCLES    (VCPU_LAUNCHED + 8) /* uint64_t *exit_cycles */

/* The VMCS field vmx_run writes its stack pointer to (SDM Appendix B;
 * VMCS_HOST_RSP in vmcs_fields.h). */
#define VMX_ENTRY_HOST_RSP  0x6C14

/* What a VMX instruction returns (vmx.h's wrappers, and vmx_run): success,
 * VMfailInvalid (CF=1: no current VMCS), VMfailValid (ZF=1: the reason is
 * in the VM-instruction error field) (SDM vol. 3, 31.2 "Conventions"). */
#define VMX_OK              0
#define VMX_FAIL_INVALID    1
#define VMX_FAIL_VALID      2

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/depriv_cpu.h"    /* struct depriv, which the vCPU holds */
#include "vmx/exit_counts.h"   /* struct exit_stats, which the vCPU holds */
#include "vmx/vmcs_fields.h"   /* VMCS_HOST_RSP, for the assert below */

/* The order is vmx_entry.S's: VCPU_REG(n) above. */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct guest;
struct vm;

struct vcpu {
    struct guest_regs regs;     /* first: vmx_entry.S addresses it from the vcpu pointer */
    uint8_t launched;           /* VMLAUNCH done: later entries use VMRESUME (SDM 31.3) */
    bool stopped;               /* the guest ended (power-off or a fault): no VMRESUME */
    bool yield;                 /* several VMs (sched.c): its quantum is over, or it
                                   waits; vmx_run returns, the VM can be entered again */
    uint64_t *exit_cycles;      /* where vmx_exit adds the exit's cycles (set by on_exit) */

    /* The current exit, read once in exit.c. */
    uint32_t exit_reason;       /* bits 15:0 basic reason, bit 31 VM-entry failure */
    uint64_t exit_qualification;
    uint64_t rip;               /* guest RIP of the exiting instruction */
    uint32_t instruction_length;

    uint64_t vmcs_pa;
    uint16_t vpid;              /* its TLB tag (SDM 29.1): 1 + its VM's number; 0 is the host's */
    struct vm *vm;              /* the VM it belongs to (vm.h): its devices, its console */
    struct guest *guest;        /* that VM's memory (&vm->guest), for the layers below vm.h */
    const struct vmx_caps *caps;  /* what the CPU it runs on offers (set by vmcs_create) */
    struct depriv depriv;       /* cpu=deprivileged (depriv.active): its ring-1 CPU
                                   state (depriv_cpu.h: the guest's IF, IDTR, GDT
                                   copy, TR, pending interrupts), set by depriv_setup */
    uint64_t *sysenter_msrs;    /* cpu=deprivileged: its own IA32_SYSENTER_CS, _ESP,
                                   _EIP, which RDMSR and WRMSR use (exit_msr.c) while
                                   the real CS stays 0 (set by depriv_setup); else NULL */
    struct exit_stats stats;    /* its exits: counts, cycles, the last few (exit_stats.h) */

    int stop_status;            /* its POWEROFF status */
};

/* The definitions above, checked against what they describe. */
#define VCPU_REG_ASSERT(name, n) \
    _Static_assert(offsetof(struct vcpu, regs.name) == VCPU_REG(n), "VCPU_REG(" #n ")")
VCPU_REG_ASSERT(rax, 0);  VCPU_REG_ASSERT(rcx, 1);  VCPU_REG_ASSERT(rdx, 2);  VCPU_REG_ASSERT(rbx, 3);
VCPU_REG_ASSERT(rbp, 4);  VCPU_REG_ASSERT(rsi, 5);  VCPU_REG_ASSERT(rdi, 6);  VCPU_REG_ASSERT(r8, 7);
VCPU_REG_ASSERT(r9, 8);   VCPU_REG_ASSERT(r10, 9);  VCPU_REG_ASSERT(r11, 10); VCPU_REG_ASSERT(r12, 11);
VCPU_REG_ASSERT(r13, 12); VCPU_REG_ASSERT(r14, 13); VCPU_REG_ASSERT(r15, 14);
#undef VCPU_REG_ASSERT
_Static_assert(offsetof(struct vcpu, launched) == VCPU_LAUNCHED, "VCPU_LAUNCHED");
_Static_assert(sizeof(((struct vcpu *)0)->launched) == 1, "vmx_entry.S: cmpb/movb on launched");
_Static_assert(offsetof(struct vcpu, stopped) == VCPU_STOPPED, "VCPU_STOPPED");
_Static_assert(sizeof(((struct vcpu *)0)->stopped) == 1, "vmx_entry.S: cmpw on stopped and yield");
_Static_assert(offsetof(struct vcpu, yield) == VCPU_STOPPED + 1 && sizeof(((struct vcpu *)0)->yield) == 1,
               "vmx_entry.S: one cmpw tests stopped and yield");
_Static_assert(offsetof(struct vcpu, exit_cycles) == VCPU_EXIT_CYCLES, "VCPU_EXIT_CYCLES");
_Static_assert(VMX_ENTRY_HOST_RSP == VMCS_HOST_RSP, "VMX_ENTRY_HOST_RSP");


/* Enter the guest (VMLAUNCH the first time, VMRESUME after) and run it: at
 * every VM exit, with the guest's GPRs saved in v->regs, call on_exit(v),
 * which must set v->exit_cycles, and resume the guest unless it set
 * v->stopped. Returns 0 once the guest stopped; VMX_FAIL_INVALID or
 * VMX_FAIL_VALID if an entry instruction fails (vmx_entry.S). */
int vmx_run(struct vcpu *v, void (*on_exit)(struct vcpu *v));
#endif
