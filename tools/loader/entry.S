/*
 * entry.S: stage2's ways in and out.
 * CPU mode: 16-bit real mode at _start (boot.S jumps to 0000:8000 with
 * DL = boot drive), 32-bit protected mode from protected_entry on.
 *
 * In: while the BIOS is still callable, ask it what only it knows (the
 * memory map, INT 15h EAX=E820h; conventional memory, INT 12h), open the
 * A20 gate, then switch to protected mode for good and call loader_main()
 * in C. Errors found here are only recorded in bios_info: the C part
 * reports them on COM1, where the runner reads them.
 *
 * Out: enter_kernel() puts the CPU in the state Multiboot 3.2 specifies
 * and jumps to the kernel.
 *
 * The real-mode code and data live in .text16 and .data16, which the
 * linker script places first, below 64 KiB, so 16-bit offsets with
 * DS = ES = 0 reach them.
 */
#include "layout.h"
#include "bios.h"
#include "multiboot.h"

#define CR0_PE  0x00000001          /* protection enable */

    .code16
    .section .text16, "ax"
    .globl _start
_start:
    cli
    xorw    %ax, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    $REALMODE_STACK_TOP, %sp
    sti                             /* BIOS services below may need IRQs */
    cld
    movb    %dl, bios_info + BIOS_INFO_DRIVE

    call    read_conventional_memory
    call    read_e820_map
    call    enable_a20
    call    check_a20
    movb    %al, bios_info + BIOS_INFO_A20_ON

    /* Leave real mode (Intel SDM vol. 3A, "Switching to Protected
     * Mode"): interrupts off (there is no protected-mode IDT), load the
     * GDT, set CR0.PE, then a far jump to load CS with a 32-bit segment. */
    cli
    lgdtl   gdt_descriptor
    movl    %cr0, %eax
    orl     $CR0_PE, %eax
    movl    %eax, %cr0
    ljmpl   $GDT_CODE32_SELECTOR, $protected_entry

/* INT 12h: AX = KiB of conventional memory below the EBDA. */
read_conventional_memory:
    int     $0x12
    movw    %ax, bios_info + BIOS_INFO_CONV_KB
    ret

/*
 * INT 15h EAX=E820h, the BIOS memory map, one entry per call (ACPI spec,
 * "INT 15H, E820H - Query System Address Map"): EBX = continuation (0 the
 * first time), ES:DI = buffer, ECX = its size, EDX = "SMAP". The BIOS
 * returns EAX = "SMAP" and the next EBX; EBX = 0 or CF set means the list
 * is over (CF on the first call: no E820 at all; C then complains).
 * Entries are asked for in the 24-byte ACPI 3.0 form. A BIOS that writes
 * only 20 bytes leaves the attribute word alone, so preset it to 1
 * ("valid") as ACPI recommends.
 */
read_e820_map:
    xorl    %ebx, %ebx
    movw    $bios_info + BIOS_INFO_E820, %di
1:  movl    $1, %es:20(%di)
    movl    $0xE820, %eax
    movl    $E820_SMAP, %edx
    movl    $E820_ENTRY_SIZE, %ecx
    int     $0x15
    jc      2f
    cmpl    $E820_SMAP, %eax
    jne     2f
    incl    bios_info + BIOS_INFO_E820_COUNT
    addw    $E820_ENTRY_SIZE, %di
    testl   %ebx, %ebx
    jz      2f
    cmpl    $E820_MAX_ENTRIES, bios_info + BIOS_INFO_E820_COUNT
    jb      1b
2:  ret

/*
 * The A20 gate: with it closed, address bit 20 is forced to 0 (an 8086
 * compatibility relic), so every odd MiB aliases the even one below it,
 * and a kernel at 1 MiB would overwrite the IVT. Try the ways in order of
 * politeness, checking after each: already open; the BIOS (INT 15h
 * AX=2401h); the 8042 keyboard controller's output port (bit 1); the
 * "fast A20" bit of System Control Port A (port 92h, bit 1).
 */
