/*
 * entry.S: the PV test kernel's two entries and its exception stubs.
 *
 * _start is the Multiboot entry (paging off, at the physical address the
 * kernel loads at), where a bare machine or cpu=hvm enters it: it says the
 * kernel needs cpu=pv on COM1 and powers off with status 1 (port 0xF4),
 * by physical addresses only (lib/pv_abi.h section 3).
 *
 * pv_entry is the PV note's entry (note.c) (paging on, at the link address): EAX =
 * PV_START_MAGIC, ESI = the start-info page's virtual address. No GDT or
 * IDT is loaded yet (pv_main loads both before anything else).
 */
#include "multiboot.h"

#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define LOAD_OFFSET  0xC0000000     /* link address - load address (pvtest.ld) */

    .section .multiboot, "a"
    .p2align 2
    .long   MULTIBOOT_HEADER_MAGIC
    .long   HEADER_FLAGS
    .long   -(MULTIBOOT_HEADER_MAGIC + HEADER_FLAGS)

    .text
    .globl _start
_start:
    movl    $(not_pv_message - LOAD_OFFSET), %esi
    movw    $0x3F8, %dx
1:  lodsb
    testb   %al, %al
    jz      2f
    outb    %al, %dx
    jmp     1b
2:  movw    $0xF4, %dx
    movb    $1, %al
    outb    %al, %dx
3:  cli
    hlt
    jmp     3b

    .globl pv_entry
pv_entry:
    movl    $stack_top, %esp
    pushl   %esi                    /* the start-info page */
    pushl   %eax                    /* PV_START_MAGIC */
    call    pv_main
4:  cli
    hlt
    jmp     4b

/* Exception stubs: a dummy error code where the CPU pushes none (SDM vol.
 * 3, 6.13), the vector, then exception_handler(vector, error, eip, cs); an
 * exception while recover_eip is set resumes there (recover.h). */
.macro EXC vector, has_error
exc\vector:
    .if !\has_error
    pushl   $0
    .endif
    pushl   $\vector
    jmp     exception_common
.endm

exception_common:
    cmpl    $0, recover_eip
    jne     recover
    pushl   12(%esp)                /* cs */
    pushl   12(%esp)                /* eip */
    pushl   12(%esp)                /* error code */
    pushl   12(%esp)                /* vector */
    call    exception_handler
5:  cli
    hlt
    jmp     5b

recover:
    pushl   %eax
    movl    4(%esp), %eax
    movl    %eax, recovered_vector
    movl    8(%esp), %eax
    movl    %eax, recovered_error
    movl    recover_eip, %eax
    movl    %eax, 12(%esp)
    movl    $0, recover_eip
    popl    %eax
    addl    $8, %esp
    iret

EXC 0, 0;  EXC 1, 0;  EXC 2, 0;  EXC 3, 0;  EXC 4, 0;  EXC 5, 0;  EXC 6, 0;  EXC 7, 0
EXC 8, 1;  EXC 9, 0;  EXC 10, 1; EXC 11, 1; EXC 12, 1; EXC 13, 1; EXC 14, 1; EXC 15, 0
EXC 16, 0; EXC 17, 1; EXC 18, 0; EXC 19, 0

    .section .rodata
    .p2align 2
    .globl exception_stubs
exception_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
    .long exc\v
    .endr
not_pv_message:
    .asciz "pvtest: this is a PV kernel: it needs cpu=pv (lib/pv_abi.h), and powers off\n"

    .bss
    .p2align 12
    .globl hypercall_page
hypercall_page:     .space 4096
    .p2align 2
    .globl recover_eip, recovered_vector, recovered_error
recover_eip:        .long 0
recovered_vector:   .long 0
recovered_error:    .long 0
    .p2align 4
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
