/*
 * vmx_entry.S: the one place where the CPU passes between the hypervisor and
 * the guest (64-bit, VMX root operation).
 *
 * vmx_run(vcpu, on_exit) saves the hypervisor's callee-saved registers,
 * records the stack pointer as the VMCS's HOST_RSP, loads the guest's GPRs
 * and executes VMLAUNCH. The guest then runs until a VM exit, which loads the
 * host state from the VMCS (SDM vol. 3, 28.5 "Loading Host State"):
 * RIP = vmx_exit (HOST_RIP), RSP = the value recorded here. vmx_exit saves
 * the guest's GPRs in vcpu->regs and calls on_exit(vcpu), the C handler,
 * adds the cycles the exit cost to the statistics (exit_stats.h), and
 * VMRESUMEs unless the handler stopped the guest (vcpu->stopped) or made
 * it yield the CPU to another VM (vcpu->yield, sched.c): then vmx_run
 * returns 0.
 *
 *     vcpu_run (C) -> vmx_run -> VMLAUNCH -> guest ... VM exit
 *        -> vmx_exit -> on_exit (C) -> VMRESUME -> guest ... VM exit -> ...
 *
 * The hypervisor's stack holds, from HOST_RSP up: the vcpu pointer, the
 * handler, padding, then the callee-saved registers and vmx_run's return
 * address. Nothing else is on it between exits, so every exit finds it so.
 */
#include "vmx/vmx_entry.h" /* VCPU_REG(n), VCPU_LAUNCHED, ..., VMX_FAIL_*: vcpu.h asserts them */

#define VCPU 0                      /* HOST_RSP + 0: the vcpu */
#define ON_EXIT 8                   /* HOST_RSP + 8: the C handler */
#define FRAME 64                    /* HOST_RSP + 64: the caller's saved rbp,
                                       then vmx_run's return address */

/* Load the guest's GPRs from the vcpu in %rdi: %rdi itself last. */
.macro load_guest_gprs
    mov VCPU_REG(0)(%rdi), %rax
    mov VCPU_REG(1)(%rdi), %rcx
    mov VCPU_REG(2)(%rdi), %rdx
    mov VCPU_REG(3)(%rdi), %rbx
    mov VCPU_REG(4)(%rdi), %rbp
    mov VCPU_REG(5)(%rdi), %rsi
    mov VCPU_REG(7)(%rdi), %r8
    mov VCPU_REG(8)(%rdi), %r9
    mov VCPU_REG(9)(%rdi), %r10
    mov VCPU_REG(10)(%rdi), %r11
    mov VCPU_REG(11)(%rdi), %r12
    mov VCPU_REG(12)(%rdi), %r13
    mov VCPU_REG(13)(%rdi), %r14
    mov VCPU_REG(14)(%rdi), %r15
    mov VCPU_REG(6)(%rdi), %rdi
.endm

    .text
    .globl vmx_run
vmx_run:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rax                       /* padding: HOST_RSP is 16-byte aligned, */
    push %rsi                       /* so the call in vmx_exit meets the ABI */
    push %rdi

    mov $VMX_ENTRY_HOST_RSP, %rax   /* every exit lands on this very stack */
    vmwrite %rsp, %rax
    cmpb $0, VCPU_LAUNCHED(%rdi)    /* flags survive the movs below */
    movb $1, VCPU_LAUNCHED(%rdi)    /* a VM exit does not come back here: say it */
    load_guest_gprs                 /* now; a failed VMLAUNCH takes it back */
    jne 1f
    vmlaunch                        /* a clear VMCS (SDM 31.3, VMLAUNCH) */
    mov VCPU(%rsp), %rdi
    movb $0, VCPU_LAUNCHED(%rdi)    /* the VMCS is still clear */
    jmp entry_failed
1:  vmresume                        /* launched by an earlier vmx_run */
    /* Only a failed VMLAUNCH/VMRESUME gets here (SDM 31.3): CF=1 means
     * VMfailInvalid, ZF=1 VMfailValid (see the VM-instruction error field). */
entry_failed:
    mov $VMX_FAIL_VALID, %eax
    jnc return
    mov $VMX_FAIL_INVALID, %eax
    jmp return

    /* For gdb's backtraces, vmx_exit unwinds as the vmx_run call that set
     * its stack up: the caller's registers and return address are where
     * vmx_run pushed them (DWARF call frame information, no code). */
    .cfi_sections .debug_frame
    .globl vmx_exit
vmx_exit:
    .cfi_startproc simple
    .cfi_def_cfa %rsp, FRAME + 16
    .cfi_offset %rip, -8
    .cfi_offset %rbp, -16
    .cfi_offset %rbx, -24
    .cfi_offset %r12, -32
    .cfi_offset %r13, -40
    .cfi_offset %r14, -48
    .cfi_offset %r15, -56
    push %rdi                       /* free a register for the vcpu pointer */
    .cfi_adjust_cfa_offset 8
    mov VCPU+8(%rsp), %rdi
    mov %rax, VCPU_REG(0)(%rdi)
    mov %rcx, VCPU_REG(1)(%rdi)
    mov %rdx, VCPU_REG(2)(%rdi)
    mov %rbx, VCPU_REG(3)(%rdi)
    mov %rbp, VCPU_REG(4)(%rdi)
    mov %rsi, VCPU_REG(5)(%rdi)
    mov %r8, VCPU_REG(7)(%rdi)
    mov %r9, VCPU_REG(8)(%rdi)
    mov %r10, VCPU_REG(9)(%rdi)
    mov %r11, VCPU_REG(10)(%rdi)
    mov %r12, VCPU_REG(11)(%rdi)
    mov %r13, VCPU_REG(12)(%rdi)
    mov %r14, VCPU_REG(13)(%rdi)
    mov %r15, VCPU_REG(14)(%rdi)
    pop VCPU_REG(6)(%rdi)           /* the guest's rdi */
    .cfi_adjust_cfa_offset -8
    rdtsc                           /* the exit's cost counts from here: */
    mov %eax, %ebx                  /* callee-saved, so on_exit keeps it */
    lea FRAME(%rsp), %rbp           /* backtraces go on into vmx_run's caller */
    call *ON_EXIT(%rsp)             /* on_exit(vcpu): handle this exit */
    mov VCPU(%rsp), %rdi
    /* Add what the exit cost to where on_exit said (vcpu->exit_cycles):
     * the low halves of the TSC are enough, their difference is exact
     * below 2^32 cycles. */
    rdtsc
    sub %ebx, %eax
    mov VCPU_EXIT_CYCLES(%rdi), %rdx
    add %rax, (%rdx)
    cmpw $0, VCPU_STOPPED(%rdi)     /* a handler stopped the guest, or it */
    jne stopped                     /* yields the CPU (yield, the next byte): */
                                    /* vmx_run returns */
    load_guest_gprs
    vmresume
    jmp entry_failed
    .cfi_endproc

stopped:
    xor %eax, %eax                  /* vmx_run returns 0: stopped, or yielded */
return:
    add $24, %rsp                   /* the vcpu, the handler, the padding */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .note.GNU-stack, "", @progbits
