/*
 * test_pit.c: hv/dev/pit.c and pit_counter.c, the virtual 8254 of lab 4.
 * Every expected value is worked out by hand from the 8254 data sheet: a
 * count written at clock t is loaded at t + 1 and has counted k clocks at
 * t + 1 + k; mode 2 drops OUT for the clock CE holds 1; mode 3 is high for
 * (N + 1) / 2 clocks and low for N / 2; mode 4 strobes OUT low at terminal
 * count.
 */
#include "unit.h"
#include "dev/pit.h"

static struct pit p;

static int setup(void **state)
{
    (void)state;
    pit_reset(&p);
    return 0;
}

static void control(uint8_t cw, uint64_t t)
{
    pit_write(&p, PIT_PORT_CONTROL, cw, t);
}

static void write16(unsigned ch, uint16_t v, uint64_t t)
{
    pit_write(&p, (uint16_t)(PIT_PORT_COUNTER0 + ch), (uint8_t)v, t);
    pit_write(&p, (uint16_t)(PIT_PORT_COUNTER0 + ch), (uint8_t)(v >> 8), t);
}

static uint16_t read16(unsigned ch, uint64_t t)
{
    uint8_t lo = pit_read(&p, (uint16_t)(PIT_PORT_COUNTER0 + ch), t);
    uint8_t hi = pit_read(&p, (uint16_t)(PIT_PORT_COUNTER0 + ch), t);
    return (uint16_t)(lo | hi << 8);
}

/* Counter ch in `mode`, LSB then MSB, binary, `count` written at t. */
static void program(unsigned ch, unsigned mode, uint16_t count, uint64_t t)
{
    control((uint8_t)(ch << 6 | 0x30 | mode << 1), t);
    write16(ch, count, t);
}

static void gate2(bool high, uint64_t t)
{
    pit_write(&p, PIT_PORT_B, high ? PIT_B_GATE2 : 0, t);
}

/* OUT of channel ch at clocks from..to, as a string of 0 and 1. */
static void assert_wave(unsigned ch, uint64_t from, const char *wave)
{
    for (uint64_t i = 0; wave[i]; i++)
        assert_int_equal(pit_out(&p, ch, from + i), wave[i] == '1');
}

static void test_mode0_interrupt_on_terminal_count(void **state)
{
    (void)state;
    program(0, 0, 100, 0);
    assert_false(pit_out(&p, 0, 0));
    assert_int_equal(pit_next_irq0_edge(&p, 0), 101);
    assert_int_equal(read16(0, 1), 100);
    assert_int_equal(read16(0, 51), 50);
    assert_wave(0, 99, "0011");           /* high at 101: N + 1 clocks after the write */
    assert_int_equal(pit_irq0_edges(&p, 101), 1);
    assert_int_equal(read16(0, 102), 0xFFFF);   /* it counts on past 0 */
    assert_int_equal(pit_irq0_edges(&p, 100000000), 0);
    assert_int_equal(pit_next_irq0_edge(&p, 101), PIT_NEVER);
}

static void test_mode0_first_byte_stops_and_lowers_out(void **state)
{
    (void)state;
    program(0, 0, 100, 0);
    assert_true(pit_out(&p, 0, 200));
    pit_write(&p, PIT_PORT_COUNTER0, 10, 200);      /* LSB: OUT low, counting stops */
    assert_false(pit_out(&p, 0, 200));
    assert_int_equal(read16(0, 300), (uint16_t)(100 - 199));
    pit_write(&p, PIT_PORT_COUNTER0, 0, 300);       /* MSB: 10 loaded at 301 */
    assert_wave(0, 309, "0011");
    assert_int_equal(pit_irq0_edges(&p, 400), 2);   /* at 101 and at 311 */
}

static void test_mode1_one_shot_through_gate2(void **state)
{
    (void)state;
    gate2(false, 0);
    control(0x92, 0);                               /* counter 2, LSB, mode 1 */
    pit_write(&p, PIT_PORT_COUNTER2, 5, 0);
    assert_wave(2, 0, "1111111111");                /* no trigger, no pulse */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER2, 5), 5);
    gate2(true, 10);                                /* trigger: loaded at 11 */
    assert_wave(2, 10, "100");                      /* low 11-15, high at 16 */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER2, 13), 3);
    assert_wave(2, 13, "0001");
    gate2(false, 20);
    gate2(true, 30);
    assert_wave(2, 30, "10");
    gate2(false, 32);
    gate2(true, 33);                                /* retriggered in the pulse: reloaded at 34 */
    assert_wave(2, 33, "000000");
    assert_true(pit_out(&p, 2, 39));
    assert_int_equal(pit_read(&p, PIT_PORT_B, 39) & PIT_B_OUT2, PIT_B_OUT2);
}

