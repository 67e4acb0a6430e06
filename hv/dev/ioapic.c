/*
 * ioapic.c: the VM's I/O APIC (see ioapic.h). A pure model: no MMIO of its
 * own, no time.
 *
 * "82093AA" is Intel's 82093AA I/O APIC datasheet (order number 290566),
 * with its section numbers and register names; "the ICH" is the I/O APIC
 * chapter of the ICH and PCH datasheets (version 0x20, the EOI register);
 * "QEMU" is QEMU's hw/intc/ioapic.c, "Bochs" Bochs 2.7's iodev/ioapic.cc.
 *
 * Read it in this order: what an entry asks for (whether it sends, and its
 * trigger), whether a message waits for a pin (update_pin), the three events
 * that change that (a line, an EOI, a write to the entry), the messages and
 * their destinations, and last the registers.
 *
 * The entries hold only their writable bits, so no write can reach a read-
 * only one. The two read-only bits are masks of their own, one bit per pin:
 * `pending` is each entry's delivery status (a message waits for the
 * caller), `remote_irr` its Remote IRR; a read puts the three together.
 */
#include "dev/ioapic.h"

/* What a write to each half of an entry keeps: the delivery status (12) and
 * Remote IRR (14) are read-only, bits 55:17 reserved. */
#define RTE_LOW_WRITABLE  (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELIVERY_MODE | IOAPIC_RTE_LOGICAL | \
                           IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)
#define RTE_HIGH_WRITABLE 0xFF000000u       /* the destination, bits 63:56 */
#define ID_WRITABLE       0x0F000000u       /* IOAPICID bits 27:24 */

static uint32_t bit(unsigned pin)
{
    return 1u << pin;
}

static enum ioapic_delivery_mode mode_of(uint64_t entry)
{
    return (enum ioapic_delivery_mode)((entry & IOAPIC_RTE_DELIVERY_MODE) >> 8);
}

/* ---- What an entry asks for ---- */

/* Does the entry send messages at all? Not while masked: "Edge-sensitive
 * interrupts signaled on a masked interrupt pin are ignored (i.e., not
 * delivered or held pending). Level-asserts or negates occurring on a masked
 * level-sensitive pin are also ignored and have no side effects" ("Interrupt
 * Mask"). Nor in the two reserved delivery modes, 011 and 110 ("Delivery
 * Mode"): QEMU sends those too, as an MSI of that mode; the model sends
 * nothing, as the local APIC ignores its LVT's reserved modes. */
static bool sends(uint64_t entry)
{
    enum ioapic_delivery_mode mode = mode_of(entry);
    return !(entry & IOAPIC_RTE_MASKED) && mode != 3 && mode != 6;
}

/* Is the entry level-triggered? Trigger mode level, in fixed or lowest-
 * priority delivery only: SMI and ExtINT "require an edge trigger mode"
 * ("Delivery Mode"), and in the message NMI and INIT are "an edge triggered
 * interrupt regardless of the Trigger Mode Setting" (SDM 11.11.2). Only
 * these entries set Remote IRR and wait for an EOI (QEMU sets it for any
 * entry whose trigger mode is level, NMI's too). */
static bool level_triggered(uint64_t entry)
{
    enum ioapic_delivery_mode mode = mode_of(entry);
    return (entry & IOAPIC_RTE_LEVEL) && (mode == IOAPIC_FIXED || mode == IOAPIC_LOWEST_PRIORITY);
}

/* Is the pin at its active level? INTPOL: "0=High active, 1=Low active"
 * ("Interrupt Input Pin Polarity"). QEMU and Bochs ignore the polarity:
 * their devices give them the interrupt's state, not the wire's level. Here
 * the caller gives the level, as a pin has it, and the entry says which
 * level asks for an interrupt (a PCI line, active low, needs INTPOL set). */
static bool asserted(const struct ioapic *io, unsigned pin)
{
    bool high = io->lines & bit(pin);
    return high != !!(io->entry[pin] & IOAPIC_RTE_ACTIVE_LOW);
}

