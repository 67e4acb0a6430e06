/*
 * start.S: the PV kernel's two ways in (lib/pv_abi.h section 3).
 *
 * pv_entry, named by the ELF note (start.c), is where the hypervisor's PV
 * builder enters: paging already on (the kernel at its link address, all
 * of the VM's pages mapped at 0xC0000000), EAX = PV_START_MAGIC, ESI = the
 * start-info page. It zeroes the BSS, takes the boot stack and calls
 * pv_start(magic, start_info).
 *
 * _start, the Multiboot entry (paging off), is where a bare machine or
 * cpu=hvm enters. This kernel cannot run there: it says so on COM1 and
 * powers off with status 1, as lib/poweroff.c would, with no C (the kernel
 * is linked high and paging is off).
 */
#define KERNBASE  0xC0000000
#define COM1      0x3F8

    .section .bss
    .align 4096
    .globl hypercall_page
hypercall_page:                 /* the hypervisor writes its stubs here */
    .skip 4096
    .globl boot_stack, boot_stack_top
boot_stack:                     /* the scheduler runs on this stack */
    .skip 16384
boot_stack_top:

    .section .text
    .globl pv_entry
pv_entry:
    mov %eax, %ebx
    mov $__bss_start, %edi      /* the ELF's BSS: ours to clear */
    mov $_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    cld
    rep stosl
    mov $boot_stack_top, %esp
    xor %ebp, %ebp              /* ends the backtrace chain */
    push %esi                   /* pv_start(magic, start_info) */
    push %ebx
    call pv_start
1:  hlt
    jmp 1b

    .globl _start
_start:
    mov $(refusal - KERNBASE), %esi
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $(COM1 + 5), %dx        /* the line status register: wait for THR empty */
2:  in %dx, %al
    test $0x20, %al
    jz 2b
    mov $COM1, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:  mov $(COM1 + 5), %dx        /* wait until the last byte has left (TX idle), */
    mov $1000000, %ecx          /* ... boundedly, as lib/serial.c's serial_drain */
7:  in %dx, %al
    test $0x40, %al
    loopz 7b
    mov $1, %al                 /* lib/poweroff.c's ways, status 1 */
    out %al, $0xF4
    mov $(shutdown - KERNBASE), %esi
    mov $0x8900, %dx
4:  lodsb
    test %al, %al
    jz 5f
    out %al, %dx
    jmp 4b
5:  mov $0x2000, %ax
    mov $0x604, %dx
    out %ax, %dx
    mov $0xB004, %dx
    out %ax, %dx
6:  cli
    hlt
    jmp 6b

/* A new process's first switch (proc.c, plat.h): the scheduler's events
 * are masked; a process starts with them on, as IRET starts it with IF. */
    .globl pv_new_process_entry
pv_new_process_entry:
    call unmask_events
    jmp trapret

    .section .rodata
refusal:
    .ascii "guestos: this kernel is built with PV=1: it runs only under the hypervisor's cpu=pv\n"
    .asciz "POWEROFF 1\n"
shutdown:
    .asciz "Shutdown"

    .section .note.GNU-stack, "", @progbits
