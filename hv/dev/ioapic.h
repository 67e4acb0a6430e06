/*
 * ioapic.h: the I/O APIC of a VM (lab 4, virtual interrupt hardware): 24
 * interrupt input pins, each with a redirection-table entry that turns the
 * pin's signal into an interrupt message for the local APICs; its registers
 * at the PC's address 0xFEC00000.
 *
 * A pure device model (any mode, also the host unit tests and the fuzzer):
 * it uses no other hv/ folder and no time. Its caller gives it four kinds
 * of event and takes one output:
 *   ioapic_read, ioapic_write  the guest's 32-bit MMIO accesses, decoded by
 *                              the caller as exit/vm_lapic.c decodes the
 *                              local APIC's: the offset from the base
 *                              (IOREGSEL 0x00, IOWIN 0x10, EOI 0x40) and the
 *                              value;
 *   ioapic_set_irq             a device's line into pin 0-23, high or low
 *                              (the model applies the entry's polarity and
 *                              finds the edges itself);
 *   ioapic_eoi                 the EOI message for a vector (SDM vol. 3,
 *                              11.8.5): what lapic_write returns for an EOI
 *                              of a level-triggered vector;
 *   ioapic_next_message        the interrupt messages to deliver, one at a
 *                              time: the caller hands each to the local APIC
 *                              if it reaches it (ioapic_message_reaches).
 * Any call that changes a line, an entry or a Remote IRR may make a message.
 * The caller takes them all (ioapic_next_message until false) before the
 * guest runs again; one left waiting shows in the entry's delivery status,
 * as a message the 82093AA could not yet send.
 *
 * The model knows pins, not the board's wiring: that ISA IRQ 0 (the PIT)
 * reaches pin 2 and IRQ n pin n for the others, as the MADT's interrupt
 * source override says on a PC (and QEMU and Bochs wire it), is the caller's.
 *
 * The reference is Intel's 82093AA I/O APIC datasheet (order number 290566)
 * and, for what the chipsets since do (version 0x20, the EOI register), the
 * ICH/PCH datasheets' I/O APIC chapter; the SDM vol. 3, chapter 11 for the
 * messages' destinations. Where they leave room, QEMU's hw/intc/ioapic.c or
 * Bochs 2.7's iodev/ioapic.cc, named at the rule; where those two differ from
 * the datasheets, the datasheet wins, and ioapic.c says so at the rule.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_DEFAULT_BASE 0xFEC00000ull
#define IOAPIC_PINS         24

/* The MMIO registers, at their offsets from the base (82093AA 3.1; the EOI
 * register is version 0x20's). */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

/* The registers IOREGSEL selects and IOWIN reads and writes (82093AA 3.2). */
#define IOAPIC_REG_ID      0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB     0x02
#define IOAPIC_REG_REDTBL  0x10     /* entry n: bits 31:0 at 0x10 + 2n, 63:32 at 0x11 + 2n */

/* IOAPICVER: version 0x20, the ICH's and PCH's; the highest entry 23 (17h:
 * 24 pins) in bits 23:16; no pin assertion register (bit 15, PRQ, clear). */
#define IOAPIC_VERSION_VALUE 0x00170020u

/* A redirection-table entry ("IOREDTBL[23:0]"). */
#define IOAPIC_RTE_VECTOR          0x000000FFu
#define IOAPIC_RTE_DELIVERY_MODE   0x00000700u
#define IOAPIC_RTE_LOGICAL         (1u << 11)   /* destination mode: logical (else physical) */
#define IOAPIC_RTE_DELIVERY_STATUS (1u << 12)   /* read-only: a message waits */
#define IOAPIC_RTE_ACTIVE_LOW      (1u << 13)   /* polarity, INTPOL */
#define IOAPIC_RTE_REMOTE_IRR      (1u << 14)   /* read-only: a level interrupt accepted, no EOI yet */
#define IOAPIC_RTE_LEVEL           (1u << 15)   /* trigger mode: level (else edge) */
#define IOAPIC_RTE_MASKED          (1u << 16)
#define IOAPIC_RTE_DEST_SHIFT      56           /* the destination, bits 63:56 */

/* The delivery mode, bits 10:8; 3 and 6 are reserved. */
enum ioapic_delivery_mode {
    IOAPIC_FIXED = 0,
    IOAPIC_LOWEST_PRIORITY = 1,
    IOAPIC_SMI = 2,
    IOAPIC_NMI = 4,
    IOAPIC_INIT = 5,
    IOAPIC_EXTINT = 7,
};