/* ---- Does a message wait? ---- */

/* Look at the pin again after its line, its entry or its Remote IRR changed.
 * An entry that does not send holds nothing: a message still waiting when
 * the mask is set is withdrawn, which the datasheet makes the same as the
 * device's withdrawing the interrupt "before that interrupt is posted to the
 * processor" ("Interrupt Mask"); one already taken (ioapic_next_message: the
 * local APIC accepted it) stays. A level-triggered entry sends while its
 * line is asserted and its Remote IRR clear, so: unmasking an asserted line
 * sends (QEMU and Bochs too); a line that goes inactive before its message
 * is taken withdraws it; and an EOI with the line still asserted sends again
 * (the ICH's EOI register: the entries "resample their level interrupt
 * inputs and if they are still asserted, cause more ... interrupt(s)"). An
 * edge-triggered entry's message, latched by set_irq, waits until taken. */
static void update_pin(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->entry[pin];
    if (!sends(e)) {
        io->pending &= ~bit(pin);
    } else if (level_triggered(e)) {
        if (asserted(io, pin) && !(io->remote_irr & bit(pin)))
            io->pending |= bit(pin);
        else
            io->pending &= ~bit(pin);
    }
}

/* ---- The events: a line, an EOI, a write to an entry ---- */

/* An edge-triggered entry latches the edge into its active level: a rising
 * edge, or with INTPOL low active a falling one. An edge while it does not
 * send is lost (QEMU and Bochs 2.7 too); a second edge before the first
 * message is taken is the same message (one delivery status bit, as QEMU's
 * and Bochs's one IRR bit per pin). Only the line makes edges: rewriting
 * INTPOL changes which level is active, and a level entry looks again, but
 * it makes no edge. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_PINS)
        return;
    bool was = asserted(io, pin);
    if (level)
        io->lines |= bit(pin);
    else
        io->lines &= ~bit(pin);
    uint64_t e = io->entry[pin];
    if (!was && asserted(io, pin) && sends(e) && !level_triggered(e))
        io->pending |= bit(pin);
    update_pin(io, pin);
}

bool ioapic_pulse_changes_nothing(const struct ioapic *io, unsigned pin)
{
    /* update_pin keeps no message waiting for an entry that does not send,
     * and neither call touches the Remote IRR. */
    return pin >= IOAPIC_PINS || ((io->lines & bit(pin)) && !sends(io->entry[pin]));
}

/* Remote IRR "is set to 0 when an EOI message with a matching interrupt
 * vector is received from a local APIC" ("Remote IRR"), in every entry with
 * that vector (the ICH's EOI register: "each of those entries will have the
 * Remote_IRR bit reset"). QEMU does the same; Bochs has no Remote IRR and
 * ignores EOIs: it sends an asserted level again at any change of any pin
 * or entry instead. */
void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        if (!(io->remote_irr & bit(pin)) || (io->entry[pin] & IOAPIC_RTE_VECTOR) != vector)
            continue;
        io->remote_irr &= ~bit(pin);
        io->eois++;
        update_pin(io, pin);
    }
}

/* A write to one half of an entry. The read-only bits stay as they are:
 * "writes to this bit (as part of a 32 bit word) do not effect this bit"
 * ("Delivery Status"); reserved bits are not kept, and read 0 (QEMU keeps
 * them, Bochs keeps every bit written; the ICH's bits 55:48, an extended
 * destination for its front-side-bus messages, are not modelled). An entry
 * made edge-triggered loses its Remote IRR, whose meaning the datasheet
 * leaves "undefined for edge triggered interrupts": QEMU clears it
 * (ioapic_fix_edge_remote_irr), because Linux ends a level interrupt on an
 * I/O APIC without the EOI register by making the entry edge-triggered and
 * level-triggered again; Bochs clears it at any write of the low half. */
