/*
 * entry.S: the Multiboot v1 header, the entry point and the interrupt stubs
 * of the kit's test kernels (badguest, hostile): each defines kernel_main
 * and exception_handler. CPU mode: 32-bit protected mode, paging off,
 * as a Multiboot loader leaves it (Multiboot Specification 0.6.96, 3.2).
 *
 * A Multiboot loader promises neither a GDT nor a stack (3.2), so _start
 * loads its own GDT and reloads every segment register before any C runs.
 */
#include "multiboot.h"

#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define CODE_SEL 0x08
#define DATA_SEL 0x10

    .section .multiboot, "a"
    .p2align 2
    .long   MULTIBOOT_HEADER_MAGIC
    .long   HEADER_FLAGS
    .long   -(MULTIBOOT_HEADER_MAGIC + HEADER_FLAGS)

    .text
    .globl _start
_start:
    lgdt    gdt_pointer
    ljmp    $CODE_SEL, $1f
1:  movl    $DATA_SEL, %ecx
    movl    %ecx, %ds
    movl    %ecx, %es
    movl    %ecx, %fs
    movl    %ecx, %gs
    movl    %ecx, %ss
    movl    $stack_top, %esp
    pushl   %ebx                    /* physical address of the boot information */
    pushl   %eax                    /* the loader's magic */
    call    kernel_main
2:  cli
    hlt
    jmp     2b

/*
 * Exception stubs: each pushes a dummy error code where the CPU pushes
 * none (SDM vol. 3, 6.13), then its vector, then calls
 * exception_handler(vector, error, eip, cs), which never returns.
 */
.macro EXC vector, has_error
exc\vector:
    .if !\has_error
    pushl   $0
    .endif
    pushl   $\vector
    jmp     exception_common
.endm

exception_common:
    /* Stack: vector, error code, eip, cs, eflags. */
    cmpl    $0, recover_eip         /* TRY (recover.h): resume, do not stop */
    jne     recover
    pushl   12(%esp)                /* cs */
    pushl   12(%esp)                /* eip */
    pushl   12(%esp)                /* error code */
    pushl   12(%esp)                /* vector */
    call    exception_handler
3:  cli
    hlt
    jmp     3b

/* An exception while recover_eip is set (recover.h): note the vector and
 * the error code, resume at
 * recover_eip (an iret to the same CPL: no stack switch). */
recover:
    pushl   %eax
    movl    4(%esp), %eax           /* the vector */
    movl    %eax, recovered_vector
    movl    8(%esp), %eax           /* the error code (0 where the CPU pushes none) */
    movl    %eax, recovered_error
    movl    recover_eip, %eax
    movl    %eax, 12(%esp)          /* the eip the iret returns to */
    movl    $0, recover_eip
    popl    %eax
    addl    $8, %esp                /* the vector and the error code */
    iret

EXC 0, 0;  EXC 1, 0;  EXC 2, 0;  EXC 3, 0;  EXC 4, 0;  EXC 5, 0;  EXC 6, 0;  EXC 7, 0
EXC 8, 1;  EXC 9, 0;  EXC 10, 1; EXC 11, 1; EXC 12, 1; EXC 13, 1; EXC 14, 1; EXC 15, 0
EXC 16, 0; EXC 17, 1; EXC 18, 0; EXC 19, 0; EXC 20, 0; EXC 21, 1; EXC 22, 0; EXC 23, 0
EXC 24, 0; EXC 25, 0; EXC 26, 0; EXC 27, 0; EXC 28, 0; EXC 29, 1; EXC 30, 1; EXC 31, 0

/* IRQ 0 (the PIT), remapped to vector 0x20: count it, acknowledge it. */
    .globl timer_stub
timer_stub:
    pushl   %eax
    incl    timer_ticks
    movb    $0x20, %al              /* non-specific EOI to the master PIC */
    outb    %al, $0x20
    popl    %eax
    iret

    .section .rodata
    .p2align 2
    .globl exception_stubs
exception_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exc\v
    .endr

    /* The accessed bits are set, so the CPU never writes the table. */
    .p2align 3
    .globl boot_gdt                 /* badguest's ring3.c copies it: SGDT at ring 1 gives the hypervisor's */
gdt:
boot_gdt:
    .quad   0                       /* the null descriptor */
    .quad   0x00CF9B000000FFFF      /* 0x08: code, base 0, limit 4 GiB, 32-bit */
    .quad   0x00CF93000000FFFF      /* 0x10: data, base 0, limit 4 GiB */
gdt_end:
gdt_pointer:
    .word   gdt_end - gdt - 1
    .long   gdt

    .bss
    .p2align 2
    .globl recover_eip, recovered_vector, recovered_error, timer_ticks
timer_ticks:        .long 0         /* timer_stub counts */
recover_eip:        .long 0         /* recover.h */
recovered_vector:   .long 0
recovered_error:    .long 0
    .p2align 4
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