static void test_mode1_and_5_never_fire_on_counter0(void **state)
{
    (void)state;
    program(0, 1, 5, 0);
    assert_true(pit_out(&p, 0, 100));
    assert_int_equal(pit_next_irq0_edge(&p, 100), PIT_NEVER);
    program(0, 5, 5, 100);
    assert_int_equal(pit_irq0_edges(&p, 100000), 0);
}

static void test_mode2_rate_generator(void **state)
{
    (void)state;
    program(0, 2, 4, 0);
    assert_int_equal(pit_next_irq0_edge(&p, 0), 5);
    assert_int_equal(read16(0, 1), 4);
    assert_int_equal(read16(0, 2), 3);
    assert_int_equal(read16(0, 4), 1);
    assert_int_equal(read16(0, 5), 4);
    assert_int_equal(pit_next_irq0_edge(&p, 5), 9);
    assert_wave(0, 5, "111011101");                 /* low at 8 and 12 */
    assert_int_equal(pit_irq0_edges(&p, 13), 3);    /* 5, 9, 13 */
}

static void test_mode3_even_and_odd(void **state)
{
    (void)state;
    program(0, 3, 6, 0);
    static const uint16_t even[] = { 6, 4, 2, 6, 4, 2, 6 };
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(read16(0, 1 + i), even[i]);
    assert_wave(0, 7, "1110001");                   /* high 3 clocks, low 3 */
    program(1, 3, 5, 100);                          /* odd: high 3 clocks, low 2 */
    static const uint16_t odd[] = { 4, 2, 0, 4, 2, 4 };
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(read16(1, 101 + i), odd[i]);
    assert_wave(1, 106, "1110011");
}

static void test_mode4_software_strobe(void **state)
{
    (void)state;
    program(0, 4, 3, 0);
    assert_int_equal(pit_next_irq0_edge(&p, 0), 5);
    assert_wave(0, 0, "1111");
    assert_int_equal(read16(0, 4), 0);
    assert_false(pit_out(&p, 0, 4));                /* low for one clock at 4 */
    assert_int_equal(read16(0, 5), 0xFFFF);
    assert_wave(0, 5, "111111");
    assert_int_equal(pit_irq0_edges(&p, 1000000), 1);
}

static void test_mode5_hardware_strobe(void **state)
{
    (void)state;
    control(0x9A, 0);                               /* counter 2, LSB, mode 5 */
    pit_write(&p, PIT_PORT_COUNTER2, 3, 0);
    gate2(false, 5);
    assert_wave(2, 0, "1111111111");
    gate2(true, 10);                                /* loaded at 11, strobe at 14 */
    assert_wave(2, 10, "111101");
}

static void test_count0_is_65536(void **state)
{
    (void)state;
    program(0, 2, 0, 0);
    assert_int_equal(read16(0, 1), 0);
    assert_int_equal(read16(0, 2), 0xFFFF);
    assert_int_equal(pit_next_irq0_edge(&p, 2), 65537);
    assert_false(pit_out(&p, 0, 65536));
    assert_int_equal(pit_next_irq0_edge(&p, 65537), 131073);
}

static void test_bcd(void **state)
{
    (void)state;
    control(0x35, 0);                               /* counter 0, mode 2, BCD */
    write16(0, 0x0100, 0);                          /* 100 */
    assert_int_equal(read16(0, 1), 0x0100);
    assert_int_equal(read16(0, 2), 0x0099);
    assert_int_equal(read16(0, 11), 0x0090);
    assert_int_equal(pit_next_irq0_edge(&p, 0), 101);
    control(0x35, 200);
    write16(0, 0, 200);                             /* 0 is 10000 in BCD */
    assert_int_equal(read16(0, 202), 0x9999);
    assert_int_equal(pit_next_irq0_edge(&p, 200), 10201);
}

