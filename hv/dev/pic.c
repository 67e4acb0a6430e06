/*
 * pic.c: the virtual 8259A pair (see pic.h). A pure model: no I/O, no time.
 *
 * The quoted section names are those of the Intel 8259A data sheet (order
 * number 231468): "Interrupt Sequence", "Initialization Command Words",
 * "Operation Command Words", "Fully Nested Mode", "End of Interrupt",
 * "Automatic Rotation", "Specific Rotation", "Special Mask Mode", "Poll
 * Command", "Reading the 8259A Status", "Edge and Level Triggered Modes",
 * "Special Fully Nest Mode", "Cascade Mode". "Bochs" is Bochs 2.7's
 * iodev/pic.cc, followed where the data sheet leaves room.
 *
 * The INT output of each chip is a latch, as in the chip: it rises when the
 * priority logic finds a request it may pass on, and it is looked at again
 * after every command and every rising input, and at the INTA. A falling
 * input clears its IRR bit but leaves INT as it was, so an INTA that comes
 * after the request went away gets the default IR7 ("Edge and Level
 * Triggered Modes": "If the IR input goes low before this time a DEFAULT
 * IR7 will occur when the CPU acknowledges the interrupt"). The slave's INT
 * is the master's IR2 input, with the same rules.
 */
#include "dev/pic.h"

/* ICW1 (command port, bit 4 set) */
#define ICW1_IC4   0x01   /* ICW4 follows; without it ICW4 is all zeros */
#define ICW1_SNGL  0x02   /* single: no slave, no ICW3 */
#define ICW1_LTIM  0x08   /* level-triggered inputs */
#define ICW1_INIT  0x10
/* ICW4 */
#define ICW4_UPM   0x01   /* 8086/8088 mode; 0 is MCS-80/85 */
#define ICW4_AEOI  0x02   /* automatic end of interrupt */
#define ICW4_SFNM  0x10   /* special fully nested mode */
/* OCW2 and OCW3 (command port, bit 4 clear): bit 3 tells them apart */
#define OCW_IS_OCW3 0x08
#define OCW2_LEVEL  0x07
#define OCW3_ESMM  0x40   /* enable the special mask mode bit */
#define OCW3_SMM   0x20
#define OCW3_POLL  0x04
#define OCW3_RR    0x02   /* enable the read register bit */
#define OCW3_RIS   0x01   /* read the ISR (else the IRR) */
/* The poll byte ("Poll Command"): I, and the level in W2-W0 */
#define POLL_INTERRUPT 0x80

/* OCW2's R, SL, EOI bits (7:5), in the data sheet's table's order. */
enum ocw2 {
    OCW2_ROTATE_AEOI_CLEAR, OCW2_EOI, OCW2_NOP, OCW2_SPECIFIC_EOI,
    OCW2_ROTATE_AEOI_SET, OCW2_ROTATE_EOI, OCW2_SET_PRIORITY, OCW2_ROTATE_SPECIFIC_EOI,
};

static struct pic_chip *master(struct pic *p)
{
    return &p->chip[PIC_MASTER];
}

static struct pic_chip *slave(struct pic *p)
{
    return &p->chip[PIC_SLAVE];
}

/* The IR of highest priority among bits, or -1 when bits is 0: the one
 * after the lowest, going round ("Automatic Rotation"). */
static int highest(const struct pic_chip *c, uint8_t bits)
{
    if (!bits)
        return -1;
    /* Rotated right so that the highest priority IR is bit 0: the lowest
     * bit set is the one (a few instructions on every tick, not a loop). */
    unsigned first = (c->lowest + 1u) & 7, rotated = (unsigned)bits * 0x101u >> first;
    return (int)((first + (unsigned)__builtin_ctz(rotated)) & 7);
}

/* 0 for the highest priority, 7 for the lowest. */
static unsigned rank(const struct pic_chip *c, unsigned ir)
{
    return (ir - c->lowest - 1) & 7;
}

/* Does the master's IRn lead to the slave? In cascade mode (ICW1 without
 * SNGL) when ICW3 says a slave is on IRn ("Cascade Mode"); on a PC the only
 * slave is wired to IR2. (A real master whose ICW3 names an IR with no
 * slave behind it leaves the data bus floating at the INTA; the model
 * answers with its own vector there, as for any IR.) */
static bool leads_to_slave(const struct pic *p, unsigned ir)
{
    const struct pic_chip *m = &p->chip[PIC_MASTER];
    return ir == PIC_CASCADE_IR && !(m->icw1 & ICW1_SNGL) && (m->icw3 & (1u << ir));
}

