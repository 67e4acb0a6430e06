/*
 * test_ioapic.c: hv/dev/ioapic.c, the I/O APIC of lab 4: its registers
 * through IOREGSEL and IOWIN (what is writable, read-only, reserved or
 * absent), edge- and level-triggered pins, the polarity, the mask, Remote
 * IRR and the EOI (from the local APIC, or the EOI register), the delivery
 * status, the messages and their destinations, and the reset. Each test
 * drives the model only through its API, as the hypervisor will; the last
 * ones hand the messages to the local APIC model (dev/lapic.c), as the
 * hypervisor's caller will, and bring its EOIs back.
 */
#include "unit.h"
#include "dev/ioapic.h"
#include "dev/lapic.h"
#include <string.h>

static struct ioapic io;

static int setup(void **state)
{
    (void)state;
    ioapic_reset(&io);
    return 0;
}

/* A register through the window, the way a guest reaches it. */
static uint32_t rd(uint8_t reg)
{
    ioapic_write(&io, IOAPIC_IOREGSEL, reg);
    return ioapic_read(&io, IOAPIC_IOWIN);
}

static void wr(uint8_t reg, uint32_t value)
{
    ioapic_write(&io, IOAPIC_IOREGSEL, reg);
    ioapic_write(&io, IOAPIC_IOWIN, value);
}

static uint32_t entry_low(unsigned pin)
{
    return rd((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin));
}

/* Program pin's entry as an OS does: the destination, then the low half. */
static void program(unsigned pin, uint32_t low, uint8_t destination)
{
    wr((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1), (uint32_t)destination << 24);
    wr((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin), low);
}

#define EDGE(vector)  ((uint32_t)(vector))
#define LEVEL(vector) ((uint32_t)(vector) | IOAPIC_RTE_LEVEL)

static void line(unsigned pin, bool level)
{
    ioapic_set_irq(&io, pin, level);
}

/* The next message is pin's, with this vector and trigger. */
static struct ioapic_message expect_message(unsigned pin, uint8_t vector, bool level)
{
    struct ioapic_message m;
    assert_true(ioapic_next_message(&io, &m));
    assert_int_equal(m.pin, pin);
    assert_int_equal(m.vector, vector);
    assert_int_equal(m.level_triggered, level);
    return m;
}

static void expect_none(void)
{
    struct ioapic_message m;
    assert_false(ioapic_next_message(&io, &m));
}

static void test_reset_state(void **state)
{
    (void)state;
    assert_int_equal(ioapic_read(&io, IOAPIC_IOREGSEL), 0);
    assert_int_equal(rd(IOAPIC_REG_ID), 0);
    assert_int_equal(rd(IOAPIC_REG_VERSION), 0x00170020);    /* version 0x20, 24 entries */
    assert_int_equal(rd(IOAPIC_REG_ARB), 0);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        assert_int_equal(entry_low(pin), IOAPIC_RTE_MASKED);
        assert_int_equal(rd((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1)), 0);
    }
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        line(pin, true);                     /* every entry masked: nothing */
    expect_none();
}

static void test_reset_after_use(void **state)
{
    (void)state;
    wr(IOAPIC_REG_ID, 0x05000000);
    program(4, LEVEL(0x44), 0);
    line(4, true);
    expect_message(4, 0x44, true);
    ioapic_write(&io, IOAPIC_IOREGSEL, 0x19);
    ioapic_reset(&io);
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.ioregsel, 0);
    assert_int_equal(v.id, 0);
    assert_int_equal(v.entry[4], IOAPIC_RTE_MASKED);
    assert_int_equal(v.lines | v.pending | v.remote_irr, 0);
    assert_int_equal(v.messages + v.eois, 0);
}

static void test_ioregsel_keeps_8_bits(void **state)
{
    (void)state;
    ioapic_write(&io, IOAPIC_IOREGSEL, 0xABCDEF01);
    assert_int_equal(ioapic_read(&io, IOAPIC_IOREGSEL), 0x01);
    assert_int_equal(ioapic_read(&io, IOAPIC_IOWIN), 0x00170020);   /* register 01h */
}

