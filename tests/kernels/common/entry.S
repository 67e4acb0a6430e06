/*
 * entry.S: the Multiboot v1 header, the entry point and the interrupt stubs
 * of the kit's test kernels (badguest, hostile): each defines kernel_main
 * and exception_handler. CPU mode: 32-bit protected mode, paging off,
 * as a Multiboot loader leaves it (Multiboot Specification 0.6.96, 3.2).
 *
 * A Multiboot loader promises neither a GDT nor a stack (3.2), so _start
 * loads its own GDT and reloads every segment register before any C runs.
 */
#include "multiboot_header.inc"

#define CODE_SEL 0x08
#define DATA_SEL 0x10

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

#include "exceptions.inc"

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
    .globl timer_ticks
timer_ticks:        .long 0         /* timer_stub counts */
    .p2align 4
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
