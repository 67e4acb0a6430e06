/*
 * vmx_entry.S: the one place where the CPU passes between the hypervisor and
 * the guest (64-bit, VMX root operation).
 *
 * vmx_enter(vcpu) saves the hypervisor's callee-saved registers, records the
 * stack pointer as the VMCS's HOST_RSP, loads the guest's GPRs and executes
 * VMLAUNCH or VMRESUME. The guest then runs until a VM exit, which loads the
 * host state from the VMCS (SDM vol. 3, 28.5 "Loading Host State"): RIP =
 * vmx_exit (HOST_RIP), RSP = the value recorded here. vmx_exit saves the
 * guest's GPRs and returns 0 from vmx_enter, as if the call had just
 * finished. So the exit loop in exit.c is an ordinary C loop:
 *
 *     for (;;) { vmx_enter(v); handle_exit(v); }
 */
#define VMCS_HOST_RSP 0x6C14
#define VMX_FAIL_INVALID 1
#define VMX_FAIL_VALID 2
#define REG(n) (n * 8)
#define LAUNCHED (15 * 8)

    .text
    .globl vmx_enter
vmx_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* the vcpu: vmx_exit finds it at 8(%rsp) */

    mov $VMCS_HOST_RSP, %rax        /* the exit lands on this very stack */
    vmwrite %rsp, %rax

    cmpb $0, LAUNCHED(%rdi)         /* flags survive the movs below */
    mov REG(0)(%rdi), %rax
    mov REG(1)(%rdi), %rcx
    mov REG(2)(%rdi), %rdx
    mov REG(3)(%rdi), %rbx
    mov REG(4)(%rdi), %rbp
    mov REG(5)(%rdi), %rsi
    mov REG(7)(%rdi), %r8
    mov REG(8)(%rdi), %r9
    mov REG(9)(%rdi), %r10
    mov REG(10)(%rdi), %r11
    mov REG(11)(%rdi), %r12
    mov REG(12)(%rdi), %r13
    mov REG(13)(%rdi), %r14
    mov REG(14)(%rdi), %r15
    mov REG(6)(%rdi), %rdi          /* last: it held the vcpu pointer */
    jne 1f
    vmlaunch
    jmp 2f
1:  vmresume
    /* Only a failed VMLAUNCH/VMRESUME gets here (SDM 31.3): CF=1 means
     * VMfailInvalid, ZF=1 VMfailValid (see the VM-instruction error field). */
2:  mov $VMX_FAIL_VALID, %eax
    jnc 3f
    mov $VMX_FAIL_INVALID, %eax
3:  pop %rdi
    jmp restore_host

    .globl vmx_exit
vmx_exit:
    push %rdi                       /* free a register for the vcpu pointer */
    mov 8(%rsp), %rdi
    mov %rax, REG(0)(%rdi)
    mov %rcx, REG(1)(%rdi)
    mov %rdx, REG(2)(%rdi)
    mov %rbx, REG(3)(%rdi)
    mov %rbp, REG(4)(%rdi)
    mov %rsi, REG(5)(%rdi)
    mov %r8, REG(7)(%rdi)
    mov %r9, REG(8)(%rdi)
    mov %r10, REG(9)(%rdi)
    mov %r11, REG(10)(%rdi)
    mov %r12, REG(11)(%rdi)
    mov %r13, REG(12)(%rdi)
    mov %r14, REG(13)(%rdi)
    mov %r15, REG(14)(%rdi)
    pop %rax                        /* the guest's rdi */
    mov %rax, REG(6)(%rdi)
    pop %rdi
    xor %eax, %eax                  /* vmx_enter returns 0: an exit */

restore_host:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .note.GNU-stack, "", @progbits