/* The IR the chip would hand the CPU now, or -1. The highest-priority
 * unmasked request, if above every level in service ("Fully Nested Mode");
 * in special mask mode, any unmasked request whose level is not in service
 * ("Special Mask Mode", and Bochs); in special fully nested mode, the
 * master also lets its slave through while the slave's level is in
 * service, so that a higher request inside the slave nests ("Special Fully
 * Nest Mode"). Nothing during initialisation: the flowchart of
 * "Initialization Command Words" ends in "ready to accept interrupt
 * requests". */
static int request(const struct pic *p, const struct pic_chip *c)
{
    if (c->step != PIC_INIT_DONE)
        return -1;
    uint8_t pending = c->irr & ~c->imr;
    if (c->special_mask)
        return highest(c, pending & ~c->isr);
    int ir = highest(c, pending);
    int busy = highest(c, c->isr);
    if (ir < 0 || busy < 0 || rank(c, (unsigned)ir) < rank(c, (unsigned)busy))
        return ir;
    bool sfnm = c == &p->chip[PIC_MASTER] && (c->icw4 & ICW4_SFNM);
    if (sfnm && ir == busy && leads_to_slave(p, (unsigned)ir))
        return ir;
    return -1;
}

static void set_line(struct pic *p, struct pic_chip *c, unsigned ir, bool level);

/* Look at the chip's INT output again; the slave's is the master's IR2. */
static void update_int(struct pic *p, struct pic_chip *c)
{
    c->intr = request(p, c) >= 0;
    if (c == slave(p))
        set_line(p, master(p), PIC_CASCADE_IR, c->intr);
}

/* An IR input changes. Edge-triggered, a rising edge sets the IRR bit; level-
 * triggered, the IRR bit follows a high level; in both, a falling input
 * resets it ("Edge and Level Triggered Modes": the input must stay high
 * until the INTA; Bochs's lower_irq). */
static void set_line(struct pic *p, struct pic_chip *c, unsigned ir, bool level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (level == !!(c->lines & bit))
        return;
    if (level) {
        c->lines |= bit;
        c->irr |= bit;
        update_int(p, c);
    } else {
        c->lines &= (uint8_t)~bit;
        c->irr &= (uint8_t)~bit;
    }
}

/* What acknowledging IRn does to the chip ("Interrupt Sequence", steps 4 and
 * 6): the IRR bit reset, though a level-triggered input still high sets it
 * again; the ISR bit set, or in automatic EOI mode left clear, and with
 * rotate in AEOI the level becomes the lowest ("Automatic Rotation"). */
static void take(struct pic_chip *c, unsigned ir)
{
    uint8_t bit = (uint8_t)(1u << ir);
    c->irr &= (uint8_t)~bit;
    if (c->icw1 & ICW1_LTIM)
        c->irr |= c->lines & bit;
    if (!(c->icw4 & ICW4_AEOI))
        c->isr |= bit;
    else if (c->rotate_aeoi)
        c->lowest = (uint8_t)ir;
}

/* ICW1 starts the initialisation ("Initialization Command Words", a-f): the
 * edge sense reset (an edge-triggered input must rise again; a level-
 * triggered one held high is a request at once), the mask cleared, IR7
 * the lowest priority, special mask mode off, the IRR selected for reading,
 * and ICW4's functions zero until an ICW4 comes. The ISR is cleared as well,
 * as Bochs does and the data sheet does not say; so is the rotation in
 * AEOI mode (Bochs) and a pending poll. */
static void start_init(struct pic *p, struct pic_chip *c, uint8_t icw1)
{
    c->icw1 = icw1;
    c->icw4 = 0;
    c->step = PIC_INIT_ICW2;
    c->irr = (icw1 & ICW1_LTIM) ? c->lines : 0;
    c->isr = 0;
    c->imr = 0;
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    update_int(p, c);
}

/* ICW2-ICW4 on the data port, in the order ICW1 asked for: ICW3 only in
 * cascade mode, ICW4 only with IC4. */
static void write_icw(struct pic *p, struct pic_chip *c, uint8_t value)
{
    bool icw4 = c->icw1 & ICW1_IC4;
    switch (c->step) {
    case PIC_INIT_ICW2:             /* T7-T3; the chip puts the IR in the low 3 bits */
        c->base = value & 0xF8;
        c->step = !(c->icw1 & ICW1_SNGL) ? PIC_INIT_ICW3 : icw4 ? PIC_INIT_ICW4 : PIC_INIT_DONE;
        break;
    case PIC_INIT_ICW3:             /* master: an IR bit per slave; slave: its ID */
        c->icw3 = value;
        c->step = icw4 ? PIC_INIT_ICW4 : PIC_INIT_DONE;
        break;
    default:                        /* ICW4 */
        c->icw4 = value;
        c->step = PIC_INIT_DONE;
        break;
    }
    if (c->step == PIC_INIT_DONE)
        update_int(p, c);
}

