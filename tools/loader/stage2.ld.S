/*
 * stage2.ld.S: linker script of stage2, run through the C preprocessor so
 * that it takes its addresses from layout.h.
 *
 * stage2 is one flat binary (objcopy -O binary) that boot.S loads to
 * STAGE2_ADDR, so its first byte must be the real-mode entry (.text16).
 * The real-mode data (.data16: GDT, bios_info) must stay below 64 KiB,
 * where 16-bit offsets with DS = 0 reach it. .bss is not in the file
 * (entry.S zeroes it). The ASSERTs turn a loader that outgrew its room
 * into a build error instead of a mysterious crash.
 */
#include "layout.h"

OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(_start)

/* Two segments, code and data, so no segment is writable and executable. */
PHDRS
{
    code PT_LOAD FLAGS(5);
    data PT_LOAD FLAGS(6);
}

SECTIONS
{
    . = STAGE2_ADDR;
    .text16 : { *(.text16) } :code
    .text : { *(.text .text.*) } :code
    .rodata : { *(.rodata .rodata.*) } :code
    .data16 : { *(.data16) } :data
    __realmode_end = .;
    .data : { *(.data .data.*) } :data
    __image_end = .;
    .bss (NOLOAD) : {
        __bss_start = .;
        *(.bss .bss.*) *(COMMON)
        __bss_end = .;
    } :data
    /DISCARD/ : { *(.eh_frame) *(.note*) *(.comment) }
}

ASSERT(__realmode_end <= 0x10000, "stage2: real-mode code and data must end below 64 KiB")
ASSERT(__image_end - STAGE2_ADDR <= STAGE2_MAX_SECTORS * SECTOR_SIZE, "stage2: too big for boot.S to load")
ASSERT(__bss_end <= STAGE2_LIMIT, "stage2: runs into the handoff area")
