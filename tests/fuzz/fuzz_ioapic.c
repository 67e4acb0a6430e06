/*
 * fuzz_ioapic.c: hv/dev/ioapic.c, the I/O APIC of lab 4, on arbitrary
 * scripts of what a guest, its devices and its local APIC can do to it.
 *
 * The input is a script of operations, each a byte (its low 4 bits say which,
 * modulo 10) and its operands:
 *   0  IOREGSEL written: mostly a register that exists (00h-02h, 10h-3Fh),
 *      sometimes any byte, with random bits 31:8;
 *   1  IOWIN written with 4 bytes (often an entry's low half with chosen
 *      mode, trigger, polarity and mask bits);
 *   2  a read at IOREGSEL, IOWIN, the EOI register or any offset;
 *   3  a write at any offset;
 *   4  a line: a pin 0-31 (24-31 do not exist) and its level;
 *   5  an EOI from the local APIC (ioapic_eoi): an entry's vector, or any;
 *   6  the EOI register written;
 *   7  one message taken; 8 every message taken;
 *   9  the reset.
 * Every write is made twice, on two copies: once as given and once with its
 * read-only and reserved bits flipped; the two must end the same. The checks,
 * after each operation:
 *   - registers read as they must: reserved bits 0 (ID, entries), the
 *     arbitration register the ID, the version 0x00170020, absent registers
 *     and offsets 0; ioapic_describe agrees with the reads;
 *   - a write's read-only and reserved bits change nothing (the copies);
 *   - delivery status only on an entry that sends (unmasked, a delivery mode
 *     that is not reserved); a level-triggered one's exactly when its line
 *     is at its active level and its Remote IRR clear;
 *   - Remote IRR only on a level-triggered entry, and set only by the taking
 *     of a level-triggered message from that pin;
 *   - a message comes only from a pin whose delivery status was set, whose
 *     entry sends; its fields are the entry's; lowest pin first.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/ioapic.h"

#define RTE_LOW_WRITABLE 0x0001AFFFu

static enum ioapic_delivery_mode mode_of(uint64_t entry)
{
    return (enum ioapic_delivery_mode)((entry >> 8) & 7);
}

static bool sends(uint64_t entry)
{
    return !(entry & IOAPIC_RTE_MASKED) && mode_of(entry) != 3 && mode_of(entry) != 6;
}

static bool level_entry(uint64_t entry)
{
    return (entry & IOAPIC_RTE_LEVEL) && (mode_of(entry) == IOAPIC_FIXED || mode_of(entry) == IOAPIC_LOWEST_PRIORITY);
}

/* The register a read or write through IOWIN reaches, and the bits of a
 * value written there (or at `offset`) that must change nothing. */
static uint32_t ignored_bits(const struct ioapic *io, uint32_t offset)
{
    if (offset == IOAPIC_IOREGSEL || offset == IOAPIC_EOI)
        return 0xFFFFFF00u;
    if (offset != IOAPIC_IOWIN)
        return 0xFFFFFFFFu;
    uint8_t reg = io->ioregsel;
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS)
        return (reg & 1) ? 0x00FFFFFFu : ~RTE_LOW_WRITABLE;   /* RO bits 12 and 14 among them */
    if (reg == IOAPIC_REG_ID)
        return 0xF0FFFFFFu;
    return 0xFFFFFFFFu;
}

/* Field by field: a struct's padding is no state. */
static bool same_state(const struct ioapic *a, const struct ioapic *b)
{
    return a->ioregsel == b->ioregsel && a->id == b->id && a->lines == b->lines && a->pending == b->pending &&
           a->remote_irr == b->remote_irr && a->messages == b->messages && a->eois == b->eois &&
           memcmp(a->entry, b->entry, sizeof a->entry) == 0;
}

/* A write, made on io and on a copy with the bits that must not count
 * flipped; the two must end the same. */
static void write_twice(struct ioapic *io, uint32_t offset, uint32_t value)
{
    struct ioapic copy = *io;
    uint32_t flip = ignored_bits(io, offset);
    ioapic_write(io, offset, value);
    ioapic_write(&copy, offset, value ^ flip);
    FUZZ_CHECK(same_state(io, &copy),
               "a write of 0x%08x at 0x%x (IOREGSEL 0x%02x) ended otherwise with bits 0x%08x flipped",
               value, offset, io->ioregsel, flip);
}

