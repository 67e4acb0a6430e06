/*
 * isr.S: where the CPU's registers are captured into a struct trap_frame
 * (trap_frame.h). 64-bit mode, ring 0.
 *
 * 1. One entry stub per exception vector 0-31. The CPU pushes SS, RSP,
 *    RFLAGS, CS, RIP and, for some vectors, an error code (SDM vol. 3,
 *    6.14.2 "64-Bit Mode Stack Frame"; Table 6-1 says which vectors push an
 *    error code). Each stub pushes a 0 where the CPU pushed none, so every
 *    frame has the same layout, then its vector number, and jumps to
 *    isr_common, which pushes the general-purpose registers and calls
 *    trap_handler(frame).
 * 2. panic()'s entry point, which stores its caller's registers in the same
 *    struct before any C code can change them.
 */
#include "cpu/trap_frame.h"

/* Vectors for which the CPU pushes an error code: #DF, #TS, #NP, #SS, #GP,
 * #PF, #AC, #CP; and AMD's #VC and #SX. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)

    .text

.macro ISR_STUB vector
    .globl isr\vector
    .type isr\vector, @function
isr\vector:
    .if HAS_ERROR_CODE(\vector) == 0
    pushq $0
    .endif
    pushq $\vector
    jmp isr_common
    .size isr\vector, . - isr\vector
.endm

.altmacro
.set vector, 0
.rept 32
    ISR_STUB %vector
    .set vector, vector + 1
.endr

/* The frame is TF_SIZE (176) bytes, a multiple of 16, and the CPU aligned RSP to 16
 * before pushing its part, so RSP is aligned for the call as the ABI wants. */
    .globl isr_common
    .type isr_common, @function
isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rbp
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    cld                         /* the ABI expects DF=0 in C code */
    mov %rsp, %rdi
    call trap_handler
    /* Return path, for handlers that recover (none in the base hypervisor). */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rbp
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector and error code */
    iretq
    .size isr_common, . - isr_common

/* The addresses of the 32 stubs, for idt.c. */
    .section .rodata
    .balign 8
    .globl isr_stub_table
.macro STUB_ADDRESS vector
    .quad isr\vector
.endm
isr_stub_table:
.set vector, 0
.rept 32
    STUB_ADDRESS %vector
    .set vector, vector + 1
.endr

/*
 * void panic(const char *fmt, ...): store the caller's registers in
 * panic_frame, then continue in panic_report (panic.c) with the arguments
 * untouched. Written in assembly because C code would already have changed
 * registers by its first line.
 */
    .text
    .globl panic
    .type panic, @function
panic:
    mov %rax, panic_frame + TF_RAX
    lea panic_frame, %rax
    mov %rbx, TF_RBX(%rax)
    mov %rcx, TF_RCX(%rax)
    mov %rdx, TF_RDX(%rax)
    mov %rbp, TF_RBP(%rax)
    mov %rsi, TF_RSI(%rax)
    mov %rdi, TF_RDI(%rax)
    mov %r8, TF_R8(%rax)
    mov %r9, TF_R9(%rax)
    mov %r10, TF_R10(%rax)
    mov %r11, TF_R11(%rax)
    mov %r12, TF_R12(%rax)
    mov %r13, TF_R13(%rax)
    mov %r14, TF_R14(%rax)
    mov %r15, TF_R15(%rax)
    movq $0, TF_VECTOR(%rax)
    movq $0, TF_ERROR_CODE(%rax)
    mov (%rsp), %rbx            /* RIP: where panic() was called from */
    mov %rbx, TF_RIP(%rax)
    mov %cs, %rbx
    mov %rbx, TF_CS(%rax)
    pushfq
    popq TF_RFLAGS(%rax)
    lea 8(%rsp), %rbx           /* RSP as the caller had it before the call */
    mov %rbx, TF_RSP(%rax)
    mov %ss, %rbx
    mov %rbx, TF_SS(%rax)
    mov TF_RBX(%rax), %rbx      /* restore RBX and RAX (AL counts vector */
    mov TF_RAX(%rax), %rax      /* registers for variadic calls) */
    jmp panic_report
    .size panic, . - panic

    .section .note.GNU-stack, "", @progbits
