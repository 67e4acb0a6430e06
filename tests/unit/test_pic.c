/*
 * test_pic.c: hv/dev/pic.c, the virtual 8259A pair of lab 4: the PC's
 * initialisation, priorities and nesting, the EOI and rotation commands,
 * automatic EOI, special mask mode, edge- and level-triggered inputs, the
 * cascade, the default IR7 (spurious IRQ 7 and 15), the poll command, the
 * status reads, masking, and re-initialisation. Each test drives the model
 * only through its API, as the hypervisor will.
 */
#include "unit.h"
#include "dev/pic.h"
#include <string.h>

static struct pic p;

/* A chip's registers, read the way a guest reads them (OCW3, then IN). */
static uint8_t read_irr(uint16_t cmd)
{
    pic_write(&p, cmd, 0x0A);
    return pic_read(&p, cmd);
}

static uint8_t read_isr(uint16_t cmd)
{
    pic_write(&p, cmd, 0x0B);
    return pic_read(&p, cmd);
}

/* The PC's initialisation, as Linux and the kit's guest OS write it:
 * vectors 0x20 and 0x28, every line open. */
static void init_pc(uint8_t master_icw4, uint8_t slave_icw4)
{
    pic_write(&p, 0x20, 0x11);
    pic_write(&p, 0xA0, 0x11);
    pic_write(&p, 0x21, 0x20);
    pic_write(&p, 0xA1, 0x28);
    pic_write(&p, 0x21, 0x04);
    pic_write(&p, 0xA1, 0x02);
    pic_write(&p, 0x21, master_icw4);
    pic_write(&p, 0xA1, slave_icw4);
    pic_write(&p, 0x21, 0x00);
    pic_write(&p, 0xA1, 0x00);
}

static int setup(void **state)
{
    (void)state;
    pic_reset(&p);
    init_pc(0x01, 0x01);
    return 0;
}

/* A device's line, high and low. */
static void line_high(unsigned irq)
{
    pic_set_irq(&p, irq, true);
}

static void line_low(unsigned irq)
{
    pic_set_irq(&p, irq, false);
}

/* INTR is on, and the INTA gives vector. */
static void intr_gives(int vector)
{
    assert_true(pic_intr(&p));
    assert_int_equal(pic_acknowledge(&p), vector);
}

static void test_pc_initialisation(void **state)
{
    (void)state;
    pic_reset(&p);
    struct pic_state s;
    pic_write(&p, 0x21, 0x5A);               /* an old mask, cleared by ICW1 */
    pic_write(&p, 0x20, 0x11);
    pic_write(&p, 0x21, 0x20);
    pic_write(&p, 0x21, 0x04);
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].step, PIC_INIT_ICW4);
    pic_write(&p, 0x21, 0x01);
    pic_get_state(&p, &s);
    const struct pic_chip_state *m = &s.chip[PIC_MASTER];
    assert_int_equal(m->step, PIC_INIT_DONE);
    assert_int_equal(m->base, 0x20);
    assert_int_equal(m->icw3, 0x04);
    assert_int_equal(m->imr, 0x00);
    assert_int_equal(m->isr, 0x00);
    assert_int_equal(m->lowest, 7);
    assert_true(m->mode_8086);
    assert_false(m->auto_eoi || m->level_triggered || m->single || m->special_mask || m->read_isr);
    /* now the data port is OCW1 */
    pic_write(&p, 0x21, 0xFB);
    assert_int_equal(pic_read(&p, 0x21), 0xFB);
    assert_int_equal(pic_read(&p, 0xA1), 0xFF);   /* the slave still as at power-on */
}

static void test_bios_state(void **state)
{
    (void)state;
    pic_reset_as_bios(&p);
    struct pic_state s;
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].base, 0x08);
    assert_int_equal(s.chip[PIC_SLAVE].base, 0x70);
    assert_int_equal(pic_read(&p, 0x21), 0xB8);
    assert_int_equal(pic_read(&p, 0xA1), 0x8F);
    assert_int_equal(s.chip[PIC_SLAVE].icw3, 0x02);
    line_high(0);
    intr_gives(0x08);
    line_high(14);
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x76);
}

static void test_icw2_low_bits_ignored(void **state)
{
    (void)state;
    pic_write(&p, 0x20, 0x11);
    pic_write(&p, 0x21, 0x27);
    pic_write(&p, 0x21, 0x04);
    pic_write(&p, 0x21, 0x01);
    line_high(1);
    intr_gives(0x21);
}

