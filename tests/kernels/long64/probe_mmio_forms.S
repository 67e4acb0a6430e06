/*
 * probe_mmio_forms.S: probe_mmio.c's addresses and the forms it runs under
 * try_call. The aliases are symbols of their own file so that the C file's
 * "mmio_lapic_alias(%rip)" is a RIP-relative operand the linker resolves:
 * an absolute symbol the assembler knows would be taken as the
 * displacement itself.
 */
    .globl mmio_lapic_alias, mmio_outside
    .set mmio_lapic_alias, 0x3FC00000   /* PD[510]: the local APIC's 2 MiB */
    .set mmio_outside, 0x3F000000       /* entry.S maps it; no RAM behind it */

    .text
/* Ten CS prefixes and MOV EAX, [RIP + disp32] (8B 05): 16 bytes, #GP(0)
 * (SDM vol. 2A, 2.3.11). */
    .globl mmio_sixteen_bytes
mmio_sixteen_bytes:
    .byte   0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
    movl    mmio_lapic_alias + 0x30(%rip), %eax
    ret

/* The version register's address with bit 47 set and 63:48 clear: not
 * canonical, #GP(0) (vol. 1, 3.3.7.1); through a register, and through
 * A1's 64-bit offset. */
    .globl mmio_non_canonical
mmio_non_canonical:
    movabsq $0x00008000FEE00030, %rax
    movl    (%rax), %eax
    ret

    .globl mmio_non_canonical_moffs
mmio_non_canonical_moffs:
    movabs  0x00008000FEE00030, %eax
    ret
    .section .note.GNU-stack, "", @progbits