static void check_reads(const struct ioapic *io, const struct ioapic_view *v)
{
    struct ioapic r = *io;      /* reads change nothing, but go through IOREGSEL: on a copy */
    FUZZ_CHECK(ioapic_read(&r, IOAPIC_IOREGSEL) == v->ioregsel && v->ioregsel < 256, "IOREGSEL 0x%x", v->ioregsel);
    FUZZ_CHECK((v->id & ~0x0F000000u) == 0, "ID 0x%08x has reserved bits", v->id);
    FUZZ_CHECK(v->arb == v->id, "ARB 0x%08x, ID 0x%08x", v->arb, v->id);
    FUZZ_CHECK(v->version == 0x00170020, "version 0x%08x", v->version);
    for (unsigned reg = 0; reg < 256; reg++) {
        ioapic_write(&r, IOAPIC_IOREGSEL, reg);
        uint32_t value = ioapic_read(&r, IOAPIC_IOWIN), expect = 0;
        if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_PINS) {
            uint64_t e = v->entry[(reg - IOAPIC_REG_REDTBL) / 2];
            expect = (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        } else if (reg <= IOAPIC_REG_ARB) {
            expect = reg == IOAPIC_REG_VERSION ? v->version : v->id;
        }
        FUZZ_CHECK(value == expect, "register 0x%02x reads 0x%08x, the view says 0x%08x", reg, value, expect);
    }
    FUZZ_CHECK(ioapic_read(&r, IOAPIC_EOI) == 0, "the EOI register reads non-zero");
}

static void check_state(const struct ioapic *io, struct ioapic_view *v)
{
    ioapic_describe(io, v);
    check_reads(io, v);
    uint32_t pending = 0, remote = 0;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = v->entry[pin];
        uint32_t b = 1u << pin;
        FUZZ_CHECK((e & 0x00FFFFFFFFFE0000ull) == 0, "entry %u 0x%016llx has reserved bits", pin, (unsigned long long)e);
        if (e & IOAPIC_RTE_DELIVERY_STATUS) {
            pending |= b;
            FUZZ_CHECK(sends(e), "entry %u 0x%016llx waits to send, but is masked or reserved", pin,
                       (unsigned long long)e);
        }
        if (e & IOAPIC_RTE_REMOTE_IRR) {
            remote |= b;
            FUZZ_CHECK(e & IOAPIC_RTE_LEVEL, "entry %u 0x%016llx: Remote IRR on an edge entry", pin,
                       (unsigned long long)e);
        }
        if (sends(e) && level_entry(e)) {
            bool want = (v->asserted & b) && !(e & IOAPIC_RTE_REMOTE_IRR);
            FUZZ_CHECK(!!(e & IOAPIC_RTE_DELIVERY_STATUS) == want, "level entry %u 0x%016llx, asserted %d: "
                       "delivery status should be %d", pin, (unsigned long long)e, !!(v->asserted & b), want);
        }
        bool high = v->lines & b, active = high != !!(e & IOAPIC_RTE_ACTIVE_LOW);
        FUZZ_CHECK(!!(v->asserted & b) == active, "pin %u: line %d, entry 0x%016llx, asserted %d", pin, high,
                   (unsigned long long)e, !!(v->asserted & b));
    }
    FUZZ_CHECK(pending == v->pending && remote == v->remote_irr, "the view's masks differ from its entries");
    FUZZ_CHECK((v->lines >> IOAPIC_PINS) == 0, "lines 0x%08x past pin 23", v->lines);
    int next = pending ? __builtin_ctz(pending) : -1;
    FUZZ_CHECK(v->next_pin == next, "next pin %d, lowest pending %d", v->next_pin, next);
}

/* A message taken, against the state before. */
static bool take(struct ioapic *io, const struct ioapic_view *before)
{
    struct ioapic_message m;
    if (!ioapic_next_message(io, &m)) {
        FUZZ_CHECK(before->pending == 0, "no message, but delivery status 0x%06x", before->pending);
        return false;
    }
    FUZZ_CHECK(m.pin < IOAPIC_PINS && m.pin == before->next_pin, "message from pin %u, next was %d",
               m.pin, before->next_pin);
    uint64_t e = before->entry[m.pin];
    FUZZ_CHECK(sends(e) && (e & IOAPIC_RTE_DELIVERY_STATUS), "pin %u sent with entry 0x%016llx", m.pin,
               (unsigned long long)e);
    FUZZ_CHECK(m.vector == (e & 0xFF) && m.mode == mode_of(e) && m.destination == (uint8_t)(e >> 56) &&
               m.logical == !!(e & IOAPIC_RTE_LOGICAL) && m.level_triggered == level_entry(e),
               "message of pin %u differs from its entry 0x%016llx", m.pin, (unsigned long long)e);
    if (m.level_triggered)
        FUZZ_CHECK(before->asserted & (1u << m.pin), "level message of pin %u, not asserted", m.pin);
    struct ioapic_view after;
    ioapic_describe(io, &after);
    FUZZ_CHECK(after.messages == before->messages + 1, "messages counted %llu after %llu",
               (unsigned long long)after.messages, (unsigned long long)before->messages);
    uint32_t remote = m.level_triggered ? 1u << m.pin : 0;
    FUZZ_CHECK(after.remote_irr == (before->remote_irr | remote), "Remote IRR 0x%06x after 0x%06x, message "
               "of pin %u level %d", after.remote_irr, before->remote_irr, m.pin, m.level_triggered);
    return true;
}