/* A non-specific EOI resets the highest-priority ISR bit ("End of
 * Interrupt"), but in special mask mode not one the IMR masks (the same
 * section: "an IS bit that is masked by an IMR bit will not be cleared by a
 * non-specific EOI if the 8259A is in the Special Mask Mode"; Bochs clears
 * it). Returns the IR reset, or -1. */
static int end_highest(struct pic_chip *c)
{
    uint8_t eligible = c->special_mask ? c->isr & ~c->imr : c->isr;
    int ir = highest(c, eligible);
    if (ir >= 0)
        c->isr &= (uint8_t)~(1u << ir);
    return ir;
}

/* OCW2: the EOI and rotation commands ("Operation Command Words", and the
 * table of OCW2's R, SL, EOI bits). The level L (bits 2:0) counts only in
 * the specific ones. */
static void write_ocw2(struct pic_chip *c, uint8_t value)
{
    uint8_t level = value & OCW2_LEVEL;
    int ir;
    switch ((enum ocw2)(value >> 5)) {
    case OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_aeoi = false;
        break;
    case OCW2_ROTATE_AEOI_SET:
        c->rotate_aeoi = true;
        break;
    case OCW2_EOI:
        end_highest(c);
        break;
    case OCW2_ROTATE_EOI:           /* the level just ended becomes the lowest */
        ir = end_highest(c);
        if (ir >= 0)
            c->lowest = (uint8_t)ir;
        break;
    case OCW2_SPECIFIC_EOI:
        c->isr &= (uint8_t)~(1u << level);
        break;
    case OCW2_ROTATE_SPECIFIC_EOI:  /* "Specific Rotation" */
        c->isr &= (uint8_t)~(1u << level);
        c->lowest = level;
        break;
    case OCW2_SET_PRIORITY:
        c->lowest = level;
        break;
    case OCW2_NOP:
        break;
    }
}

/* OCW3: the special mask mode (with ESMM), the register a read of the
 * command port gives (with RR), and the poll command. Each part has its
 * own enable bit, so all three apply; the poll's read comes first
 * ("Reading the 8259A Status"). */
static void write_ocw3(struct pic_chip *c, uint8_t value)
{
    if (value & OCW3_ESMM)
        c->special_mask = value & OCW3_SMM;
    if (value & OCW3_RR)
        c->read_isr = value & OCW3_RIS;
    if (value & OCW3_POLL)
        c->poll = true;
}

static struct pic_chip *chip_of(struct pic *p, uint16_t port)
{
    return &p->chip[port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA];
}

static bool is_command_port(uint16_t port)
{
    return port == PIC_MASTER_CMD || port == PIC_SLAVE_CMD;
}

bool pic_handles_port(uint16_t port)
{
    return is_command_port(port) || port == PIC_MASTER_DATA || port == PIC_SLAVE_DATA;
}

void pic_write(struct pic *p, uint16_t port, uint8_t value)
{
    if (!pic_handles_port(port))
        return;
    struct pic_chip *c = chip_of(p, port);
    if (is_command_port(port) && (value & ICW1_INIT)) {
        start_init(p, c, value);
        return;
    }
    if (is_command_port(port)) {
        if (value & OCW_IS_OCW3)
            write_ocw3(c, value);
        else
            write_ocw2(c, value);
    } else if (c->step != PIC_INIT_DONE) {
        write_icw(p, c, value);
        return;
    } else {
        c->imr = value;             /* OCW1 */
    }
    update_int(p, c);
}

/* The read after a poll command: the chip treats it as an interrupt
 * acknowledge and returns I (bit 7) and the level W2-W0 ("Poll Command").
 * With no request, 0: I clear, and the level the data sheet leaves
 * undefined as 0. (Bochs answers a bare level and resets an ISR bit, an EOI
 * rather than an acknowledge; the data sheet is plain here.) */
static uint8_t read_poll(struct pic *p, struct pic_chip *c)
{
    c->poll = false;
    int ir = request(p, c);
    if (ir < 0)
        return 0;
    take(c, (unsigned)ir);
    update_int(p, c);
    return (uint8_t)(POLL_INTERRUPT | ir);
}

/* A read of either port after a poll command is the poll (the data sheet's
 * "next RD pulse"; Bochs too); otherwise the command port reads the IRR or
 * the ISR, as OCW3 chose, and the data port the IMR ("Reading the 8259A
 * Status"). */