/* The chip. Bit n of a pin mask is pin n. */
struct ioapic {
    uint8_t ioregsel;           /* IOREGSEL: the register IOWIN reaches */
    uint8_t id;                 /* IOAPICID bits 27:24 */
    uint64_t entry[IOAPIC_PINS];   /* the writable bits, as last written */
    uint32_t lines;             /* the pins' levels (high or low), as last set */
    uint32_t pending;           /* a message waiting for the caller (delivery status) */
    uint32_t remote_irr;        /* a level interrupt sent, its EOI not yet come */
    uint64_t messages;          /* messages taken by ioapic_next_message */
    uint64_t eois;              /* Remote IRR bits an EOI cleared */
};

/* One interrupt message, from one pin's entry. */
struct ioapic_message {
    uint8_t pin;
    uint8_t vector;             /* fixed and lowest priority; the PIC gives ExtINT's; NMI, SMI, INIT have none */
    enum ioapic_delivery_mode mode;
    uint8_t destination;        /* bits 63:56: an APIC ID (physical) or a set of logical IDs */
    bool logical;               /* destination mode */
    bool level_triggered;       /* lapic_accept's level; its EOI must come back (ioapic_eoi) */
};

/* Power-up or RESET (82093AA 3.2.1: the ID 00h; every entry masked, as
 * QEMU and Bochs reset it): the ID 0, IOREGSEL 0, every entry masked (bit
 * 16) and the rest 0, every line low, nothing waiting, the counts 0. */
void ioapic_reset(struct ioapic *io);

/* A 32-bit register read or write at `offset` from the base: IOREGSEL
 * (0x00; bits 7:0), IOWIN (0x10; the register IOREGSEL selects) or, write-
 * only, the EOI register (0x40; its bits 7:0 are a vector, as ioapic_eoi).
 * Other offsets, and registers IOREGSEL selects that do not exist, read 0
 * and ignore writes. Writes to read-only registers and bits change nothing;
 * reserved bits read 0 whatever was written. */
uint32_t ioapic_read(const struct ioapic *io, uint32_t offset);
void ioapic_write(struct ioapic *io, uint32_t offset, uint32_t value);

/* Pin `pin` (0-23) is now at `level` (high: true). A pin past 23 is
 * ignored. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* Would pin `pin`'s line going low and high again (two ioapic_set_irq)
 * change nothing at all? So when its entry sends nothing (masked: neither
 * edge makes a message, nor can one wait) and its line is high already,
 * where it ends; or past pin 23. */
bool ioapic_pulse_changes_nothing(const struct ioapic *io, unsigned pin);

/* An EOI for `vector`: every entry with that vector whose Remote IRR is set
 * has it cleared, and sends again if its line is still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* The next message waiting, lowest pin first: true and *m filled, its
 * delivery status cleared and, level-triggered, its Remote IRR set (the
 * model takes the message as accepted); false when none waits. */
bool ioapic_next_message(struct ioapic *io, struct ioapic_message *m);

/* Does message m reach a local APIC with this APIC ID, LDR and DFR (the
 * registers' values, as lapic.h holds them)? Physical: the APIC ID, or 0xFF
 * for all; logical: the LDR's and DFR's flat or cluster model (SDM 11.6.2).
 * The caller asks before it hands a message to its vCPU's APIC; a message
 * that reaches no one is lost, as on a bus without its destination. */
bool ioapic_message_reaches(const struct ioapic_message *m, uint8_t apic_id, uint32_t ldr, uint32_t dfr);

/* What gdb's `monitor ioapic` shows: every register as the guest reads it,
 * the lines, and what waits. Changes nothing. */
struct ioapic_view {
    uint32_t ioregsel;
    uint32_t id, version, arb;  /* registers 0x00-0x02, as IOWIN reads them */
    uint64_t entry[IOAPIC_PINS];   /* both halves, as IOWIN reads them */
    uint32_t lines;             /* the pins' levels */
    uint32_t asserted;          /* the pins at their active level (INTPOL) */
    uint32_t pending;           /* the entries whose delivery status is set */
    uint32_t remote_irr;        /* the entries whose Remote IRR is set */
    int next_pin;               /* the pin ioapic_next_message takes next, or -1 */
    uint64_t messages, eois;
};
void ioapic_describe(const struct ioapic *io, struct ioapic_view *v);