static void test_irq0_beats_irq1(void **state)
{
    (void)state;
    assert_false(pic_intr(&p));
    line_high(1);
    line_high(0);
    intr_gives(0x20);
    assert_int_equal(read_isr(0x20), 0x01);
    assert_int_equal(read_irr(0x20), 0x02);
}

static void test_in_service_blocks_lower_until_eoi(void **state)
{
    (void)state;
    line_high(3);
    intr_gives(0x23);
    line_high(5);
    line_high(3);                            /* still high: no new edge */
    assert_false(pic_intr(&p));
    pic_write(&p, 0x20, 0x20);               /* non-specific EOI */
    intr_gives(0x25);
}

static void test_higher_nests(void **state)
{
    (void)state;
    line_high(3);
    intr_gives(0x23);
    line_high(1);
    intr_gives(0x21);
    assert_int_equal(read_isr(0x20), 0x0A);
}

static void test_non_specific_eoi_ends_the_highest(void **state)
{
    (void)state;
    line_high(3);
    pic_acknowledge(&p);
    line_high(1);
    pic_acknowledge(&p);
    pic_write(&p, 0x20, 0x27);               /* the level bits do not count */
    assert_int_equal(read_isr(0x20), 0x08);
    pic_write(&p, 0x20, 0x20);
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_specific_eoi(void **state)
{
    (void)state;
    line_high(3);
    pic_acknowledge(&p);
    line_high(1);
    pic_acknowledge(&p);
    pic_write(&p, 0x20, 0x63);               /* specific EOI, level 3: not the highest */
    assert_int_equal(read_isr(0x20), 0x02);
    pic_write(&p, 0x20, 0x61);
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_set_priority(void **state)
{
    (void)state;
    pic_write(&p, 0x20, 0xC4);               /* IR4 lowest: IR5 highest */
    line_high(0);
    line_high(5);
    line_high(4);
    intr_gives(0x25);
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x20);
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x24);
}

static void test_rotate_on_non_specific_eoi(void **state)
{
    (void)state;
    line_high(0);
    intr_gives(0x20);
    pic_write(&p, 0x20, 0xA0);               /* IR0 ends and becomes the lowest */
    struct pic_state s;
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].lowest, 0);
    line_low(0);
    line_high(0);
    line_high(7);
    intr_gives(0x27);   /* IR7 now beats IR0 */
}

static void test_rotate_on_specific_eoi(void **state)
{
    (void)state;
    line_high(3);
    line_high(6);
    intr_gives(0x23);
    pic_write(&p, 0x20, 0xE3);               /* ISR3 ends, IR3 the lowest: IR4 highest */
    assert_int_equal(read_isr(0x20), 0x00);
    line_high(1);
    intr_gives(0x26);   /* IR6 beats IR1 now */
}

static void test_auto_eoi(void **state)
{
    (void)state;
    init_pc(0x03, 0x01);
    line_high(0);
    intr_gives(0x20);
    assert_int_equal(read_isr(0x20), 0x00);
    line_high(5);                            /* nothing in service: no EOI needed */
    intr_gives(0x25);
    pic_write(&p, 0x20, 0x80);               /* rotate in automatic EOI mode, set */
    line_high(4);
    intr_gives(0x24);
    struct pic_state s;
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].lowest, 4);
    pic_write(&p, 0x20, 0x00);               /* clear */
    line_high(6);
    intr_gives(0x26);
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].lowest, 4);
}

static void test_special_mask_mode(void **state)
{
    (void)state;
    line_high(1);
    intr_gives(0x21);
    line_high(5);
    assert_false(pic_intr(&p));              /* IR1 in service blocks IR5 */
    pic_write(&p, 0x21, 0x02);               /* mask IR1 */
    pic_write(&p, 0x20, 0x68);               /* OCW3: set special mask mode */
    intr_gives(0x25);
    assert_int_equal(read_isr(0x20), 0x22);
    /* a non-specific EOI leaves the masked IS bit (data sheet, "End of Interrupt") */
    pic_write(&p, 0x20, 0x20);
    assert_int_equal(read_isr(0x20), 0x02);
    pic_write(&p, 0x20, 0x48);               /* reset special mask mode */
    line_high(6);
    assert_false(pic_intr(&p));
}

static void test_edge_latched_while_masked(void **state)
{
    (void)state;
    pic_write(&p, 0x21, 0x08);
    line_high(3);
    assert_false(pic_intr(&p));
    assert_int_equal(read_irr(0x20), 0x08);
    pic_write(&p, 0x21, 0x00);
    intr_gives(0x23);
}

