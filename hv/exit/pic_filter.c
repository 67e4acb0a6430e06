/* pic_filter.c: the 8259A writes a PC's PICs can take (see pic_filter.h;
 * the bit names are the Intel 8259A data sheet's). */
#include "exit/pic_filter.h"

/* ICW1 (A0 = 0, bit 4 set) */
#define ICW1_IC4   0x01   /* ICW4 follows; without it ICW4 is all zeros */
#define ICW1_SNGL  0x02   /* single: no slave */
#define ICW1_LTIM  0x08   /* level-triggered inputs */
#define ICW1_INIT  0x10
/* OCW2 and OCW3 (A0 = 0, bit 4 clear): bit 3 tells them apart */
#define OCW_IS_OCW3 0x08
#define OCW2_COMMAND 0xE0 /* R, SL, EOI */
#define OCW2_LEVEL  0x07
/* ICW4 */
#define ICW4_UPM   0x01   /* 8086/8088 mode; 0 is MCS-80/85 */
/* ICW3 of the PC's wiring: the slave on the master's IR2, with ID 2 */
#define MASTER_ICW3 0x04
#define SLAVE_ICW3  0x02

bool pic_port(uint16_t port)
{
    return port == PIC_MASTER_CMD || port == PIC_MASTER_DATA ||
           port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA;
}

static struct pic_decision pass(uint8_t value)
{
    return (struct pic_decision){ .pass = true, .value = value };
}

static struct pic_decision stop(const char *why)
{
    return (struct pic_decision){ .pass = false, .why = why };
}

static struct pic_decision command(enum pic_step *step, uint8_t value)
{
    if (value & ICW1_INIT) {
        if (value & ICW1_LTIM)
            return stop("the guest programmed the PIC with LTIM (level-triggered), which hvlab "
                        "does not support");
        if (value & ICW1_SNGL)
            return stop("the guest programmed the PIC in single mode (SNGL), but a PC's two "
                        "PICs are cascaded");
        if (!(value & ICW1_IC4))
            return stop("the guest programmed the PIC without ICW4, which leaves it in "
                        "MCS-80/85 mode, not 8086 mode");
        *step = PIC_WANT_ICW2;
        return pass(value);
    }
    if (value & OCW_IS_OCW3)
        return pass(value);
    /* OCW2: only the specific EOI (011), set priority (110) and rotate on
     * specific EOI (111) read the level; a real 8259A ignores it in the
     * others, so the chip gets them without it. */
    uint8_t cmd = value & OCW2_COMMAND;
    bool specific = cmd == 0x60 || cmd == 0xC0 || cmd == 0xE0;
    return pass(specific ? value : cmd);
}

static struct pic_decision data(enum pic_step *step, bool slave, uint8_t value)
{
    switch (*step) {
    case PIC_WANT_ICW2:                 /* the vector base: any */
        *step = PIC_WANT_ICW3;
        return pass(value);
    case PIC_WANT_ICW3:
        if (value != (slave ? SLAVE_ICW3 : MASTER_ICW3))
            return stop(slave ? "the guest gave the slave PIC an ICW3 (its ID) other than 2, "
                                "but it is wired to the master's IR2"
                              : "the guest gave the master PIC an ICW3 other than 0x04, but "
                                "the slave is wired to its IR2 alone");
        *step = PIC_WANT_ICW4;
        return pass(value);
    case PIC_WANT_ICW4:
        if (!(value & ICW4_UPM))
            return stop("the guest programmed the PIC's ICW4 without 8086 mode (MCS-80/85 "
                        "mode)");
        *step = PIC_READY;
        return pass(value);
    default:                            /* OCW1: the interrupt mask */
        return pass(value);
    }
}

struct pic_decision pic_filter_write(struct pic_filter *f, uint16_t port, uint8_t value)
{
    bool slave = port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA;
    enum pic_step *step = &f->step[slave];
    if (port == PIC_MASTER_CMD || port == PIC_SLAVE_CMD)
        return command(step, value);
    return data(step, slave, value);
}
