/*
 * apic.h: the local APIC and the I/O APIC as the hostile kernel's attacks
 * reach them (attacks_lapic.c, attacks_nmi.c). The local APIC's page is
 * mapped at linear APIC (the last page of the first 4 MiB, uncached), the
 * I/O APIC's next to it: attacks_lapic.c says why not at 0xFEE00000 flat.
 */
#pragma once
#include <stdint.h>

#define APIC 0x003FF000u
#define APIC_PHYSICAL 0xFEE00000u
#define PTE_P_W_PWT_PCD 0x1Bu
#define REG(off) (*(volatile uint32_t *)(APIC + (off)))
#define SVR 0x0F0
#define EOI 0x0B0
#define ESR 0x280
#define ISR 0x100
#define IRR 0x200
#define ICR_LOW 0x300
#define LVT_TIMER 0x320
#define LVT_ERROR 0x370
#define TIMER_INITIAL 0x380
#define TIMER_DIVIDE 0x3E0
#define MASKED (1u << 16)
#define PERIODIC (1u << 17)
#define TSC_DEADLINE (2u << 17)
#define ICR_HIGH 0x310
#define APIC_ID 0x020
#define SELF (1u << 18)                 /* ICR destination shorthand 01 */
#define ALL_INCLUDING_SELF (2u << 18)   /* shorthand 10 */
#define ICR_NMI (4u << 8)               /* ICR delivery mode 100: NMI (SDM 11.6.1) */

/* IOREGSEL at 0x00, IOWIN at 0x10 (82093AA 3.1). */
#define IOAPIC 0x003FE000u
#define IOAPIC_PHYSICAL 0xFEC00000u
#define IOREG(off) (*(volatile uint32_t *)(IOAPIC + (off)))
#define IOAPIC_MASKED_ENTRY (1u << 16)
#define IOAPIC_NMI_ENTRY (4u << 8)      /* delivery mode 100: NMI */

/* An interrupt handler, in assembly, named `name`: it adds one to the
 * uint32_t `counter`, runs the instructions `then` (usually APIC_EOI_WRITE,
 * which ends the interrupt at the local APIC; "" for none) and returns. Use
 * as `__asm__(APIC_COUNT_STUB("my_stub", "my_count", APIC_EOI_WRITE));`. */
#define APIC_EOI_WRITE "    movl $0, 0x3FF0B0\n"           /* APIC + EOI */
#define APIC_COUNT_STUB(name, counter, then) \
    ".text\n.globl " name "\n" name ":\n    incl " counter "\n" then "    iret\n"

/* The local APIC mapped, software-enabled, spurious vector 0xFF, and the
 * handlers of attacks_lapic.c's vectors in the IDT. */
void apic_on(void);
/* And the I/O APIC mapped too; its registers through IOREGSEL and IOWIN. */
void ioapic_map(void);
uint32_t ioapic_get(uint32_t reg);
void ioapic_set(uint32_t reg, uint32_t value);
/* The PIT's IRQ 0 through the I/O APIC's pin 2 alone: both 8259As masked,
 * pin 2's entry `entry` (to APIC ID 0), the PIT's counter 0 at 1000 Hz. */
void pit_through_ioapic_pin2(uint32_t entry);
