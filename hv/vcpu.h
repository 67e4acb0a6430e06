/*
 * vcpu.h: one virtual CPU (64-bit, VMX root operation).
 *
 * The guest's general-purpose registers live here while the hypervisor runs:
 * the VMCS holds RIP, RSP and RFLAGS, but nothing else of the GPRs (SDM vol.
 * 3, 25.4.1 "Guest Register State"), so vmx_entry.S saves them on every VM
 * exit and loads them on every VM entry. The exit's facts that every handler
 * needs are read from the VMCS once per exit (exit.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The order is vmx_entry.S's: keep the two in step (VCPU_REG_* offsets). */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct guest;

struct vcpu {
    struct guest_regs regs;     /* first: vmx_entry.S addresses it from the vcpu pointer */
    uint8_t launched;           /* VMLAUNCH done: later entries use VMRESUME (SDM 31.3) */
    bool stopped;               /* the guest ended (power-off or a fault): no VMRESUME */
    uint64_t *exit_cycles;      /* where vmx_exit adds the exit's cycles (set by on_exit) */

    /* The current exit, read once in exit.c. */
    uint32_t exit_reason;       /* bits 15:0 basic reason, bit 31 VM-entry failure */
    uint64_t exit_qualification;
    uint64_t rip;               /* guest RIP of the exiting instruction */
    uint32_t instruction_length;

    uint64_t vmcs_pa;
    struct guest *guest;

    int stop_status;            /* its POWEROFF status */
};

/* Offsets for vmx_entry.S. */
#define VCPU_REG(n) ((n) * 8)
#define VCPU_LAUNCHED (15 * 8)
_Static_assert(__builtin_offsetof(struct vcpu, launched) == VCPU_LAUNCHED, "vmx_entry.S offsets");
_Static_assert(__builtin_offsetof(struct vcpu, stopped) == VCPU_LAUNCHED + 1, "vmx_entry.S offsets");
_Static_assert(__builtin_offsetof(struct vcpu, exit_cycles) == VCPU_LAUNCHED + 8, "vmx_entry.S offsets");

/* Enter the guest (VMLAUNCH the first time, VMRESUME after) and run it: at
 * every VM exit, with the guest's GPRs saved in v->regs, call on_exit(v),
 * which must set v->exit_cycles, and resume the guest unless it set
 * v->stopped. Returns 0 once the guest stopped; VMX_FAIL_INVALID or
 * VMX_FAIL_VALID if an entry instruction fails (vmx_entry.S). */
int vmx_run(struct vcpu *v, void (*on_exit)(struct vcpu *v));
