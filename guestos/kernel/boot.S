/*
 * boot.S: the guest kernel's Multiboot v1 entry point (32-bit protected mode).
 *
 * A Multiboot loader (GRUB, QEMU -kernel, the kit's fast loader, or the
 * hypervisor) enters here with paging off, flat segments, interrupts off,
 * EAX = 0x2BADB002 and EBX = the physical address of the Multiboot info.
 * The kernel is a plain ELF32 file: no a.out kludge, so every loader must
 * read its program headers (Multiboot spec 3.1.3: flag bit 16 clear).
 */
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00000003   /* bit 0: page-align modules; bit 1: memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
boot_stack:
    .skip 16384
boot_stack_top:

    .section .text
    .globl _start
_start:
    mov $boot_stack_top, %esp
    xor %ebp, %ebp              /* ends the backtrace chain */
    push %ebx                   /* kmain(magic, mbi) */
    push %eax
    call kmain
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
