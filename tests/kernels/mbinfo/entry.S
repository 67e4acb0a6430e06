/*
 * entry.S: the Multiboot v1 header and entry point of the mbinfo test
 * kernel. CPU mode: 32-bit protected mode, paging off, as a Multiboot
 * loader leaves it (Multiboot Specification 0.6.96, 3.2).
 *
 * One source, two kernels: built with -DMBINFO_KLUDGE the header sets
 * flag 16 and carries the a.out kludge address fields (3.1.3), so the
 * loader must load it by those fields instead of by the ELF program
 * headers. Both ask for page-aligned modules (flag 0) and memory
 * information (flag 1).
 */
#include "multiboot.h"

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
    /* No stack is promised (3.2): make one. Then mbinfo_main(eax, ebx). */
    movl    $stack_top, %esp
    pushl   %ebx                    /* physical address of the boot information */
    pushl   %eax                    /* the loader's magic */
    call    mbinfo_main
1:  cli
    hlt
    jmp     1b

    .bss
    .p2align 4
    .space  16384
stack_top:

    .section .note.GNU-stack, "", @progbits