uint8_t pic_read(struct pic *p, uint16_t port)
{
    if (!pic_handles_port(port))
        return 0xFF;
    struct pic_chip *c = chip_of(p, port);
    if (c->poll)
        return read_poll(p, c);
    if (!is_command_port(port))
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

void pic_set_irq(struct pic *p, unsigned irq, bool level)
{
    if (irq >= PIC_IRQS || irq == PIC_CASCADE_IR)
        return;
    set_line(p, &p->chip[irq / 8], irq % 8, level);
}

void pic_pulse_irq(struct pic *p, unsigned irq)
{
    if (irq >= PIC_IRQS || irq == PIC_CASCADE_IR)
        return;
    struct pic_chip *c = &p->chip[irq / 8];
    /* Low: the input's IRR bit would be reset, and set again at once by
     * the rise, which looks at INT again. */
    c->lines &= (uint8_t)~(1u << (irq % 8));
    set_line(p, c, irq % 8, true);
}

/* The INTA cycle ("Interrupt Sequence"; "Cascade Mode"). The master picks
 * its highest request; if it leads to the slave, the slave gives the vector,
 * its own default IR7 if its request went away (the master's IR2 is in
 * service all the same, as Bochs has it). Both INT outputs fall during the
 * INTA and are looked at again after it; the slave's falling makes a
 * further slave request a new edge on the master's IR2 (Bochs does the
 * same). */
int pic_acknowledge(struct pic *p)
{
    struct pic_chip *m = master(p), *s = slave(p);
    int ir = request(p, m);
    int vector;
    if (ir < 0) {
        vector = m->base + 7;
    } else if (!leads_to_slave(p, (unsigned)ir)) {
        take(m, (unsigned)ir);
        vector = m->base + ir;
    } else {
        take(m, (unsigned)ir);
        int sir = request(p, s);
        if (sir >= 0)
            take(s, (unsigned)sir);
        vector = s->base + (sir >= 0 ? sir : 7);
        s->intr = false;
        set_line(p, m, PIC_CASCADE_IR, false);
        update_int(p, s);
    }
    update_int(p, m);
    return vector;
}

/* Power-on: Bochs's bx_pic_c::init, as if each chip had been given the
 * PC's initialisation words and a mask of 0xFF. */
void pic_reset(struct pic *p)
{
    static const uint8_t base[2] = { PIC_BIOS_MASTER_BASE, PIC_BIOS_SLAVE_BASE };
    static const uint8_t icw3[2] = { 1u << PIC_CASCADE_IR, PIC_CASCADE_IR };
    for (unsigned i = 0; i < 2; i++) {
        p->chip[i] = (struct pic_chip){
            .imr = 0xFF,
            .base = base[i],
            .icw1 = ICW1_INIT | ICW1_IC4,
            .icw3 = icw3[i],
            .icw4 = ICW4_UPM,
            .lowest = 7,
            .step = PIC_INIT_DONE,
        };
    }
}

/* Bochs's BIOS (rombios's post_init_pic, in BIOS-bochs-latest): ICW1 0x11
 * (edge, cascade, ICW4), the vectors, ICW3 (the slave on IR2, with ID 2),
 * ICW4 8086 mode, then the masks 0xB8 (IRQ 0, 1, 2, 6 open) and 0x8F (IRQ
 * 12, 13, 14 open), and a non-specific EOI to each chip. The same masks
 * are what the hypervisor reads from the machine's PICs under Bochs 2.7
 * (measured: 0xb8 and 0x8f at exit_io_init). */
void pic_reset_as_bios(struct pic *p)
{
    static const struct { uint16_t port; uint8_t value; } words[] = {
        { PIC_MASTER_CMD, 0x11 }, { PIC_SLAVE_CMD, 0x11 },
        { PIC_MASTER_DATA, PIC_BIOS_MASTER_BASE }, { PIC_SLAVE_DATA, PIC_BIOS_SLAVE_BASE },
        { PIC_MASTER_DATA, 0x04 }, { PIC_SLAVE_DATA, 0x02 },
        { PIC_MASTER_DATA, 0x01 }, { PIC_SLAVE_DATA, 0x01 },
        { PIC_MASTER_DATA, 0xB8 }, { PIC_SLAVE_DATA, 0x8F },
        { PIC_SLAVE_CMD, 0x20 }, { PIC_MASTER_CMD, 0x20 },
    };
    pic_reset(p);
    for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        pic_write(p, words[i].port, words[i].value);
}

void pic_get_state(const struct pic *p, struct pic_state *state)
{
    for (unsigned i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->chip[i];
        state->chip[i] = (struct pic_chip_state){
            .irr = c->irr, .isr = c->isr, .imr = c->imr, .lines = c->lines,
            .base = c->base, .lowest = c->lowest, .icw3 = c->icw3, .step = c->step,
            .level_triggered = c->icw1 & ICW1_LTIM,
            .single = c->icw1 & ICW1_SNGL,
            .mode_8086 = c->icw4 & ICW4_UPM,
            .auto_eoi = c->icw4 & ICW4_AEOI,
            .fully_nested_special = c->icw4 & ICW4_SFNM,
            .rotate_aeoi = c->rotate_aeoi, .special_mask = c->special_mask,
            .read_isr = c->read_isr, .poll = c->poll, .intr = c->intr,
        };
    }
}
