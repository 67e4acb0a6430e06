/*
 * swtch.S: void swtch(struct context **old, struct context *new)
 *
 * Save the callee-saved registers on the current kernel stack, store that
 * stack pointer in *old, and resume the context `new` (proc.h: struct
 * context). The caller-saved registers are already saved by the C calling
 * convention; EIP is the return address CALL pushed. EFLAGS is not switched:
 * interrupts stay off across the switch (sched.c).
 */
    .text
    .globl swtch
swtch:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