static void write_entry(struct ioapic *io, unsigned pin, bool high_half, uint32_t value)
{
    uint64_t e = io->entry[pin];
    if (high_half)
        e = (e & 0xFFFFFFFFull) | (uint64_t)(value & RTE_HIGH_WRITABLE) << 32;
    else
        e = (e & ~0xFFFFFFFFull) | (value & RTE_LOW_WRITABLE);
    io->entry[pin] = e;
    if (!(e & IOAPIC_RTE_LEVEL))
        io->remote_irr &= ~bit(pin);
    update_pin(io, pin);
}

/* ---- The messages ---- */

/* Lowest pin first, as QEMU and Bochs scan their pins (the 82093AA's order
 * is its serial bus's arbitration, which a VM has not). Taking the message
 * is its acceptance: a level-triggered entry's Remote IRR "is set to 1 when
 * local APIC(s) accept the level interrupt" ("Remote IRR"), and the pin
 * sends no more until its EOI. A vector below 16, which the local APIC
 * refuses (lapic_accept), leaves the Remote IRR set with no EOI to come:
 * the datasheet's vectors are 10h-FEh ("Interrupt Vector"). */
bool ioapic_next_message(struct ioapic *io, struct ioapic_message *m)
{
    if (!io->pending)
        return false;
    unsigned pin = (unsigned)__builtin_ctz(io->pending);
    uint64_t e = io->entry[pin];
    *m = (struct ioapic_message){
        .pin = (uint8_t)pin,
        .vector = (uint8_t)(e & IOAPIC_RTE_VECTOR),
        .mode = mode_of(e),
        .destination = (uint8_t)(e >> IOAPIC_RTE_DEST_SHIFT),
        .logical = e & IOAPIC_RTE_LOGICAL,
        .level_triggered = level_triggered(e),
    };
    io->pending &= ~bit(pin);
    if (m->level_triggered)
        io->remote_irr |= bit(pin);
    io->messages++;
    return true;
}

/* The destination's 8 bits, as the xAPIC's messages carry them (the
 * 82093AA's serial bus carried 4 in physical mode, bits 59:56). Physical
 * (SDM 11.6.2.1): the APIC ID, or FFH, "a broadcast to all APICs". Logical
 * (11.6.2.2), against the LDR's logical ID (bits 31:24): in the flat model
 * (DFR bits 31:28 all ones) any bit in common; in the cluster model, the
 * cluster (bits 7:4) equal and a member bit in common, or FFH for all. The
 * same rules as the local APIC's own IPIs (lapic.c, reaches_self). Lowest
 * priority among the APICs a message reaches is the one APIC here. */
bool ioapic_message_reaches(const struct ioapic_message *m, uint8_t apic_id, uint32_t ldr, uint32_t dfr)
{
    uint8_t dest = m->destination;
    if (!m->logical)
        return dest == apic_id || dest == 0xFF;
    uint8_t logical_id = (uint8_t)(ldr >> 24);
    if ((dfr >> 28) == 0xF)
        return (dest & logical_id) != 0;
    return dest == 0xFF || ((dest >> 4) == (logical_id >> 4) && (dest & logical_id & 0xF) != 0);
}

/* ---- The registers (82093AA 3.1 and 3.2) ---- */

/* An entry as IOWIN reads it: the writable bits, the delivery status ("1=
 * Send Pending": a message waits) and the Remote IRR. */
static uint64_t entry_as_read(const struct ioapic *io, unsigned pin)
{
    uint64_t e = io->entry[pin];
    if (io->pending & bit(pin))
        e |= IOAPIC_RTE_DELIVERY_STATUS;
    if (io->remote_irr & bit(pin))
        e |= IOAPIC_RTE_REMOTE_IRR;
    return e;
}