static void test_id_and_arbitration(void **state)
{
    (void)state;
    wr(IOAPIC_REG_ID, 0xFFFFFFFF);
    assert_int_equal(rd(IOAPIC_REG_ID), 0x0F000000);         /* bits 27:24 only */
    assert_int_equal(rd(IOAPIC_REG_ARB), 0x0F000000);        /* loaded with the ID */
    wr(IOAPIC_REG_ID, 0x02000000);
    assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
    wr(IOAPIC_REG_ARB, 0x07000000);                          /* read-only */
    wr(IOAPIC_REG_VERSION, 0);
    assert_int_equal(rd(IOAPIC_REG_ARB), 0x02000000);
    assert_int_equal(rd(IOAPIC_REG_VERSION), 0x00170020);
}

static void test_absent_registers_and_offsets(void **state)
{
    (void)state;
    static const uint8_t absent[] = { 0x03, 0x0F, 0x40, 0x41, 0x80, 0xFF };
    struct ioapic_view before, after;
    ioapic_describe(&io, &before);
    for (unsigned i = 0; i < sizeof absent; i++) {
        wr(absent[i], 0xFFFFFFFF);
        assert_int_equal(rd(absent[i]), 0);
    }
    static const uint32_t offsets[] = { 0x04, 0x0C, 0x14, 0x20, 0x30, 0x44, 0x50, 0xFF0, 0x1000 };
    for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        ioapic_write(&io, offsets[i], 0xFFFFFFFF);
        assert_int_equal(ioapic_read(&io, offsets[i]), 0);
    }
    assert_int_equal(ioapic_read(&io, IOAPIC_EOI), 0);       /* write-only */
    ioapic_write(&io, IOAPIC_IOREGSEL, 0);
    ioapic_describe(&io, &after);
    assert_memory_equal(before.entry, after.entry, sizeof before.entry);
    assert_int_equal(after.id, before.id);
}

static void test_entry_writable_bits(void **state)
{
    (void)state;
    wr(IOAPIC_REG_REDTBL + 2 * 7, 0xFFFFFFFF);
    wr(IOAPIC_REG_REDTBL + 2 * 7 + 1, 0xFFFFFFFF);
    /* vector, delivery mode, destination mode, polarity, trigger, mask; not
     * the delivery status (12), Remote IRR (14) or reserved bits 31:17 */
    assert_int_equal(entry_low(7), 0x0001AFFF);
    assert_int_equal(rd(IOAPIC_REG_REDTBL + 2 * 7 + 1), 0xFF000000);   /* bits 55:32 reserved */
    assert_int_equal(entry_low(6), IOAPIC_RTE_MASKED);       /* its neighbours untouched */
    assert_int_equal(entry_low(8), IOAPIC_RTE_MASKED);
}

static void test_edge_rising_edge_sends_once(void **state)
{
    (void)state;
    program(1, EDGE(0x31), 0);
    expect_none();
    line(1, true);
    struct ioapic_message m = expect_message(1, 0x31, false);
    assert_int_equal(m.mode, IOAPIC_FIXED);
    line(1, true);                           /* still high: no edge */
    expect_none();
    line(1, false);                          /* a falling edge is not one */
    expect_none();
    line(1, true);
    expect_message(1, 0x31, false);
    expect_none();
}

static void test_edge_while_masked_is_lost(void **state)
{
    (void)state;
    program(2, EDGE(0x32) | IOAPIC_RTE_MASKED, 0);
    line(2, true);
    expect_none();
    program(2, EDGE(0x32), 0);               /* unmasked with the line still high */
    expect_none();
    line(2, false);
    line(2, true);
    expect_message(2, 0x32, false);
}

static void test_edge_never_sets_remote_irr(void **state)
{
    (void)state;
    program(3, EDGE(0x33), 0);
    line(3, true);
    expect_message(3, 0x33, false);
    assert_int_equal(entry_low(3) & IOAPIC_RTE_REMOTE_IRR, 0);
    ioapic_eoi(&io, 0x33);                   /* changes nothing */
    expect_none();
    line(3, false);
    line(3, true);
    expect_message(3, 0x33, false);          /* no EOI needed between edges */
}

static void test_level_remote_irr_until_eoi(void **state)
{
    (void)state;
    program(9, LEVEL(0x49), 0);
    line(9, true);
    expect_message(9, 0x49, true);
    assert_true(entry_low(9) & IOAPIC_RTE_REMOTE_IRR);
    expect_none();                           /* still asserted, but Remote IRR holds it */
    ioapic_eoi(&io, 0x48);                   /* another vector's EOI */
    assert_true(entry_low(9) & IOAPIC_RTE_REMOTE_IRR);
    expect_none();
    ioapic_eoi(&io, 0x49);
    expect_message(9, 0x49, true);           /* still asserted after its EOI: again */
    assert_true(entry_low(9) & IOAPIC_RTE_REMOTE_IRR);
    line(9, false);
    ioapic_eoi(&io, 0x49);
    assert_int_equal(entry_low(9) & IOAPIC_RTE_REMOTE_IRR, 0);
    expect_none();
}

