/*
 * trapentry.S: the entry points of every interrupt and exception, and the
 * way back to the interrupted code.
 *
 * Each vector pushes an error code (a dummy 0 where the CPU pushes none, so
 * the frame has one shape) and its number, then alltraps saves the rest of
 * struct trapframe (proc.h) and calls trap(tf) on the current kernel stack.
 */
#include "mmu.h"

.macro VECTOR n, has_error_code
    .globl vector\n
vector\n:
    .if \has_error_code == 0
    pushl $0
    .endif
    pushl $\n
    jmp alltraps
.endm

    .text
/* The CPU pushes an error code for vectors 8, 10-14, 17 (SDM vol. 3, 6.3). */
.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    VECTOR \n, 0
.endr
.irp n, 8,10,11,12,13,14,17
    VECTOR \n, 1
.endr
/* 32-47: the 8259 PICs' IRQ 0-15 (pic.c); 64 and 255: the local APIC's
 * timer and spurious vectors (lapic.c, timer=lapic); 128: system calls;
 * 243: the PV kernel's event upcall (plat.h). */
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,64,255,128,243
    VECTOR \n, 0
.endr

    .globl alltraps
alltraps:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    mov $SEG_KDATA, %ax         /* the interrupted code may have had user segments */
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    pushl %esp                  /* trap(struct trapframe *tf) */
    call trap
    addl $4, %esp

    /* A new process starts here too (proc.c puts trapret under its context). */
    .globl trapret
trapret:
    popal
    popl %gs
    popl %fs
    popl %es
    popl %ds
    addl $8, %esp               /* the vector number and error code */
    iret

/* The vector table init_traps() puts into the IDT. */
    .section .rodata
    .globl trap_vectors
trap_vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long vector\n
.endr
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long vector\n
.endr

    .section .note.GNU-stack, "", @progbits
