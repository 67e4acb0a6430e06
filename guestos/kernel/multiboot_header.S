/*
 * multiboot_header.S: the Multiboot v1 header of both kernels (the native
 * one's entry is boot.S's _start, the PV one's refusal pv/start.S's). The
 * linker script puts it first: a loader looks in the first 8 KiB.
 */
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00000003   /* bit 0: page-align modules; bit 1: memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .note.GNU-stack, "", @progbits
