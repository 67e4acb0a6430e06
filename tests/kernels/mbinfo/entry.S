/*
 * entry.S: the Multiboot v1 header and entry point of the mbinfo test
 * kernel. CPU mode: 32-bit protected mode, paging off, as a Multiboot
 * loader leaves it (Multiboot Specification 0.6.96, 3.2).
 *
 * One source, several kernels: built with -DMBINFO_KLUDGE the header sets
 * flag 16 and carries the a.out kludge address fields (3.1.3), so the
 * loader must load it by those fields instead of by the ELF program
 * headers. Built with -DMBINFO_HIGH it is linked at 0xC0000000 above where
 * it loads (mbinfo.ld's __mbinfo_offset), with a physical e_entry, as
 * Linux-style kernels are: it runs at its physical address until it has
 * turned paging on. All ask for page-aligned modules (flag 0) and memory
 * information (flag 1).
 */
#include "multiboot.h"

#ifdef MBINFO_HIGH
#define MBINFO_OFFSET 0xC0000000    /* virtual - physical: mbinfo.ld's __mbinfo_offset */
#else
#define MBINFO_OFFSET 0
#endif

#ifdef MBINFO_KLUDGE
#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE)
#else
#define HEADER_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#endif

    .section .multiboot, "a"
    .p2align 2
header:
    .long   MULTIBOOT_HEADER_MAGIC
    .long   HEADER_FLAGS
    .long   -(MULTIBOOT_HEADER_MAGIC + HEADER_FLAGS)
#ifdef MBINFO_KLUDGE
    /* The linker script (mbinfo.ld) defines the bounds. */
    .long   header                  /* header_addr */
    .long   __load_start            /* load_addr: the first byte of the file image */
    .long   __load_end              /* load_end_addr: end of .data */
    .long   __bss_end               /* bss_end_addr */
    .long   _start                  /* entry_addr */
#endif

    .text
    .globl _start
_start:
    /* Where the loader entered, which must be the physical address of
     * _start: EIP, found by a call. No stack is promised (3.2): the call
     * pushes onto a few bytes of this kernel's own bss, at their physical
     * address. */
    movl    %eax, %edi              /* the loader's magic */
    movl    $entry_stack_top - MBINFO_OFFSET, %esp
    call    1f
1:  popl    %esi
    subl    $(1b - _start), %esi
#ifdef MBINFO_HIGH
    /* A page directory of 4 MiB pages (SDM vol. 3, 4.3, CR4.PSE): 0-3 GiB
     * identity-mapped (the boot information, wherever it is), 3-4 GiB onto
     * 0-1 GiB (this kernel, linked at 0xC0000000 + where it loads). */
    movl    $boot_pd - MBINFO_OFFSET, %ebp
    xorl    %ecx, %ecx
2:  movl    %ecx, %eax
    cmpl    $768, %eax
    jb      3f
    subl    $768, %eax
3:  shll    $22, %eax
    orl     $0x83, %eax             /* present, writable, 4 MiB page */
    movl    %eax, (%ebp,%ecx,4)
    incl    %ecx
    cmpl    $1024, %ecx
    jb      2b
    movl    %cr4, %eax
    orl     $0x10, %eax             /* CR4.PSE */
    movl    %eax, %cr4
    movl    %ebp, %cr3
    movl    %cr0, %eax
    orl     $0x80000000, %eax       /* CR0.PG */
    movl    %eax, %cr0
    movl    $4f, %eax
    jmp     *%eax                   /* on to the linked, virtual addresses */
4:
#endif
    movl    $stack_top, %esp
    pushl   %esi                    /* where the loader entered */
    pushl   %ebx                    /* physical address of the boot information */
    pushl   %edi                    /* the loader's magic */
    call    mbinfo_main
5:  cli
    hlt
    jmp     5b

    .bss
#ifdef MBINFO_HIGH
    .p2align 12
boot_pd:
    .space  4096
#endif
    .p2align 4
    .space  16384
stack_top:
    .space  16
entry_stack_top:

    .section .note.GNU-stack, "", @progbits