/* A register number: mostly one that exists. */
static uint32_t take_register(struct fuzz_input *in)
{
    uint32_t r = (uint32_t)fuzz_take(in, 1);
    uint32_t reg = (r & 0x80) ? (uint32_t)fuzz_take(in, 1) : (r & 0x40) ? r & 3 : IOAPIC_REG_REDTBL + (r & 0x3F) % 48;
    return reg | ((r & 0xC0) == 0xC0 ? (uint32_t)fuzz_take(in, 3) << 8 : 0);
}

/* A value for IOWIN: often an entry's low half made of its fields, from two
 * bytes. The first: bit 7 a raw 4-byte value instead; bits 2:0 the vector
 * (20h-27h, so that entries share vectors and EOIs match), bit 3 logical,
 * bit 4 active low, bit 5 level, bit 6 masked. The second: the delivery
 * mode, fixed unless bits 5:4 are clear (then bits 2:0), and bits 7:6 set
 * the read-only bits in the value written. */
static uint32_t take_value(struct fuzz_input *in)
{
    uint32_t f = (uint32_t)fuzz_take(in, 1);
    if (f & 0x80)
        return (uint32_t)fuzz_take(in, 4);
    uint32_t g = (uint32_t)fuzz_take(in, 1);
    uint32_t mode = (g & 0x30) ? IOAPIC_FIXED : g & 7;
    return (0x20u + (f & 7)) | mode << 8 | (f & 0x08 ? IOAPIC_RTE_LOGICAL : 0) |
           (f & 0x10 ? IOAPIC_RTE_ACTIVE_LOW : 0) | (f & 0x20 ? IOAPIC_RTE_LEVEL : 0) |
           (f & 0x40 ? IOAPIC_RTE_MASKED : 0) | (g & 0x40 ? IOAPIC_RTE_DELIVERY_STATUS : 0) |
           (g & 0x80 ? IOAPIC_RTE_REMOTE_IRR : 0);
}

static uint32_t take_offset(struct fuzz_input *in)
{
    static const uint32_t offsets[4] = { IOAPIC_IOREGSEL, IOAPIC_IOWIN, IOAPIC_EOI, 0x20 };
    uint32_t o = (uint32_t)fuzz_take(in, 1);
    return (o & 0x80) ? (uint32_t)fuzz_take(in, 2) : offsets[o & 3];
}

static void run_op(struct ioapic *io, struct fuzz_input *in, const struct ioapic_view *v)
{
    switch (fuzz_take(in, 1) % 10) {
    case 0:
        write_twice(io, IOAPIC_IOREGSEL, take_register(in));
        break;
    case 1:
        write_twice(io, IOAPIC_IOWIN, take_value(in));
        break;
    case 2: {
        uint32_t offset = take_offset(in);
        struct ioapic before = *io;
        ioapic_read(io, offset);
        FUZZ_CHECK(same_state(&before, io), "a read at 0x%x changed the state", offset);
        break;
    }
    case 3:
        write_twice(io, take_offset(in), (uint32_t)fuzz_take(in, 4));
        break;
    case 4: {
        uint32_t p = (uint32_t)fuzz_take(in, 1);
        ioapic_set_irq(io, p & 31, p & 0x80);
        break;
    }
    case 5: {
        uint32_t e = (uint32_t)fuzz_take(in, 1);
        uint8_t vector = (e & 0x80) ? (uint8_t)fuzz_take(in, 1) : (uint8_t)(v->entry[(e & 0x7F) % IOAPIC_PINS] & 0xFF);
        ioapic_eoi(io, vector);
        break;
    }
    case 6: {
        uint32_t e = (uint32_t)fuzz_take(in, 1);
        uint32_t vector = (uint32_t)(v->entry[e % IOAPIC_PINS] & 0xFF);
        write_twice(io, IOAPIC_EOI, vector | (uint32_t)fuzz_take(in, 1) << 8);
        break;
    }
    case 7:
        take(io, v);
        break;
    case 8: {
        struct ioapic_view now = *v;
        for (unsigned n = 0; take(io, &now); n++) {
            FUZZ_CHECK(n < IOAPIC_PINS, "more than %u messages at once", IOAPIC_PINS);
            ioapic_describe(io, &now);
        }
        break;
    }
    case 9:
        ioapic_reset(io);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct ioapic io;
    struct ioapic_view v;
    ioapic_reset(&io);
    check_state(&io, &v);
    while (in.pos < in.size) {
        uint32_t remote_before = v.remote_irr;
        uint64_t messages_before = v.messages;
        run_op(&io, &in, &v);
        check_state(&io, &v);
        /* Remote IRR is set only by taking a level message (case 7, 8, checked in take). */
        if (v.messages == messages_before)
            FUZZ_CHECK((v.remote_irr & ~remote_before) == 0, "Remote IRR 0x%06x appeared without a message",
                       v.remote_irr & ~remote_before);
    }
    return 0;
}
