/* idt.h: the Interrupt Descriptor Table (64-bit, ring 0). */
#pragma once

/* Point vectors 0-31 at the stubs in isr.S and load the IDT. */
void idt_init(void);
