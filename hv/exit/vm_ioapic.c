/*
 * vm_ioapic.c: a VM's I/O APIC under devices=virtual (see vm_ioapic.h).
 */
#include "exit/vm_ioapic.h"
#include "exit/vm_devices.h"
#include "guest/pc_firmware.h"

/* The guest's firmware tables (MP, ACPI) describe this I/O APIC. */
_Static_assert(PC_IOAPIC_BASE == IOAPIC_DEFAULT_BASE, "the tables' I/O APIC address");
_Static_assert(PC_IOAPIC_VERSION == (IOAPIC_VERSION_VALUE & 0xFF), "the tables' I/O APIC version");

/* The PIT's IRQ 0 on pin 2, as on a PC (the tables' override says so). */
static unsigned pin_of(unsigned irq)
{
    return irq == 0 ? PC_IRQ0_PIN : irq;
}

/* Whether the local APIC takes the message: the fixed and lowest-priority
 * ones into its IRR, an NMI as its CPU's NMI (the PIT's pin in NMI mode is
 * the NMI watchdog of old Linux kernels). SMI, INIT and ExtINT messages
 * are not emulated: dropped. */
static bool accepted(struct vm_devices *d, const struct ioapic_message *m)
{
    if (m->mode == IOAPIC_NMI)
        return lapic_accept_nmi(&d->lapic);
    return (m->mode == IOAPIC_FIXED || m->mode == IOAPIC_LOWEST_PRIORITY) &&
           lapic_accept(&d->lapic, m->vector, m->level_triggered);
}

/* Every message waiting goes out at once, as the chip sends it on the bus
 * (82093AA 2.3). */
static void deliver(struct vm_devices *d)
{
    if (!d->ioapic.pending)
        return;                         /* most line changes: an entry masked */
    struct ioapic_message m;
    while (ioapic_next_message(&d->ioapic, &m)) {
        bool to_us = ioapic_message_reaches(&m, d->lapic.config.apic_id, d->lapic.ldr, d->lapic.dfr);
        if (to_us && accepted(d, &m))
            d->ioapic_delivered++;
        else
            d->ioapic_dropped++;
    }
}

void vm_ioapic_start(struct vm_devices *d)
{
    ioapic_reset(&d->ioapic);
}

uint64_t vm_ioapic_page(const struct vm_devices *d)
{
    (void)d;
    return IOAPIC_DEFAULT_BASE;
}

uint32_t vm_ioapic_read(struct vm_devices *d, uint32_t offset)
{
    d->ioapic_accesses++;
    return ioapic_read(&d->ioapic, offset);
}

void vm_ioapic_write(struct vm_devices *d, uint32_t offset, uint32_t value)
{
    d->ioapic_accesses++;
    ioapic_write(&d->ioapic, offset, value);
    deliver(d);                         /* an entry unmasked on an asserted line sends */
}

void vm_ioapic_set_isa_irq(struct vm_devices *d, unsigned irq, bool level)
{
    ioapic_set_irq(&d->ioapic, pin_of(irq), level);
    deliver(d);
}

void vm_ioapic_pulse_isa_irq(struct vm_devices *d, unsigned irq)
{
    if (ioapic_pulse_changes_nothing(&d->ioapic, pin_of(irq)))
        return;
    vm_ioapic_set_isa_irq(d, irq, false);
    vm_ioapic_set_isa_irq(d, irq, true);
}

void vm_isa_irq(struct vm_devices *d, unsigned irq, bool level)
{
    pic_set_irq(&d->pic, irq, level);
    vm_ioapic_set_isa_irq(d, irq, level);
}

void vm_ioapic_eoi(struct vm_devices *d, uint8_t vector)
{
    ioapic_eoi(&d->ioapic, vector);
    deliver(d);
}

bool vm_ioapic_isa_irq_waiting(const struct vm_devices *d, unsigned irq)
{
    uint64_t entry = d->ioapic.entry[pin_of(irq)];
    if (entry & IOAPIC_RTE_MASKED)
        return false;
    if (((entry >> 8) & 7) == IOAPIC_NMI)
        return d->lapic.nmi_pending;
    return lapic_test_vector(d->lapic.vec.irr, entry & 0xFF);
}

bool vm_ioapic_isa_irq_sends_nmi(const struct vm_devices *d, unsigned irq)
{
    uint64_t entry = d->ioapic.entry[pin_of(irq)];
    return !(entry & IOAPIC_RTE_MASKED) && ((entry >> 8) & 7) == IOAPIC_NMI;
}

bool vm_ioapic_isa_irq_open(const struct vm_devices *d, unsigned irq)
{
    uint64_t entry = d->ioapic.entry[pin_of(irq)];
    unsigned mode = (entry >> 8) & 7;
    return !(entry & IOAPIC_RTE_MASKED) &&
           (mode == IOAPIC_FIXED || mode == IOAPIC_LOWEST_PRIORITY || mode == IOAPIC_NMI);
}