enable_a20:
    call    check_a20
    testb   %al, %al
    jnz     1f
    movw    $0x2401, %ax
    int     $0x15
    call    check_a20
    testb   %al, %al
    jnz     1f
    call    enable_a20_via_8042
    call    check_a20
    testb   %al, %al
    jnz     1f
    inb     $0x92, %al
    orb     $0x02, %al              /* bit 1: A20 on */
    andb    $0xFE, %al              /* bit 0 would reset the machine */
    outb    %al, $0x92
1:  ret

/* 8042 command D1h "write output port", then the value DFh: A20 on, the
 * CPU reset line inactive, keyboard clock and data as they should be. */
enable_a20_via_8042:
    call    wait_8042_input_empty
    movb    $0xD1, %al
    outb    %al, $0x64
    call    wait_8042_input_empty
    movb    $0xDF, %al
    outb    %al, $0x60
    call    wait_8042_input_empty
    ret

/* The 8042 accepts a byte only when status bit 1 (input buffer full) is
 * clear. Poll at most 65536 times: there may be no 8042 at all. */
wait_8042_input_empty:
    xorw    %cx, %cx
1:  inb     $0x64, %al
    testb   $0x02, %al
    loopnz  1b
    ret

/* AL = 1 if A20 is open. 0000:0500 and FFFF:0510 are the linear addresses
 * 0x00500 and 0x100500, the same byte when A20 is closed: write different
 * values to them and see whether the first one survived. */
check_a20:
    pushw   %es
    movw    $0xFFFF, %ax
    movw    %ax, %es
    movw    0x0500, %cx             /* save both words */
    movw    %es:0x0510, %dx
    movw    $0x1234, 0x0500
    movw    $0xABCD, %es:0x0510
    cmpw    $0x1234, 0x0500
    sete    %al
    movw    %dx, %es:0x0510         /* restore both; if they alias, the */
    movw    %cx, 0x0500             /* second write leaves the right value */
    popw    %es
    ret

    .section .data16, "aw"
    .p2align 3
/* Flat segments, base 0, limit 4 GiB (G=1), 32-bit (D=1), ring 0
 * (SDM vol. 3, 3.4.5 "Segment Descriptors"). The kernel keeps them:
 * Multiboot 3.2 asks for exactly these, and lets the kernel replace them. */
gdt:
    .quad   0                       /* the null selector */
    .quad   0x00CF9A000000FFFF      /* 0x08: code, execute/read */
    .quad   0x00CF92000000FFFF      /* 0x10: data, read/write */
gdt_end:
gdt_descriptor:
    .word   gdt_end - gdt - 1
    .long   gdt

    .p2align 3
    .globl bios_info
bios_info:
    .space  BIOS_INFO_SIZE

    .code32
    .text
protected_entry:
    movw    $GDT_DATA32_SELECTOR, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %fs
    movw    %ax, %gs
    movw    %ax, %ss
    movl    $stack_top, %esp
    /* The image on disk does not hold .bss: zero it, as C expects. */
    movl    $__bss_start, %edi
    movl    $__bss_end, %ecx
    subl    %edi, %ecx
    xorl    %eax, %eax
    rep stosb
    call    loader_main
1:  cli                             /* loader_main never returns */
    hlt
    jmp     1b

/*
 * _Noreturn void enter_kernel(uint32_t entry, uint32_t mbi)
 * Multiboot 3.2 "Machine state": EAX = 0x2BADB002, EBX = physical address
 * of the boot information, CS a flat 32-bit code segment, DS/ES/FS/GS/SS
 * flat 32-bit data segments (all set at protected_entry), A20 on, CR0.PG
 * clear, CR0.PE set, EFLAGS.VM and EFLAGS.IF clear. ESP is the kernel's
 * business; EFLAGS is reset to just its always-one bit 1.
 */
    .globl enter_kernel
enter_kernel:
    movl    4(%esp), %ecx
    movl    8(%esp), %ebx
    pushl   $0x00000002
    popfl
    movl    $MULTIBOOT_BOOTLOADER_MAGIC, %eax
    jmp     *%ecx

    .bss
    .p2align 4
stack:
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits   /* no executable stack wanted */