static void test_edge_pulse_gone_before_unmask_is_lost(void **state)
{
    (void)state;
    pic_write(&p, 0x21, 0x08);
    line_high(3);
    line_low(3);
    assert_int_equal(read_irr(0x20), 0x00);
    pic_write(&p, 0x21, 0x00);
    assert_false(pic_intr(&p));
}

static void test_edge_held_high_interrupts_once(void **state)
{
    (void)state;
    line_high(4);
    intr_gives(0x24);
    pic_write(&p, 0x20, 0x20);
    assert_false(pic_intr(&p));
    line_low(4);
    line_high(4);
    intr_gives(0x24);
}

static void test_level_reraises_after_eoi(void **state)
{
    (void)state;
    pic_write(&p, 0x20, 0x19);               /* LTIM */
    pic_write(&p, 0x21, 0x20);
    pic_write(&p, 0x21, 0x04);
    pic_write(&p, 0x21, 0x01);
    line_high(4);
    intr_gives(0x24);
    assert_int_equal(read_irr(0x20), 0x10);  /* the level is still requesting */
    assert_false(pic_intr(&p));              /* but IR4 is in service */
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x24);
    pic_write(&p, 0x20, 0x20);
    line_low(4);
    assert_int_equal(read_irr(0x20), 0x00);
}

static void test_level_held_through_init_requests(void **state)
{
    (void)state;
    line_high(6);
    pic_acknowledge(&p);
    pic_write(&p, 0x20, 0x19);               /* re-initialise, level-triggered */
    pic_write(&p, 0x21, 0x20);
    pic_write(&p, 0x21, 0x04);
    assert_false(pic_intr(&p));              /* not during initialisation */
    pic_write(&p, 0x21, 0x01);
    intr_gives(0x26);
}

static void test_cascade(void **state)
{
    (void)state;
    line_high(10);
    intr_gives(0x2A);
    assert_int_equal(read_isr(0x20), 0x04);
    assert_int_equal(read_isr(0xA0), 0x04);
    line_high(3);                            /* below IR2 on the master */
    assert_false(pic_intr(&p));
    pic_write(&p, 0xA0, 0x20);               /* the slave's EOI alone */
    assert_int_equal(read_isr(0xA0), 0x00);
    assert_false(pic_intr(&p));
    pic_write(&p, 0x20, 0x20);               /* and the master's */
    assert_int_equal(read_isr(0x20), 0x00);
    intr_gives(0x23);
}

static void test_cascade_priorities(void **state)
{
    (void)state;
    line_high(15);
    line_high(8);
    line_high(1);
    intr_gives(0x21);
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x28);
    pic_write(&p, 0xA0, 0x20);
    pic_write(&p, 0x20, 0x20);
    assert_true(pic_intr(&p));               /* IRQ 15's request reached IR2 again */
    intr_gives(0x2F);
    assert_int_equal(read_isr(0xA0), 0x80);
}

/* A slave in automatic EOI with a second request: its INT falls during the
 * INTA and rises again, a new edge on the master's IR2. */
static void test_cascade_second_request_of_an_aeoi_slave(void **state)
{
    (void)state;
    init_pc(0x01, 0x03);
    line_high(8);
    line_high(9);
    intr_gives(0x28);
    assert_int_equal(read_isr(0xA0), 0x00);
    assert_false(pic_intr(&p));                  /* the master's IR2 is in service */
    pic_write(&p, 0x20, 0x20);
    intr_gives(0x29);
}

static void test_special_fully_nested(void **state)
{
    (void)state;
    line_high(11);
    intr_gives(0x2B);
    line_high(9);
    assert_false(pic_intr(&p));              /* fully nested: the slave is locked out */
    pic_reset(&p);
    init_pc(0x11, 0x01);                     /* SFNM on the master */
    line_high(11);
    intr_gives(0x2B);
    line_high(9);
    intr_gives(0x29);
    assert_int_equal(read_isr(0xA0), 0x0A);
    line_high(3);
    assert_false(pic_intr(&p));              /* lower levels stay blocked */
}

static void test_spurious_irq7(void **state)
{
    (void)state;
    line_high(3);
    assert_true(pic_intr(&p));
    line_low(3);                             /* before the INTA */
    intr_gives(0x27);
    assert_int_equal(read_isr(0x20), 0x00);
    assert_false(pic_intr(&p));
}

static void test_spurious_irq15(void **state)
{
    (void)state;
    line_high(10);
    assert_true(pic_intr(&p));
    line_low(10);
    intr_gives(0x2F);
    assert_int_equal(read_isr(0xA0), 0x00);
    assert_int_equal(read_isr(0x20), 0x04);  /* the master's IR2 is in service */
    assert_false(pic_intr(&p));
}