static void test_level_withdrawn_before_it_is_taken(void **state)
{
    (void)state;
    program(10, LEVEL(0x4A), 0);
    line(10, true);
    assert_true(entry_low(10) & IOAPIC_RTE_DELIVERY_STATUS);
    line(10, false);                         /* the device withdraws it */
    assert_int_equal(entry_low(10) & IOAPIC_RTE_DELIVERY_STATUS, 0);
    expect_none();
    assert_int_equal(entry_low(10) & IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_unmasking_asserted_level_sends(void **state)
{
    (void)state;
    program(11, LEVEL(0x4B) | IOAPIC_RTE_MASKED, 0);
    line(11, true);
    expect_none();
    assert_int_equal(entry_low(11) & (IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR), 0);
    program(11, LEVEL(0x4B), 0);
    expect_message(11, 0x4B, true);
}

static void test_masking_withdraws_a_waiting_message(void **state)
{
    (void)state;
    program(12, EDGE(0x4C), 0);
    line(12, true);
    assert_true(entry_low(12) & IOAPIC_RTE_DELIVERY_STATUS);
    program(12, EDGE(0x4C) | IOAPIC_RTE_MASKED, 0);
    assert_int_equal(entry_low(12) & IOAPIC_RTE_DELIVERY_STATUS, 0);
    expect_none();
    program(12, EDGE(0x4C), 0);              /* masked entries hold nothing */
    expect_none();
}

static void test_masked_level_keeps_remote_irr_until_eoi(void **state)
{
    (void)state;
    program(13, LEVEL(0x4D), 0);
    line(13, true);
    expect_message(13, 0x4D, true);
    program(13, LEVEL(0x4D) | IOAPIC_RTE_MASKED, 0);        /* masked after acceptance */
    assert_true(entry_low(13) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_eoi(&io, 0x4D);
    assert_int_equal(entry_low(13) & IOAPIC_RTE_REMOTE_IRR, 0);
    expect_none();                           /* asserted, but masked */
    program(13, LEVEL(0x4D), 0);
    expect_message(13, 0x4D, true);
}

static void test_polarity_level_active_low(void **state)
{
    (void)state;
    program(16, LEVEL(0x50) | IOAPIC_RTE_ACTIVE_LOW, 0);
    expect_message(16, 0x50, true);          /* the line is low: active */
    line(16, true);                          /* inactive now */
    ioapic_eoi(&io, 0x50);
    expect_none();
    line(16, false);
    expect_message(16, 0x50, true);
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.lines & (1u << 16), 0);
    assert_true(v.asserted & (1u << 16));
}

static void test_polarity_edge_active_low(void **state)
{
    (void)state;
    line(17, true);                          /* a PCI line, idle high */
    program(17, EDGE(0x51) | IOAPIC_RTE_ACTIVE_LOW, 0);
    expect_none();                           /* the entry's write is no edge */
    line(17, false);                         /* falling: the active edge */
    expect_message(17, 0x51, false);
    line(17, true);
    expect_none();
}

static void test_delivery_status_while_waiting(void **state)
{
    (void)state;
    program(5, EDGE(0x35), 0);
    line(5, true);
    assert_true(entry_low(5) & IOAPIC_RTE_DELIVERY_STATUS);
    wr(IOAPIC_REG_REDTBL + 2 * 5, EDGE(0x36));               /* a write keeps it */
    assert_true(entry_low(5) & IOAPIC_RTE_DELIVERY_STATUS);
    expect_message(5, 0x36, false);          /* the entry as it is when taken */
    assert_int_equal(entry_low(5) & IOAPIC_RTE_DELIVERY_STATUS, 0);
}

static void test_eoi_register(void **state)
{
    (void)state;
    program(20, LEVEL(0x60), 0);
    program(21, LEVEL(0x60), 0);
    program(22, LEVEL(0x61), 0);
    line(20, true);
    line(21, true);
    line(22, true);
    expect_message(20, 0x60, true);
    expect_message(21, 0x60, true);
    expect_message(22, 0x61, true);
    line(20, false);
    ioapic_write(&io, IOAPIC_EOI, 0xFFFFFF60);   /* bits 31:8 ignored */
    assert_int_equal(entry_low(20) & IOAPIC_RTE_REMOTE_IRR, 0);
    assert_int_equal(entry_low(21) & IOAPIC_RTE_REMOTE_IRR, 0);   /* every entry of the vector */
    assert_true(entry_low(22) & IOAPIC_RTE_REMOTE_IRR);
    expect_message(21, 0x60, true);          /* 21 still asserted */
    expect_none();
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.eois, 2);
    assert_int_equal(v.messages, 4);
}

static void test_edge_entry_loses_remote_irr(void **state)
{
    (void)state;
    program(14, LEVEL(0x4E), 0);
    line(14, true);
    expect_message(14, 0x4E, true);
    /* Linux's EOI without the EOI register: masked, edge, then level again */
    program(14, EDGE(0x4E) | IOAPIC_RTE_MASKED, 0);
    assert_int_equal(entry_low(14) & IOAPIC_RTE_REMOTE_IRR, 0);
    program(14, LEVEL(0x4E) | IOAPIC_RTE_MASKED, 0);
    program(14, LEVEL(0x4E), 0);
    expect_message(14, 0x4E, true);          /* resampled: still asserted */
}

static void test_nmi_init_extint_smi_are_edge(void **state)
{
    (void)state;
    static const enum ioapic_delivery_mode modes[] = { IOAPIC_NMI, IOAPIC_INIT, IOAPIC_EXTINT, IOAPIC_SMI };
    for (unsigned i = 0; i < 4; i++) {
        unsigned pin = 1 + i;
        program(pin, LEVEL(0) | (uint32_t)modes[i] << 8, 0);
        line(pin, true);
        struct ioapic_message m = expect_message(pin, 0, false);
        assert_int_equal(m.mode, modes[i]);
        assert_int_equal(entry_low(pin) & IOAPIC_RTE_REMOTE_IRR, 0);
        assert_true(entry_low(pin) & IOAPIC_RTE_LEVEL);      /* the bit reads as written */
        expect_none();                       /* held high: no second edge */
    }
}

static void test_reserved_delivery_modes_send_nothing(void **state)
{
    (void)state;
    program(6, EDGE(0x36) | 3u << 8, 0);
    program(7, LEVEL(0x37) | 6u << 8, 0);
    line(6, true);
    line(7, true);
    expect_none();
    assert_int_equal(entry_low(7) & IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_message_fields_and_order(void **state)
{
    (void)state;
    program(8, LEVEL(0x88) | IOAPIC_LOWEST_PRIORITY << 8 | IOAPIC_RTE_LOGICAL, 0x03);
    program(3, EDGE(0x23), 0xFF);
    line(8, true);
    line(3, true);
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.next_pin, 3);
    assert_int_equal(v.pending, (1u << 3) | (1u << 8));
    struct ioapic_message m = expect_message(3, 0x23, false);   /* lowest pin first */
    assert_int_equal(m.destination, 0xFF);
    assert_false(m.logical);
    m = expect_message(8, 0x88, true);
    assert_int_equal(m.mode, IOAPIC_LOWEST_PRIORITY);
    assert_int_equal(m.destination, 0x03);
    assert_true(m.logical);
    ioapic_describe(&io, &v);
    assert_int_equal(v.next_pin, -1);
}

static void test_destinations(void **state)
{
    (void)state;
    struct ioapic_message m = { .destination = 0 };
    assert_true(ioapic_message_reaches(&m, 0, 0, 0xFFFFFFFF));
    m.destination = 1;
    assert_false(ioapic_message_reaches(&m, 0, 0, 0xFFFFFFFF));
    m.destination = 0xFF;                    /* physical broadcast */
    assert_true(ioapic_message_reaches(&m, 0, 0, 0xFFFFFFFF));
    m.logical = true;                        /* flat: any bit in common */
    m.destination = 0x06;
    assert_true(ioapic_message_reaches(&m, 0, 0x02000000, 0xFFFFFFFF));
    assert_false(ioapic_message_reaches(&m, 0, 0x01000000, 0xFFFFFFFF));
    assert_false(ioapic_message_reaches(&m, 0, 0, 0xFFFFFFFF));   /* LDR 0: no logical ID */
    m.destination = 0x12;                    /* cluster 1, member bit 1 */
    assert_true(ioapic_message_reaches(&m, 0, 0x13000000, 0x0FFFFFFF));
    assert_false(ioapic_message_reaches(&m, 0, 0x23000000, 0x0FFFFFFF));
    assert_false(ioapic_message_reaches(&m, 0, 0x11000000, 0x0FFFFFFF));
    m.destination = 0xFF;
    assert_true(ioapic_message_reaches(&m, 0, 0x21000000, 0x0FFFFFFF));
}

static void test_pins_past_23_ignored(void **state)
{
    (void)state;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        program(pin, EDGE(0x20 + pin), 0);
    line(24, true);
    line(31, true);
    line(1000, true);
    expect_none();
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.lines, 0);
}

static void test_describe_matches_reads(void **state)
{
    (void)state;
    wr(IOAPIC_REG_ID, 0x03000000);
    program(0, LEVEL(0x40), 0x01);
    program(1, EDGE(0x41) | IOAPIC_RTE_ACTIVE_LOW, 0);
    line(0, true);
    line(2, true);
    expect_message(0, 0x40, true);
    line(0, true);
    program(4, EDGE(0x44), 0);
    line(4, true);
    ioapic_write(&io, IOAPIC_IOREGSEL, 0x13);
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.ioregsel, 0x13);
    assert_int_equal(v.id, rd(IOAPIC_REG_ID));
    assert_int_equal(v.arb, rd(IOAPIC_REG_ARB));
    assert_int_equal(v.version, rd(IOAPIC_REG_VERSION));
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = entry_low(pin) | (uint64_t)rd((uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1)) << 32;
        assert_int_equal(v.entry[pin], e);
    }
    assert_int_equal(v.lines, (1u << 0) | (1u << 2) | (1u << 4));
    assert_int_equal(v.asserted, (1u << 0) | (1u << 1) | (1u << 2) | (1u << 4));   /* pin 1 active low */
    assert_int_equal(v.pending, 1u << 4);
    assert_int_equal(v.remote_irr, 1u << 0);
    assert_int_equal(v.next_pin, 4);
    assert_int_equal(v.messages, 1);
}

