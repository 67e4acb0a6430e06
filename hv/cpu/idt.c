/*
 * idt.c: the Interrupt Descriptor Table (64-bit mode, ring 0, interrupts
 * off). Vectors 0-31 are the CPU's exceptions (SDM vol. 3, 6.15 "Exception
 * and Interrupt Reference"); each gets an interrupt gate to its stub in
 * isr.S. Vectors 32-255 stay not-present: the hypervisor keeps interrupts
 * off, so nothing should arrive there, and if something does the CPU raises
 * #GP, which is reported like any exception.
 */
#include "cpu/idt.h"
#include "cpu/gdt.h"
#include "x86/x86.h"

/* A 64-bit interrupt gate, 16 bytes (SDM vol. 3, 6.14.1 "64-Bit Mode IDT",
 * Figure 6-8 "64-Bit IDT Gate Descriptors"). */
struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;            /* bits 0-2: IST slot, 0 = stay on this stack */
    uint8_t type_attr;      /* P, DPL, type */
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

/* Present, DPL 0, type 0xE = 64-bit interrupt gate: the CPU clears IF on
 * entry (a trap gate, 0xF, would leave it set). */
#define GATE_INTERRUPT 0x8E

enum { EXCEPTION_VECTORS = 32 };

extern const uint64_t isr_stub_table[EXCEPTION_VECTORS];   /* isr.S */

static struct idt_gate idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler, unsigned ist)
{
    idt[vector] = (struct idt_gate){
        .offset_low = handler & 0xFFFF,
        .selector = GDT_KERNEL_CS,
        .ist = ist,
        .type_attr = GATE_INTERRUPT,
        .offset_mid = (handler >> 16) & 0xFFFF,
        .offset_high = handler >> 32,
    };
}

/* #DF, NMI and #MC can arrive when the current stack is unusable (a double
 * fault is often a stack overflow): they switch to the fault stack. */
static unsigned ist_for(unsigned vector)
{
    return (vector == VEC_DF || vector == VEC_NMI || vector == VEC_MC) ? IST_FAULT : 0;
}

void idt_init(void)
{
    for (unsigned v = 0; v < EXCEPTION_VECTORS; v++)
        set_gate(v, isr_stub_table[v], ist_for(v));
    struct descriptor_table_pointer p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    lidt(&p);
}