static void test_lsb_msb_and_flip_flops(void **state)
{
    (void)state;
    control(0x14, 0);                               /* counter 0, LSB only, mode 2 */
    pit_write(&p, PIT_PORT_COUNTER0, 0x34, 0);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 1), 0x34);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 2), 0x33);
    control(0x24, 10);                              /* MSB only: 0x1200 */
    pit_write(&p, PIT_PORT_COUNTER0, 0x12, 10);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 11), 0x12);
    assert_int_equal(pit_next_irq0_edge(&p, 12), 11 + 0x1200);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 12 + 0x100), 0x10);
    program(0, 2, 0x1234, 1000);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 1001), 0x34);  /* LSB, */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 1001), 0x12);  /* then MSB, */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 1002), 0x33);  /* then LSB again */
}

static void test_latch_holds_until_read(void **state)
{
    (void)state;
    program(0, 2, 1000, 0);
    control(0x00, 101);                             /* latch: 900 */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 500), 900 & 0xFF);
    control(0x00, 600);                             /* ignored: not read out yet */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 700), 900 >> 8);
    assert_int_equal(read16(0, 800), 1000 - 799);   /* released: live again */
    control(0x00, 801);
    assert_int_equal(read16(0, 5000), 1000 - 800);
}

static void test_read_back_status_and_count(void **state)
{
    (void)state;
    program(0, 2, 1000, 0);
    control(0x97, 0);                               /* counter 2, LSB, mode 3, BCD */
    pit_write(&p, PIT_PORT_COUNTER2, 0x50, 0);
    control(0xCA, 11);                              /* count and status of 0 and 2 */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 20), 0xB4);   /* OUT, RW 3, mode 2 */
    assert_int_equal(read16(0, 30), 990);
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER2, 40), 0x97);   /* OUT, RW 1, mode 3, BCD */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER2, 40), 0x30);   /* 50 - 2*10 in BCD */
    control(0xE2, 50);                              /* status only, counter 0 */
    assert_int_equal(pit_read(&p, PIT_PORT_COUNTER0, 60), 0xB4);
    assert_int_equal(read16(0, 61), 940);
}

static uint8_t status(unsigned ch, uint64_t t)
{
    control((uint8_t)(0xE0 | 2 << ch), t);
    return pit_read(&p, (uint16_t)(PIT_PORT_COUNTER0 + ch), t);
}

static void test_null_count(void **state)
{
    (void)state;
    control(0x34, 0);
    assert_int_equal(status(0, 0) & 0x40, 0x40);    /* after a control word */
    write16(0, 100, 10);
    assert_int_equal(status(0, 10) & 0x40, 0x40);   /* written, not loaded yet */
    assert_int_equal(status(0, 11) & 0x40, 0);
    write16(0, 10, 50);                             /* loaded at the reload, 111 */
    assert_int_equal(status(0, 110) & 0x40, 0x40);
    assert_int_equal(status(0, 111) & 0x40, 0);
    assert_int_equal(status(1, 111), 0x98);         /* power-on: OUT, LSB, mode 4 */
}

static void test_gate2_restarts_mode2_and_3(void **state)
{
    (void)state;
    program(2, 2, 10, 0);
    gate2(false, 5);
    assert_int_equal(read16(2, 100), 6);            /* stopped at 10 - 4 */
    assert_true(pit_out(&p, 2, 100));
    gate2(true, 100);                               /* reloaded at 101 */
    assert_int_equal(read16(2, 101), 10);
    assert_wave(2, 109, "1011");                    /* low at 110 */
    program(2, 3, 4, 200);
    assert_false(pit_out(&p, 2, 203));
    gate2(false, 203);                              /* low gate: OUT high at once */
    assert_true(pit_out(&p, 2, 203));
    gate2(true, 210);
    assert_wave(2, 211, "11001100");
}

static void test_gate2_pauses_mode0(void **state)
{
    (void)state;
    program(2, 0, 10, 0);
    gate2(false, 5);
    assert_int_equal(read16(2, 50), 6);
    assert_false(pit_out(&p, 2, 50));
    gate2(true, 50);
    assert_int_equal(read16(2, 51), 5);
    assert_wave(2, 54, "0011");                     /* 0 at 56: late by the 45 clocks paused */
}

static void test_port_b(void **state)
{
    (void)state;
    pit_write(&p, PIT_PORT_B, 0xFF, 0);
    assert_int_equal(p.port_b, 0x0F);
    uint8_t v = pit_read(&p, PIT_PORT_B, 0);
    assert_int_equal(v & ~PIT_B_REFRESH, PIT_B_GATE2 | PIT_B_SPEAKER | PIT_B_OUT2);
    pit_write(&p, PIT_PORT_B, 0x02, 1);
    assert_int_equal(pit_read(&p, PIT_PORT_B, 1) & 0x03, PIT_B_SPEAKER);
    assert_true(pit_port(0x61) && pit_port(0x40) && pit_port(0x43));
    assert_false(pit_port(0x44) || pit_port(0x3F) || pit_port(0x60));
    assert_int_equal(pit_read(&p, PIT_PORT_CONTROL, 2), 0);
}

