/*
 * boot.S: the guest kernel's Multiboot v1 entry point (32-bit protected mode;
 * the header is multiboot_header.S).
 *
 * A Multiboot loader (GRUB, QEMU -kernel, the kit's fast loader, or the
 * hypervisor) loads the kernel by PHYSICAL address (the ELF p_paddr, 1 MiB)
 * and enters here with paging off, flat segments, interrupts off,
 * EAX = 0x2BADB002 and EBX = the physical address of the Multiboot info.
 * The kernel is linked at KERNBASE + 1 MiB (0xC0100000), so until paging is
 * on, every address this code touches is "symbol - KERNBASE".
 *
 * We map the first 16 MiB of physical memory twice, at 0 (so the next
 * instruction still runs once paging is on) and at KERNBASE, jump high, and
 * call kmain(magic, mbi). vm.c extends this page directory to all memory and
 * removes the low mapping.
 */
#define KERNBASE  0xC0000000
#define BOOT_PTS  4            /* page tables of 4 MiB each: 16 MiB */

    .section .bss
    .align 4096
    .globl boot_pgdir
boot_pgdir:                     /* becomes the kernel's page directory (vm.c) */
    .skip 4096
boot_pts:
    .skip 4096 * BOOT_PTS
    .globl boot_stack, boot_stack_top
boot_stack:                     /* the scheduler runs on this stack */
    .skip 16384
boot_stack_top:

    .section .text
    .globl _start
_start:
    mov %eax, %esi              /* keep the loader's magic and info pointer */
    mov %ebx, %edi

    /* Zero the BSS: the page tables below must start empty. */
    mov $(__bss_start - KERNBASE), %edx
    mov $(_end - KERNBASE), %ecx
1:  movl $0, (%edx)
    add $4, %edx
    cmp %ecx, %edx
    jb 1b

    /* Fill the boot page tables: entry i maps physical page i, writable. */
    mov $(boot_pts - KERNBASE), %edx
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $12, %eax
    or $3, %eax                 /* present | writable */
    mov %eax, (%edx, %ecx, 4)
    inc %ecx
    cmp $(1024 * BOOT_PTS), %ecx
    jb 2b

    /* Point directory slots 0..3 and 768..771 at them. */
    mov $(boot_pgdir - KERNBASE), %edx
    mov $(boot_pts - KERNBASE + 3), %eax
    xor %ecx, %ecx
3:  mov %eax, (%edx, %ecx, 4)
    mov %eax, (768 * 4)(%edx, %ecx, 4)
    add $4096, %eax
    inc %ecx
    cmp $BOOT_PTS, %ecx
    jb 3b

    /* Paging on; WP makes the kernel honour read-only pages too. */
    mov %edx, %cr3
    mov %cr0, %eax
    or $0x80010000, %eax        /* CR0.PG | CR0.WP */
    mov %eax, %cr0
    lea high, %eax              /* an absolute (high) address */
    jmp *%eax
high:
    mov $boot_stack_top, %esp
    xor %ebp, %ebp              /* ends the backtrace chain */
    push %edi                   /* kmain(magic, mbi physical address) */
    push %esi
    call kmain
4:  cli
    hlt
    jmp 4b

    .section .note.GNU-stack, "", @progbits
