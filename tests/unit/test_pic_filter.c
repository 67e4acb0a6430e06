/*
 * test_pic_filter.c: hv/exit/pic_filter.c, the 8259A writes a PC's PICs can
 * take: the PC's own initialisation passes byte for byte; what no PC's PIC
 * could work with stops the guest; an OCW2 reaches the chip as a real 8259A
 * reads it.
 */
#include "unit.h"
#include "exit/pic_filter.h"
#include <string.h>

static struct pic_filter f;

static int setup(void **state)
{
    (void)state;
    f = (struct pic_filter){ 0 };
    return 0;
}

static void passes(uint16_t port, uint8_t value, uint8_t expected)
{
    struct pic_decision d = pic_filter_write(&f, port, value);
    assert_true(d.pass);
    assert_int_equal(d.value, expected);
}

static const char *stops(uint16_t port, uint8_t value)
{
    struct pic_decision d = pic_filter_write(&f, port, value);
    assert_false(d.pass);
    assert_non_null(d.why);
    return d.why;
}

static void test_the_pc_initialisation_passes(void **state)
{
    (void)state;
    static const uint16_t ports[] = { 0x20, 0xA0, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1, 0x21, 0xA1 };
    static const uint8_t values[] = { 0x11, 0x11, 0x20, 0x28, 0x04, 0x02, 0x01, 0x03, 0xFB, 0xFF };
    for (unsigned i = 0; i < sizeof(values); i++)
        passes(ports[i], values[i], values[i]);
    passes(0x20, 0x20, 0x20);       /* EOI */
    passes(0x20, 0x0B, 0x0B);       /* OCW3: read the ISR */
    passes(0x21, 0x00, 0x00);       /* OCW1 once ready: the mask */
}

static void test_ltim_stops(void **state)
{
    (void)state;
    assert_non_null(strstr(stops(0x20, 0x19), "LTIM (level-triggered)"));
}

static void test_single_mode_stops(void **state)
{
    (void)state;
    assert_non_null(strstr(stops(0xA0, 0x13), "single mode"));
}

static void test_no_icw4_stops(void **state)
{
    (void)state;
    assert_non_null(strstr(stops(0x20, 0x10), "8086"));
}

static void test_icw4_without_8086_stops(void **state)
{
    (void)state;
    passes(0x20, 0x11, 0x11);
    passes(0x21, 0x20, 0x20);
    passes(0x21, 0x04, 0x04);
    assert_non_null(strstr(stops(0x21, 0x02), "8086"));
}

static void test_odd_icw3_stops_master_and_slave(void **state)
{
    (void)state;
    passes(0x20, 0x11, 0x11);
    passes(0x21, 0x20, 0x20);
    assert_non_null(strstr(stops(0x21, 0x05), "master"));
    passes(0xA0, 0x11, 0x11);
    passes(0xA1, 0x28, 0x28);
    assert_non_null(strstr(stops(0xA1, 0x04), "slave"));
}

static void test_ocw2_level_bits_are_dropped_where_unused(void **state)
{
    (void)state;
    passes(0x20, 0x27, 0x20);       /* non-specific EOI */
    passes(0x20, 0xA5, 0xA0);       /* rotate on non-specific EOI */
    passes(0xA0, 0x02, 0x00);       /* rotate in automatic EOI, clear */
    passes(0x20, 0x47, 0x40);       /* no operation */
    passes(0x20, 0x63, 0x63);       /* specific EOI, level 3 */
    passes(0x20, 0xC7, 0xC7);       /* set priority */
    passes(0x20, 0xE1, 0xE1);       /* rotate on specific EOI */
}

static void test_ports(void **state)
{
    (void)state;
    assert_true(pic_port(0x20) && pic_port(0x21) && pic_port(0xA0) && pic_port(0xA1));
    assert_false(pic_port(0x22) || pic_port(0x40) || pic_port(0xE9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_the_pc_initialisation_passes, setup),
        cmocka_unit_test_setup(test_ltim_stops, setup),
        cmocka_unit_test_setup(test_single_mode_stops, setup),
        cmocka_unit_test_setup(test_no_icw4_stops, setup),
        cmocka_unit_test_setup(test_icw4_without_8086_stops, setup),
        cmocka_unit_test_setup(test_odd_icw3_stops_master_and_slave, setup),
        cmocka_unit_test_setup(test_ocw2_level_bits_are_dropped_where_unused, setup),
        cmocka_unit_test_setup(test_ports, setup),
    };
    return RUN_UNIT_TESTS("pic_filter", tests);
}
