/*
 * fuzz_pic.c: hv/dev/pic.c, the virtual 8259A pair of lab 4, on arbitrary
 * scripts of what a guest and its devices can do to it.
 *
 * The input is a script, one step per byte (a write takes the next byte as
 * its value); the low two bits of a step's byte say what it is:
 *   0  write: bits 3:2 pick the port (0x20, 0x21, 0xA0, 0xA1), the next
 *      byte is the value;
 *   1  read: bits 3:2 pick the port;
 *   2  a line: bits 5:2 are the IRQ (0-15), bit 6 its new level;
 *   3  an INTA (pic_acknowledge).
 * The pair starts as the BIOS leaves it, or, when the first byte's bit 7 is
 * set, at power-on. After every step the checks are:
 *   - INTR on means an INTA returns a vector in one chip's base..base+7;
 *     INTR off means it returns the master's default IR7 and changes no ISR;
 *   - every vector is an unmasked requested IR's (of the master, or of the
 *     slave through the master's IR2), or a chip's default IR7;
 *   - an ISR bit appears only where an INTA or a poll acknowledged it: the
 *     vector's own bit (and the master's IR2 for a slave's vector), or the
 *     level the poll byte names;
 *   - the state stays in range: the IRR only where the line is high (all of
 *     it for level-triggered inputs), the master's IR2 line is the slave's
 *     INT, vector bases with low bits 0, priorities 0-7, a known init step,
 *     a poll byte 0 or 0x80 with a level.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/pic.h"

static const uint16_t ports[4] = { PIC_MASTER_CMD, PIC_MASTER_DATA, PIC_SLAVE_CMD, PIC_SLAVE_DATA };

static void check_chip(const struct pic_chip_state *c, const char *name)
{
    FUZZ_CHECK((c->irr & ~c->lines) == 0, "%s IRR 0x%02x with lines 0x%02x low", name, c->irr, c->lines);
    FUZZ_CHECK(!c->level_triggered || c->irr == c->lines,
               "%s level-triggered, IRR 0x%02x but lines 0x%02x", name, c->irr, c->lines);
    FUZZ_CHECK((c->base & 7) == 0, "%s vector base 0x%02x", name, c->base);
    FUZZ_CHECK(c->lowest <= 7, "%s lowest priority %u", name, c->lowest);
    FUZZ_CHECK(c->step <= PIC_INIT_ICW4, "%s init step %d", name, (int)c->step);
}

static void check_state(const struct pic *p, struct pic_state *s)
{
    pic_get_state(p, s);
    check_chip(&s->chip[PIC_MASTER], "master");
    check_chip(&s->chip[PIC_SLAVE], "slave");
    bool ir2 = s->chip[PIC_MASTER].lines & (1u << PIC_CASCADE_IR);
    FUZZ_CHECK(ir2 == s->chip[PIC_SLAVE].intr, "the master's IR2 is %d, the slave's INT %d",
               ir2, s->chip[PIC_SLAVE].intr);
    FUZZ_CHECK(pic_intr(p) == s->chip[PIC_MASTER].intr, "INTR is not the master's INT");
}

/* Is ir a request the chip could hand out: requested and not masked? */
static bool requested(const struct pic_chip_state *c, unsigned ir)
{
    return ((c->irr & ~c->imr) >> ir) & 1;
}