static void test_refresh_toggles_every_18_clocks(void **state)
{
    (void)state;
    assert_int_equal(pit_read(&p, PIT_PORT_B, 17) & PIT_B_REFRESH, 0);
    assert_int_equal(pit_read(&p, PIT_PORT_B, 18) & PIT_B_REFRESH, PIT_B_REFRESH);
    assert_int_equal(pit_read(&p, PIT_PORT_B, 35) & PIT_B_REFRESH, PIT_B_REFRESH);
    assert_int_equal(pit_read(&p, PIT_PORT_B, 36) & PIT_B_REFRESH, 0);
}

/* 10 seconds of input clock, the edges counted once and in pieces. */
static void test_irq0_edges_exact_over_10_seconds(void **state)
{
    (void)state;
    const uint64_t last = 1 + 1193ull * 10000;      /* the 10000th edge */
    for (unsigned mode = 2; mode <= 3; mode++) {
        pit_reset(&p);
        program(0, mode, 1193, 0);
        assert_int_equal(pit_irq0_edges(&p, last - 1), 9999);
        assert_int_equal(pit_irq0_edges(&p, last), 1);
        pit_reset(&p);
        program(0, mode, 1193, 0);
        uint64_t sum = 0;
        for (uint64_t t = 0; t <= last; t += 7919)
            sum += pit_irq0_edges(&p, t);
        sum += pit_irq0_edges(&p, last);
        assert_int_equal(sum, 10000);
        assert_int_equal(pit_next_irq0_edge(&p, last), last + 1193);
    }
    pit_reset(&p);
    program(0, 0, 1193, 0);
    assert_int_equal(pit_irq0_edges(&p, 10 * PIT_HZ), 1);
}

/* The next edge is where the count of edges goes up by one. */
static void assert_next_edge_consistent(uint64_t now)
{
    pit_irq0_edges(&p, now);
    uint64_t e = pit_next_irq0_edge(&p, now);
    assert_true(e > now);
    assert_int_equal(pit_irq0_edges(&p, e - 1), 0);
    assert_int_equal(pit_irq0_edges(&p, e), 1);
}

static void test_next_edge_matches_edges(void **state)
{
    (void)state;
    program(0, 3, 7, 0);
    for (uint64_t t = 0; t < 40; t += 3)
        assert_next_edge_consistent(t);
    program(0, 4, 9, 100);
    assert_next_edge_consistent(100);
    program(0, 2, 50, 200);
    write16(0, 9, 230);                             /* the new count after the reload at 251 */
    assert_int_equal(pit_next_irq0_edge(&p, 230), 251);
    assert_next_edge_consistent(230);
    assert_int_equal(pit_next_irq0_edge(&p, 251), 260);
}

static void test_reprogram_mid_period(void **state)
{
    (void)state;
    program(0, 2, 100, 0);                          /* mode 2: at the end of the period */
    write16(0, 10, 150);
    assert_int_equal(read16(0, 160), 100 - 59);
    assert_int_equal(read16(0, 201), 10);
    assert_int_equal(read16(0, 205), 6);
    assert_int_equal(pit_irq0_edges(&p, 221), 4);   /* 101, 201, 211, 221 */

    pit_reset(&p);
    program(0, 3, 100, 0);                          /* mode 3: at the end of the half-cycle */
    write16(0, 10, 20);
    assert_wave(0, 50, "100000111110");              /* low from 51 for 5, high from 56 */
    assert_int_equal(pit_irq0_edges(&p, 66), 2);    /* 56, 66 */

    pit_reset(&p);
    program(0, 0, 100, 0);                          /* mode 0: restarts */
    control(0x10, 50);
    pit_write(&p, PIT_PORT_COUNTER0, 10, 50);
    pit_write(&p, PIT_PORT_COUNTER0, 10, 55);
    assert_wave(0, 64, "0011");                     /* loaded at 56, high at 66 */

    pit_reset(&p);
    program(0, 4, 100, 0);                          /* mode 4: restarts */
    write16(0, 10, 50);
    assert_wave(0, 60, "10111");                     /* strobe at 61 */
    assert_int_equal(pit_irq0_edges(&p, 1000), 1);
}

