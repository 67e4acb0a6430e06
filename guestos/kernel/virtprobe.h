/*
 * virtprobe.h: what the kernel sees of its own privilege, for the virtcheck
 * test (shared with guestos/user/virtcheck.c). Natively each field has the
 * value noted; under the hypervisor's deprivileged mode (kernel at ring 1)
 * several of them change silently, which is exactly what lab 3 is about.
 */
#pragma once
#include <stdint.h>

struct virtprobe {
    uint32_t popf_if;       /* IF after POPF of flags with IF clear (IF was set): 0 */
    uint32_t pushf_if;      /* IF that PUSHF shows just after CLI: 0 */
    uint32_t cs, ss;        /* the kernel's CS and SS: 0x08, 0x10 (RPL 0) */
    uint32_t gdt_base, gdt_limit, idt_base, idt_limit;  /* SGDT, SIDT */
    uint32_t ldt, tr;       /* SLDT: 0; STR: 0x28 */
    uint32_t msw, cr0;      /* SMSW and MOV from CR0: equal low 16 bits */
    uint32_t cr4;           /* MOV from CR4: VMXE (bit 13) clear, and CR0.NE (bit 5) too */
    uint32_t lar_kcode_dpl; /* the DPL that LAR reads from the kernel's code segment: 0 */
    uint32_t lsl_kdata;     /* the limit that LSL reads from the kernel's data segment: 0xffffffff */
    uint32_t tsc_max_gap;   /* largest step between RDTSCs with interrupts off: small */
    uint32_t tsc_reads;
    /* what the kernel loaded, for comparison */
    uint32_t my_gdt_base, my_gdt_limit, my_idt_base, my_idt_limit, my_tr;
};