/* The INTA: the vector against the state before it. */
static void check_acknowledge(struct pic *p, const struct pic_state *before)
{
    const struct pic_chip_state *m = &before->chip[PIC_MASTER], *s = &before->chip[PIC_SLAVE];
    bool intr = pic_intr(p);
    int vector = pic_acknowledge(p);
    struct pic_state after;
    check_state(p, &after);
    uint8_t new_m = after.chip[PIC_MASTER].isr & ~m->isr;
    uint8_t new_s = after.chip[PIC_SLAVE].isr & ~s->isr;
    if (!intr) {
        FUZZ_CHECK(vector == m->base + 7 && !new_m && !new_s,
                   "INTR off, yet the INTA gave 0x%02x (ISR +0x%02x +0x%02x)", vector, new_m, new_s);
        return;
    }
    unsigned mir = (unsigned)(vector - m->base), sir = (unsigned)(vector - s->base);
    bool from_master = vector >= m->base && mir < 8;
    bool from_slave = vector >= s->base && sir < 8;
    FUZZ_CHECK(from_master || from_slave, "INTR on, but vector 0x%02x is in neither 0x%02x+ nor 0x%02x+",
               vector, m->base, s->base);
    /* The master's own IR: requested, or its default IR7 with no ISR bit. */
    bool master_ok = from_master && !new_s &&
                     ((requested(m, mir) && (new_m & ~(1u << mir)) == 0) || (mir == 7 && !new_m));
    /* The slave's: through the master's IR2, requested or its default IR7. */
    bool slave_ok = from_slave && requested(m, PIC_CASCADE_IR) &&
                    (new_m & ~(1u << PIC_CASCADE_IR)) == 0 &&
                    ((requested(s, sir) && (new_s & ~(1u << sir)) == 0) || (sir == 7 && !new_s));
    FUZZ_CHECK(master_ok || slave_ok, "vector 0x%02x: master IRR 0x%02x IMR 0x%02x ISR +0x%02x, "
               "slave IRR 0x%02x IMR 0x%02x ISR +0x%02x", vector, m->irr, m->imr, new_m,
               s->irr, s->imr, new_s);
}

/* A read: the poll byte after a poll command (an acknowledge of that chip
 * alone), else a register, which changes nothing. */
static void check_read(struct pic *p, uint16_t port, const struct pic_state *before)
{
    unsigned chip = port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA;
    const struct pic_chip_state *c = &before->chip[chip];
    uint8_t value = pic_read(p, port);
    struct pic_state after;
    check_state(p, &after);
    uint8_t new_isr = after.chip[chip].isr & ~c->isr;
    FUZZ_CHECK(!(after.chip[!chip].isr & ~before->chip[!chip].isr), "a read of 0x%x set the other chip's ISR", port);
    if (!c->poll) {
        FUZZ_CHECK(!new_isr, "a read of 0x%x set ISR bits 0x%02x", port, new_isr);
        return;
    }
    if (!(value & 0x80)) {
        FUZZ_CHECK(value == 0 && !new_isr, "poll byte 0x%02x, ISR +0x%02x", value, new_isr);
        return;
    }
    unsigned ir = value & 7;
    FUZZ_CHECK((value & 0x78) == 0 && requested(c, ir), "poll byte 0x%02x: IRR 0x%02x IMR 0x%02x",
               value, c->irr, c->imr);
    FUZZ_CHECK((new_isr & ~(1u << ir)) == 0, "poll of IR%u set ISR bits 0x%02x", ir, new_isr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pic p;
    if (size && (data[0] & 0x80))
        pic_reset(&p);
    else
        pic_reset_as_bios(&p);
    struct pic_state s;
    check_state(&p, &s);
    for (size_t i = 0; i < size; i++) {
        uint8_t step = data[i];
        uint16_t port = ports[(step >> 2) & 3];
        switch (step & 3) {
        case 0:
            if (i + 1 < size)
                pic_write(&p, port, data[++i]);
            break;
        case 1:
            check_read(&p, port, &s);
            break;
        case 2:
            pic_set_irq(&p, (step >> 2) & 15, step & 0x40);
            break;
        default:
            check_acknowledge(&p, &s);
            break;
        }
        struct pic_state now;
        check_state(&p, &now);
        if (!(step & 3) || (step & 3) == 2) {
            uint8_t new_m = now.chip[PIC_MASTER].isr & ~s.chip[PIC_MASTER].isr;
            uint8_t new_s = now.chip[PIC_SLAVE].isr & ~s.chip[PIC_SLAVE].isr;
            FUZZ_CHECK(!new_m && !new_s, "step 0x%02x set ISR bits 0x%02x 0x%02x", step, new_m, new_s);
        }
        s = now;
    }
    return 0;
}