/* ---- With the local APIC, as the hypervisor will use them ---- */

static struct lapic l;

static void start_lapic(void)
{
    struct lapic_config c = { .apic_id = 0, .bsp = true, .bus_period = 1, .maxphyaddr = 36 };
    lapic_reset(&l, &c, 0);
    lapic_write(&l, LAPIC_REG_SVR, LAPIC_SVR_ENABLE | 0xFF, 0);
}

/* What the caller does with each message: a fixed one that reaches the APIC
 * goes into its IRR. Returns how many it delivered. */
static unsigned deliver_all(void)
{
    struct ioapic_message m;
    unsigned n = 0;
    while (ioapic_next_message(&io, &m)) {
        if (m.mode == IOAPIC_FIXED && ioapic_message_reaches(&m, l.config.apic_id, l.ldr, l.dfr) &&
            lapic_accept(&l, m.vector, m.level_triggered))
            n++;
    }
    return n;
}

/* The guest's EOI to its local APIC, and the level-triggered vector's EOI
 * on to the I/O APIC. */
static void guest_eoi(void)
{
    int v = lapic_write(&l, LAPIC_REG_EOI, 0, 0);
    if (v >= 0)
        ioapic_eoi(&io, (uint8_t)v);
}

static void test_level_interrupt_through_the_local_apic(void **state)
{
    (void)state;
    start_lapic();
    program(11, LEVEL(0x51), 0);
    line(11, true);
    assert_int_equal(deliver_all(), 1);
    assert_int_equal(lapic_acknowledge(&l), 0x51);
    assert_int_equal(deliver_all(), 0);      /* Remote IRR: not again before the EOI */
    guest_eoi();                             /* the handler did not quiet the device */
    assert_int_equal(deliver_all(), 1);
    assert_int_equal(lapic_acknowledge(&l), 0x51);
    line(11, false);                         /* now it did */
    guest_eoi();
    assert_int_equal(deliver_all(), 0);
    assert_int_equal(entry_low(11) & IOAPIC_RTE_REMOTE_IRR, 0);
    assert_int_equal(lapic_pending(&l), -1);
}