static void test_poll(void **state)
{
    (void)state;
    pic_write(&p, 0x21, 0xFF);               /* polled systems mask INTR off */
    line_high(4);
    line_high(6);
    pic_write(&p, 0x21, 0x00);
    pic_write(&p, 0x20, 0x0C);               /* OCW3: poll */
    assert_int_equal(pic_read(&p, 0x20), 0x84);
    assert_int_equal(read_isr(0x20), 0x10);  /* the poll acknowledged IR4 */
    pic_write(&p, 0x20, 0x20);
    pic_write(&p, 0x20, 0x0C);
    assert_int_equal(pic_read(&p, 0x21), 0x86);   /* either port */
    pic_write(&p, 0x20, 0x20);
    pic_write(&p, 0x20, 0x0C);
    assert_int_equal(pic_read(&p, 0x20), 0x00);   /* nothing left */
    assert_int_equal(pic_read(&p, 0x21), 0x00);   /* the poll is over: the IMR */
}

static void test_ocw3_read_select(void **state)
{
    (void)state;
    line_high(1);
    line_high(5);
    assert_int_equal(pic_read(&p, 0x20), 0x22);   /* IRR after initialisation */
    pic_acknowledge(&p);
    pic_write(&p, 0x20, 0x0B);
    assert_int_equal(pic_read(&p, 0x20), 0x02);
    assert_int_equal(pic_read(&p, 0x20), 0x02);   /* the choice stays */
    pic_write(&p, 0x20, 0x08);               /* RR clear: no change */
    assert_int_equal(pic_read(&p, 0x20), 0x02);
    pic_write(&p, 0x20, 0x0A);
    assert_int_equal(pic_read(&p, 0x20), 0x20);
}

static void test_masked_lines_never_reach_intr(void **state)
{
    (void)state;
    pic_write(&p, 0x21, 0xFF);
    pic_write(&p, 0xA1, 0xFF);
    for (unsigned irq = 0; irq < PIC_IRQS; irq++)
        line_high(irq);
    assert_false(pic_intr(&p));
    pic_write(&p, 0x21, 0xFB);               /* the cascade open, the slave shut */
    assert_false(pic_intr(&p));
    pic_write(&p, 0xA1, 0xFE);
    assert_true(pic_intr(&p));
    pic_write(&p, 0xA1, 0xFF);               /* masked again before the INTA */
    pic_write(&p, 0x21, 0xFF);
    assert_false(pic_intr(&p));
}

static void test_reinit_mid_interrupt(void **state)
{
    (void)state;
    line_high(0);
    line_high(9);
    intr_gives(0x20);
    init_pc(0x01, 0x01);
    assert_int_equal(read_isr(0x20), 0x00);
    assert_int_equal(read_irr(0x20), 0x00);
    assert_int_equal(read_irr(0xA0), 0x00);  /* the edge sense reset */
    assert_false(pic_intr(&p));
    line_low(0);
    line_high(0);
    intr_gives(0x20);
}

static void test_single_and_no_icw4(void **state)
{
    (void)state;
    pic_write(&p, 0x20, 0x13);               /* SNGL, IC4: no ICW3 */
    pic_write(&p, 0x21, 0x40);
    pic_write(&p, 0x21, 0x01);               /* this is ICW4 */
    struct pic_state s;
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_MASTER].step, PIC_INIT_DONE);
    assert_true(s.chip[PIC_MASTER].single && s.chip[PIC_MASTER].mode_8086);
    line_high(10);                           /* single: IR2 is an IR like any */
    intr_gives(0x42);
    assert_int_equal(read_isr(0xA0), 0x00);
    pic_write(&p, 0xA0, 0x10);               /* no IC4: ICW4 all zeros */
    pic_write(&p, 0xA1, 0x28);
    pic_write(&p, 0xA1, 0x02);
    pic_get_state(&p, &s);
    assert_int_equal(s.chip[PIC_SLAVE].step, PIC_INIT_DONE);
    assert_false(s.chip[PIC_SLAVE].mode_8086 || s.chip[PIC_SLAVE].auto_eoi);
    pic_write(&p, 0xA1, 0x5A);               /* OCW1 now */
    assert_int_equal(pic_read(&p, 0xA1), 0x5A);
}

