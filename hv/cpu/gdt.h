/*
 * gdt.h: the hypervisor's segment selectors and GDT/TSS set-up (64-bit).
 * The selector values are shared with boot.S's temporary GDT.
 */
#pragma once

#define GDT_KERNEL_CS 0x08   /* 64-bit code, DPL 0 */
#define GDT_KERNEL_DS 0x10   /* data, DPL 0 */
#define GDT_TSS       0x18   /* 64-bit TSS (a 16-byte descriptor) */

/* The Interrupt Stack Table slot the IDT uses for faults that must not run
 * on a possibly broken stack (#DF, NMI, #MC): SDM vol. 3, 6.14.5. */
#define IST_FAULT 1

#ifndef __ASSEMBLER__
/* Load the full GDT, reload every segment register and load TR. */
void gdt_init(void);
#endif
