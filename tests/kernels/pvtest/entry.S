/*
 * entry.S: the PV test kernel's two entries, and the exception stubs
 * (common/exceptions.inc).
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
#include "multiboot_header.inc"

#define LOAD_OFFSET  0xC0000000     /* link address - load address (pvtest.ld) */

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

#include "exceptions.inc"

    .section .rodata
not_pv_message:
    .asciz "pvtest: this is a PV kernel: it needs cpu=pv (lib/pv_abi.h), and powers off\n"

    .bss
    .p2align 12
    .globl hypercall_page
hypercall_page:     .space 4096
    .p2align 4
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