static void test_ports_and_irq2(void **state)
{
    (void)state;
    assert_true(pic_handles_port(0x20) && pic_handles_port(0x21) &&
                pic_handles_port(0xA0) && pic_handles_port(0xA1));
    assert_false(pic_handles_port(0x22) || pic_handles_port(0x40) || pic_handles_port(0xA2));
    assert_int_equal(pic_read(&p, 0x40), 0xFF);
    pic_write(&p, 0x40, 0xFF);
    assert_int_equal(pic_read(&p, 0x21), 0x00);
    line_high(2);                            /* the cascade: no device drives it */
    line_high(16);
    assert_false(pic_intr(&p));
}

/* pic_pulse_irq is pic_set_irq(false) then pic_set_irq(true), in any
 * state: random lines, masks, EOIs, acknowledges, modes (AEOI, level,
 * special mask, rotation) and re-initialisations, with a pulse of a
 * random IRQ (2 and past 15 too) compared at each step. */
static void test_pulse_is_low_then_high(void **state)
{
    (void)state;
    static const uint8_t words[] = { 0x00, 0xFF, 0x20, 0x60, 0x0A, 0x0B, 0x68, 0x48, 0xA0, 0x80, 0xE0,
                                     0x11, 0x19, 0x13, 0x04, 0x02, 0x01, 0x03, 0x12, 0x28, 0x20 };
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1 };
    uint32_t seed = 7;
    unsigned raised = 0;
    for (int step = 0; step < 100000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        if (r % 4 == 0)
            pic_write(&p, ports[(r >> 2) % 4], words[(r >> 4) % sizeof words]);
        else if (r % 4 == 1)
            pic_acknowledge(&p);
        else
            pic_set_irq(&p, (r >> 2) % 16, (r >> 6) & 1);
        unsigned irq = (r >> 7) % 18;
        struct pic pulsed, stepped;
        memcpy(&pulsed, &p, sizeof p);
        memcpy(&stepped, &p, sizeof p);
        pic_pulse_irq(&pulsed, irq);
        pic_set_irq(&stepped, irq, false);
        pic_set_irq(&stepped, irq, true);
        assert_memory_equal(&pulsed, &stepped, sizeof p);
        raised += pic_intr(&pulsed) && !pic_intr(&p);
    }
    assert_true(raised > 100);          /* pulses that raised INTR: not all idle */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pc_initialisation, setup),
        cmocka_unit_test_setup(test_bios_state, setup),
        cmocka_unit_test_setup(test_icw2_low_bits_ignored, setup),
        cmocka_unit_test_setup(test_irq0_beats_irq1, setup),
        cmocka_unit_test_setup(test_in_service_blocks_lower_until_eoi, setup),
        cmocka_unit_test_setup(test_higher_nests, setup),
        cmocka_unit_test_setup(test_non_specific_eoi_ends_the_highest, setup),
        cmocka_unit_test_setup(test_specific_eoi, setup),
        cmocka_unit_test_setup(test_set_priority, setup),
        cmocka_unit_test_setup(test_rotate_on_non_specific_eoi, setup),
        cmocka_unit_test_setup(test_rotate_on_specific_eoi, setup),
        cmocka_unit_test_setup(test_auto_eoi, setup),
        cmocka_unit_test_setup(test_special_mask_mode, setup),
        cmocka_unit_test_setup(test_edge_latched_while_masked, setup),
        cmocka_unit_test_setup(test_edge_pulse_gone_before_unmask_is_lost, setup),
        cmocka_unit_test_setup(test_edge_held_high_interrupts_once, setup),
        cmocka_unit_test_setup(test_level_reraises_after_eoi, setup),
        cmocka_unit_test_setup(test_level_held_through_init_requests, setup),
        cmocka_unit_test_setup(test_cascade, setup),
        cmocka_unit_test_setup(test_cascade_priorities, setup),
        cmocka_unit_test_setup(test_cascade_second_request_of_an_aeoi_slave, setup),
        cmocka_unit_test_setup(test_special_fully_nested, setup),
        cmocka_unit_test_setup(test_spurious_irq7, setup),
        cmocka_unit_test_setup(test_spurious_irq15, setup),
        cmocka_unit_test_setup(test_poll, setup),
        cmocka_unit_test_setup(test_ocw3_read_select, setup),
        cmocka_unit_test_setup(test_masked_lines_never_reach_intr, setup),
        cmocka_unit_test_setup(test_reinit_mid_interrupt, setup),
        cmocka_unit_test_setup(test_single_and_no_icw4, setup),
        cmocka_unit_test_setup(test_ports_and_irq2, setup),
        cmocka_unit_test_setup(test_pulse_is_low_then_high, setup),
    };
    return RUN_UNIT_TESTS("pic", tests);
}