static void test_edge_interrupt_through_the_local_apic(void **state)
{
    (void)state;
    start_lapic();
    program(2, EDGE(0x30), 0);               /* the PIT's IRQ 0, on pin 2 */
    program(1, EDGE(0x31), 1);               /* to APIC ID 1: nobody here */
    line(2, true);
    line(1, true);
    assert_int_equal(deliver_all(), 1);
    assert_int_equal(lapic_acknowledge(&l), 0x30);
    guest_eoi();                             /* an edge vector's EOI stays in the APIC */
    line(2, false);
    line(2, true);
    assert_int_equal(deliver_all(), 1);
    assert_int_equal(lapic_acknowledge(&l), 0x30);
    struct ioapic_view v;
    ioapic_describe(&io, &v);
    assert_int_equal(v.eois, 0);
    assert_int_equal(v.messages, 3);
}

/* ioapic_pulse_changes_nothing is true only where the line low, then
 * high, changes nothing: random entries (masked or not, edge or level,
 * either polarity, reserved modes), lines and EOIs, and at each step a
 * pin (past 23 too) that it calls idle pulsed as two ioapic_set_irq, the
 * messages taken after each: the model the same after, no message. A
 * pin called idle that is not would lose its tick's message. */
static void test_pulse_changes_nothing_when_it_says_so(void **state)
{
    (void)state;
    uint32_t seed = 99;
    unsigned idle = 0, busy = 0;
    struct ioapic_message m;
    for (int step = 0; step < 100000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8, pin = (r >> 3) % 4;         /* a few pins, often revisited */
        if (r % 8 == 0)
            program(pin, ((r >> 5) & (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELIVERY_MODE | IOAPIC_RTE_ACTIVE_LOW |
                                      IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)) | 0x20, 0);
        else if (r % 8 == 1)
            ioapic_eoi(&io, (uint8_t)(0x20 | ((r >> 5) & 0xDF)));
        else
            line(pin, (r >> 5) & 1);
        while (ioapic_next_message(&io, &m))
            ;
        unsigned p = (r >> 9) % 32 < 28 ? (r >> 9) % 4 : 24 + (r >> 9) % 8;
        if (!ioapic_pulse_changes_nothing(&io, p)) {
            busy++;
            continue;
        }
        idle++;
        struct ioapic before;
        memcpy(&before, &io, sizeof io);
        line(p, false);
        assert_false(ioapic_next_message(&io, &m));
        line(p, true);
        assert_false(ioapic_next_message(&io, &m));
        assert_memory_equal(&before, &io, sizeof io);
    }
    assert_true(idle > 1000 && busy > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_pulse_changes_nothing_when_it_says_so, setup),
        cmocka_unit_test_setup(test_reset_after_use, setup),
        cmocka_unit_test_setup(test_ioregsel_keeps_8_bits, setup),
        cmocka_unit_test_setup(test_id_and_arbitration, setup),
        cmocka_unit_test_setup(test_absent_registers_and_offsets, setup),
        cmocka_unit_test_setup(test_entry_writable_bits, setup),
        cmocka_unit_test_setup(test_edge_rising_edge_sends_once, setup),
        cmocka_unit_test_setup(test_edge_while_masked_is_lost, setup),
        cmocka_unit_test_setup(test_edge_never_sets_remote_irr, setup),
        cmocka_unit_test_setup(test_level_remote_irr_until_eoi, setup),
        cmocka_unit_test_setup(test_level_withdrawn_before_it_is_taken, setup),
        cmocka_unit_test_setup(test_unmasking_asserted_level_sends, setup),
        cmocka_unit_test_setup(test_masking_withdraws_a_waiting_message, setup),
        cmocka_unit_test_setup(test_masked_level_keeps_remote_irr_until_eoi, setup),
        cmocka_unit_test_setup(test_polarity_level_active_low, setup),
        cmocka_unit_test_setup(test_polarity_edge_active_low, setup),
        cmocka_unit_test_setup(test_delivery_status_while_waiting, setup),
        cmocka_unit_test_setup(test_eoi_register, setup),
        cmocka_unit_test_setup(test_edge_entry_loses_remote_irr, setup),
        cmocka_unit_test_setup(test_nmi_init_extint_smi_are_edge, setup),
        cmocka_unit_test_setup(test_reserved_delivery_modes_send_nothing, setup),
        cmocka_unit_test_setup(test_message_fields_and_order, setup),
        cmocka_unit_test_setup(test_destinations, setup),
        cmocka_unit_test_setup(test_pins_past_23_ignored, setup),
        cmocka_unit_test_setup(test_describe_matches_reads, setup),
        cmocka_unit_test_setup(test_level_interrupt_through_the_local_apic, setup),
        cmocka_unit_test_setup(test_edge_interrupt_through_the_local_apic, setup),
    };
    return RUN_UNIT_TESTS("ioapic", tests);
}
