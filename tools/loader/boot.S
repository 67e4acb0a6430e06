/*
 * boot.S: the boot sector (MBR, LBA 0) of a disk image made by
 * tools/mkimage.py. CPU mode: 16-bit real mode, as the BIOS leaves it.
 *
 * The BIOS loads this sector to 0x7C00 and jumps to it with DL = the boot
 * drive's BIOS number; nothing else is promised (not even CS = 0). Its one
 * job: read stage2, the sectors right after this one, to 0x8000 with the
 * BIOS's extended read (INT 13h AH=42h), then jump there with DL intact.
 *
 * mkimage fills in two fields near the end of this sector (layout.h):
 * stage2's length in sectors, and the LBA where the payload starts (read
 * later by stage2, not here). If anything fails, print a PANIC line on the
 * screen (INT 10h) and on COM1, try to power the machine off, and halt.
 */
#include "layout.h"

    .code16
    .text
    .globl start
start:
    cli
    xorw    %ax, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    $REALMODE_STACK_TOP, %sp
    /* Some BIOSes enter at 07C0:0000. Make CS = 0 so that every offset in
     * this file is also its linear address. */
    ljmp    $0, $cs_is_zero
cs_is_zero:
    sti                             /* the BIOS disk code may wait on IRQs */
    pushw   %dx                     /* keep DL (boot drive) at 0(%bp) */
    movw    %sp, %bp

    /* INT 13h AH=41h, BX=55AAh: are the EDD extensions present? They give
     * LBA addressing; the old CHS calls cannot reach past 8 GB and need the
     * geometry. Success: CF clear, BX=AA55h, CX bit 0 = packet calls. */
    movb    $0x41, %ah
    movw    $0x55AA, %bx
    int     $0x13
    movw    $msg_no_edd, %si
    jc      fail
    cmpw    $0xAA55, %bx
    jne     fail
    testb   $1, %cl
    jz      fail

    /* Zero sectors means mkimage never patched this sector. */
    movw    stage2_sectors, %cx
    movw    $msg_no_stage2, %si
    jcxz    fail
    cmpw    $STAGE2_MAX_SECTORS, %cx   /* the most one call may move */
    ja      fail

    /* INT 13h AH=42h, DS:SI = disk address packet (EDD 3.0), built on the
     * stack (so this sector stays as it is on the disk: stage2 compares
     * them). Fields, lowest address first: size 16, reserved 0, sector
     * count, buffer offset, buffer segment, 64-bit starting LBA. */
    pushl   $0                      /* LBA bits 63..32 */
    pushl   $1                      /* LBA bits 31..0: stage2 follows the MBR */
    pushw   $STAGE2_SEGMENT         /* buffer segment:offset = 0800:0000 */
    pushw   $0
    pushw   %cx                     /* sector count */
    pushw   $16                     /* packet size 16, reserved byte 0 */
    movw    %sp, %si
    movb    0(%bp), %dl
    movb    $0x42, %ah
    int     $0x13
    movw    $msg_read, %si
    jc      fail

    movb    0(%bp), %dl             /* stage2 wants the boot drive in DL */
    ljmp    $0, $STAGE2_ADDR

/* Print "PANIC boot: <SI>", then "POWEROFF 3" (the console protocol's last
 * line), then stop: QEMU's isa-debug-exit port, Bochs's shutdown port. */
fail:
    pushw   %si
    call    init_com1
    movw    $msg_panic, %si
    call    print
    popw    %si
    call    print
    movw    $msg_poweroff, %si
    call    print
    movb    $3, %al
    outb    %al, $0xF4
    movw    $msg_shutdown, %si
    movw    $0x8900, %dx
1:  lodsb
    outb    %al, %dx
    testb   %al, %al
    jnz     1b
halt:
    cli
    hlt
    jmp     halt

/* Print the NUL-terminated string at SI on the screen and COM1. */
print:
    lodsb
    testb   %al, %al
    jz      2f
    call    putc_com1
    movb    $0x0E, %ah              /* INT 10h AH=0Eh: teletype output */
    movw    $0x0007, %bx            /* page 0, light grey */
    int     $0x10
    jmp     print
2:  ret

/* The BIOS need not set up COM1, and a UART at reset sends 5-bit
 * characters (Bochs then really drops the top 3 bits): program 115200
 * baud (divisor 1) and 8 data bits, no parity, 1 stop bit. */
init_com1:
    movw    $0x3FB, %dx             /* line control register */
    movb    $0x80, %al              /* DLAB: ports 3F8h/3F9h = divisor */
    outb    %al, %dx
    movw    $0x3F8, %dx
    movb    $1, %al
    outb    %al, %dx
    incw    %dx
    movb    $0, %al
    outb    %al, %dx
    movw    $0x3FB, %dx
    movb    $0x03, %al              /* 8N1, DLAB off */
    outb    %al, %dx
    ret

/* Write AL to COM1 (Unix line ends: '\r' is skipped). Polls the line
 * status register for "transmit holding register empty", at most 65536
 * times so that a missing UART cannot hang us. */
putc_com1:
    cmpb    $'\r', %al
    je      2f
    pushw   %ax
    movw    $0x3FD, %dx
    xorw    %cx, %cx
1:  inb     %dx, %al
    testb   $0x20, %al
    loopz   1b
    popw    %ax
    movw    $0x3F8, %dx
    outb    %al, %dx
2:  ret

msg_panic:      .asciz "PANIC boot: "
msg_no_edd:     .asciz "BIOS has no INT 13h extensions (EDD)"
msg_no_stage2:  .asciz "no stage2: make the image with tools/mkimage.py"
msg_read:       .asciz "BIOS could not read stage2 (INT 13h AH=42h)"
msg_poweroff:   .asciz "\r\nPOWEROFF 3\r\n"
msg_shutdown:   .asciz "Shutdown"

/* The fields mkimage fills in (layout.h). .org fails the build if the code
 * above grows into them. */
    .org    MBR_FIELD_MAGIC
    .long   MBR_BOOT_MAGIC
    .org    MBR_FIELD_STAGE2_SECTORS
stage2_sectors:
    .word   0
    .org    MBR_FIELD_RESERVED
    .word   0
    .org    MBR_FIELD_PAYLOAD_LBA
    .long   0
    .org    510
    .word   0xAA55                  /* the BIOS boots only sectors ending 55 AA */

    .section .note.GNU-stack, "", @progbits   /* no executable stack wanted */