/* The entry register `reg` is half of, as its pin, or -1. */
static int entry_pin(uint8_t reg)
{
    if (reg < IOAPIC_REG_REDTBL || reg >= IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
        return -1;
    return (reg - IOAPIC_REG_REDTBL) / 2;
}

/* IOAPICARB "is loaded when the IOAPIC ID Register is written" (3.2.3): it
 * reads the ID (QEMU too; Bochs reads 0). Its rotation after each message
 * is the 82093AA's serial bus arbitration, which a VM has not. A register
 * that does not exist (03h-0Fh, 40h-FFh) reads 0, as in QEMU (Bochs
 * panics). */
static uint32_t read_register(const struct ioapic *io, uint8_t reg)
{
    int pin = entry_pin(reg);
    if (pin >= 0) {
        uint64_t e = entry_as_read(io, (unsigned)pin);
        return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    switch (reg) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return (uint32_t)io->id << 24;
    case IOAPIC_REG_VERSION:
        return IOAPIC_VERSION_VALUE;
    }
    return 0;
}

/* IOAPICID keeps bits 27:24 (3.2.1; the ICH's scratchpad bit 15 is not
 * modelled); the version and arbitration registers are read-only; a write
 * to a register that does not exist is ignored (QEMU; Bochs panics). */
static void write_register(struct ioapic *io, uint8_t reg, uint32_t value)
{
    int pin = entry_pin(reg);
    if (pin >= 0)
        write_entry(io, (unsigned)pin, reg & 1, value);
    else if (reg == IOAPIC_REG_ID)
        io->id = (uint8_t)((value & ID_WRITABLE) >> 24);
}

/* IOREGSEL reads back its bits 7:0; the EOI register is write-only, and
 * reads 0 like any offset that is not a register. */
uint32_t ioapic_read(const struct ioapic *io, uint32_t offset)
{
    switch (offset) {
    case IOAPIC_IOREGSEL: return io->ioregsel;
    case IOAPIC_IOWIN:    return read_register(io, io->ioregsel);
    }
    return 0;
}

/* IOREGSEL keeps bits 7:0, "bits [7:0] specify the IOAPIC register" and
 * 31:8 are reserved (3.1.1; QEMU keeps 8 bits, Bochs all 32, and then its
 * IOWIN finds no register). The EOI register compares its bits 7:0 with
 * each entry's vector (the ICH: "the I/O APIC will check the lower 8 bits
 * written"; QEMU compares all 32, so that a value above FFh ends nothing). */
void ioapic_write(struct ioapic *io, uint32_t offset, uint32_t value)
{
    switch (offset) {
    case IOAPIC_IOREGSEL:
        io->ioregsel = (uint8_t)value;
        break;
    case IOAPIC_IOWIN:
        write_register(io, io->ioregsel, value);
        break;
    case IOAPIC_EOI:
        ioapic_eoi(io, (uint8_t)value);
        break;
    }
}

/* Power-up: IOREGSEL and the ID 00h (3.1.1, 3.2.1; the ICH: the ID "is
 * reset to 0 on power up reset"; Bochs keeps its ID over a reset), every
 * entry masked and the rest 0, as QEMU and Bochs reset them. The lines go
 * low with the rest of the state: a device that holds its line high after
 * the reset sets it again. */
void ioapic_reset(struct ioapic *io)
{
    *io = (struct ioapic){ 0 };
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        io->entry[pin] = IOAPIC_RTE_MASKED;
}

void ioapic_describe(const struct ioapic *io, struct ioapic_view *v)
{
    *v = (struct ioapic_view){
        .ioregsel = io->ioregsel,
        .id = read_register(io, IOAPIC_REG_ID),
        .version = read_register(io, IOAPIC_REG_VERSION),
        .arb = read_register(io, IOAPIC_REG_ARB),
        .lines = io->lines,
        .pending = io->pending,
        .remote_irr = io->remote_irr,
        .next_pin = io->pending ? __builtin_ctz(io->pending) : -1,
        .messages = io->messages,
        .eois = io->eois,
    };
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        v->entry[pin] = entry_as_read(io, pin);
        if (asserted(io, pin))
            v->asserted |= bit(pin);
    }
}