static void test_fastest_rates(void **state)
{
    (void)state;
    program(0, 2, 2, 0);
    assert_wave(0, 1, "101010");
    assert_int_equal(pit_irq0_edges(&p, 1 + 2000000), 1000000);
    pit_reset(&p);
    program(0, 3, 2, 0);
    assert_int_equal(pit_irq0_edges(&p, 1 + 2000000), 1000000);
    pit_reset(&p);
    program(0, 3, 3, 0);                            /* odd: high 2, low 1 */
    assert_wave(0, 1, "110110");
    assert_int_equal(pit_irq0_edges(&p, 1 + 3000000), 1000000);
    pit_reset(&p);
    program(0, 2, 1, 0);                            /* illegal: OUT stays high */
    assert_true(pit_out(&p, 0, 5));
    assert_int_equal(pit_next_irq0_edge(&p, 5), PIT_NEVER);
    assert_int_equal(pit_irq0_edges(&p, 1000000), 0);
    program(0, 0, 1, 2000000);
    assert_wave(0, 2000000, "0011");
    program(0, 4, 1, 3000000);
    assert_wave(0, 3000000, "11011");
}

static void test_control_word_raising_out_is_an_edge(void **state)
{
    (void)state;
    program(0, 0, 100, 0);
    control(0x34, 50);                              /* mode 2: OUT high at once */
    assert_int_equal(pit_irq0_edges(&p, 50), 1);
    assert_int_equal(pit_next_irq0_edge(&p, 50), PIT_NEVER);   /* no count yet */
}

static void test_bios_state(void **state)
{
    (void)state;
    pit_start_as_bios(&p, 1000);
    assert_int_equal(status(0, 1001), 0xB4);        /* mode 2, LSB then MSB, binary */
    assert_int_equal(pit_next_irq0_edge(&p, 1001), 1001 + 65536);
    assert_int_equal(pit_irq0_edges(&p, 1001 + 65536 * 18ull), 18);
    assert_int_equal(status(2, 2000), 0x98);        /* counter 2: no count, not running */
}

static void test_time_does_not_go_back(void **state)
{
    (void)state;
    program(0, 2, 10, 100);
    assert_int_equal(read16(0, 105), 6);
    assert_int_equal(read16(0, 50), 6);             /* taken as 105 */
    assert_int_equal(pit_next_irq0_edge(&p, UINT64_MAX) > PIT_NOW_MAX, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mode0_interrupt_on_terminal_count, setup),
        cmocka_unit_test_setup(test_mode0_first_byte_stops_and_lowers_out, setup),
        cmocka_unit_test_setup(test_mode1_one_shot_through_gate2, setup),
        cmocka_unit_test_setup(test_mode1_and_5_never_fire_on_counter0, setup),
        cmocka_unit_test_setup(test_mode2_rate_generator, setup),
        cmocka_unit_test_setup(test_mode3_even_and_odd, setup),
        cmocka_unit_test_setup(test_mode4_software_strobe, setup),
        cmocka_unit_test_setup(test_mode5_hardware_strobe, setup),
        cmocka_unit_test_setup(test_count0_is_65536, setup),
        cmocka_unit_test_setup(test_bcd, setup),
        cmocka_unit_test_setup(test_lsb_msb_and_flip_flops, setup),
        cmocka_unit_test_setup(test_latch_holds_until_read, setup),
        cmocka_unit_test_setup(test_read_back_status_and_count, setup),
        cmocka_unit_test_setup(test_null_count, setup),
        cmocka_unit_test_setup(test_gate2_restarts_mode2_and_3, setup),
        cmocka_unit_test_setup(test_gate2_pauses_mode0, setup),
        cmocka_unit_test_setup(test_port_b, setup),
        cmocka_unit_test_setup(test_refresh_toggles_every_18_clocks, setup),
        cmocka_unit_test_setup(test_irq0_edges_exact_over_10_seconds, setup),
        cmocka_unit_test_setup(test_next_edge_matches_edges, setup),
        cmocka_unit_test_setup(test_reprogram_mid_period, setup),
        cmocka_unit_test_setup(test_fastest_rates, setup),
        cmocka_unit_test_setup(test_control_word_raising_out_is_an_edge, setup),
        cmocka_unit_test_setup(test_bios_state, setup),
        cmocka_unit_test_setup(test_time_does_not_go_back, setup),
    };
    return RUN_UNIT_TESTS("pit", tests);
}
