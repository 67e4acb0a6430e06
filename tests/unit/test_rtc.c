/*
 * test_rtc.c: hv/dev/rtc.c, the CMOS clock and RAM at ports 0x70/0x71:
 * the date in BCD and binary, 24- and 12-hour form, the guest setting it
 * (SET), the CMOS RAM a BIOS fills, and the calendar against known dates.
 */
#include "unit.h"
#include "dev/rtc.h"

#define Y2K 946684800                   /* 2000-01-01 00:00:00 UTC, a Saturday */

static struct rtc r;

static uint8_t get(uint8_t index, int64_t now)
{
    rtc_write_index(&r, index);
    return rtc_read(&r, now);
}

static void set(uint8_t index, uint8_t value, int64_t now)
{
    rtc_write_index(&r, index);
    rtc_write(&r, value, now);
}

static int setup(void **state)
{
    (void)state;
    rtc_reset(&r, 64ull << 20);
    return 0;
}

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(rtc_seconds_of(1970, 1, 1, 0, 0, 0), 0);
    assert_int_equal(rtc_seconds_of(2000, 1, 1, 0, 0, 0), Y2K);
    assert_int_equal(rtc_seconds_of(2000, 3, 1, 0, 0, 0), Y2K + 60 * 86400);   /* 2000 was a leap year */
    assert_int_equal(rtc_seconds_of(2038, 1, 19, 3, 14, 8), 2147483648);
    struct rtc_date t = rtc_date_of(Y2K);
    assert_int_equal(t.year, 2000);
    assert_int_equal(t.month, 1);
    assert_int_equal(t.day, 1);
    assert_int_equal(t.weekday, 7);
    assert_int_equal(rtc_date_of(0).weekday, 5);    /* a Thursday */
    for (int64_t s = 0; s < (1ll << 34); s += 86400 * 37 + 3671) {
        struct rtc_date d = rtc_date_of(s);
        assert_int_equal(rtc_seconds_of(d.year, d.month, d.day, d.hour, d.minute, d.second), s);
    }
}

static void test_bcd_24_hour(void **state)
{
    (void)state;
    int64_t now = Y2K + 13 * 3600 + 61;
    assert_int_equal(get(RTC_SECONDS, now), 0x01);
    assert_int_equal(get(RTC_MINUTES, now), 0x01);
    assert_int_equal(get(RTC_HOURS, now), 0x13);
    assert_int_equal(get(RTC_WEEKDAY, now), 7);
    assert_int_equal(get(RTC_DAY, now), 0x01);
    assert_int_equal(get(RTC_MONTH, now), 0x01);
    assert_int_equal(get(RTC_YEAR, now), 0x00);
    assert_int_equal(get(CMOS_CENTURY, now), 0x20);
    assert_int_equal(get(RTC_SECONDS, now + 59), 0x00);     /* the clock goes on */
    assert_int_equal(get(RTC_MINUTES, now + 59), 0x02);
}

static void test_binary_and_12_hour(void **state)
{
    (void)state;
    int64_t now = Y2K + 13 * 3600 + 45 * 60;
    set(RTC_B, RTC_B_BINARY | RTC_B_24HOUR, now);
    assert_int_equal(get(RTC_HOURS, now), 13);
    assert_int_equal(get(RTC_MINUTES, now), 45);
    set(RTC_B, 0, now);                                      /* BCD, 12-hour */
    assert_int_equal(get(RTC_HOURS, now), RTC_PM | 0x01);
    assert_int_equal(get(RTC_HOURS, Y2K), 0x12);             /* midnight: 12 AM */
    assert_int_equal(get(RTC_HOURS, Y2K + 12 * 3600), RTC_PM | 0x12);
}

/* SET holds the clock while the guest writes the date; clearing it takes
 * the date, which then runs on. */
static void test_guest_sets_the_clock(void **state)
{
    (void)state;
    int64_t now = Y2K;
    set(RTC_B, RTC_B_SET | RTC_B_24HOUR, now);
    assert_int_equal(get(RTC_SECONDS, now + 5), 0x00);      /* held */
    set(RTC_YEAR, 0x24, now);
    set(RTC_MONTH, 0x12, now);
    set(RTC_DAY, 0x31, now);
    set(RTC_HOURS, 0x23, now);
    set(RTC_MINUTES, 0x59, now);
    set(RTC_SECONDS, 0x58, now);
    set(RTC_B, RTC_B_24HOUR, now + 10);
    int64_t later = now + 13;                                /* 3 s after: 2025-01-01 00:00:01 */
    assert_int_equal(get(RTC_SECONDS, later), 0x01);
    assert_int_equal(get(RTC_DAY, later), 0x01);
    assert_int_equal(get(RTC_MONTH, later), 0x01);
    assert_int_equal(get(RTC_YEAR, later), 0x25);
    assert_int_equal(get(CMOS_CENTURY, later), 0x20);
    assert_int_equal(get(RTC_WEEKDAY, later), 4);            /* a Wednesday */
    set(RTC_MINUTES, 0x30, later);                           /* one field, while it runs */
    assert_int_equal(get(RTC_MINUTES, later + 1), 0x30);
    assert_int_equal(get(RTC_SECONDS, later + 1), 0x02);
}

static void test_status_registers(void **state)
{
    (void)state;
    assert_int_equal(get(RTC_A, Y2K), RTC_A_DEFAULT);
    set(RTC_A, 0xFF, Y2K);
    assert_int_equal(get(RTC_A, Y2K), 0x7F);                 /* UIP is read-only, and 0 */
    assert_int_equal(get(RTC_C, Y2K), 0);
    set(RTC_D, 0, Y2K);
    assert_int_equal(get(RTC_D, Y2K), RTC_D_VRT);            /* read-only */
    rtc_write_index(&r, RTC_INDEX_NMI_DISABLE | RTC_SECONDS);
    assert_true(r.nmi_disabled);
    assert_int_equal(r.index, RTC_SECONDS);
}

static void test_cmos_ram(void **state)
{
    (void)state;
    assert_int_equal(get(CMOS_BASE_KIB, 0) | get(CMOS_BASE_KIB + 1, 0) << 8, 640);
    assert_int_equal(get(CMOS_EXTENDED_KIB, 0) | get(CMOS_EXTENDED_KIB + 1, 0) << 8, 63 * 1024);
    assert_int_equal(get(CMOS_EXTENDED_KIB_POST, 0) | get(CMOS_EXTENDED_KIB_POST + 1, 0) << 8, 63 * 1024);
    assert_int_equal(get(CMOS_ABOVE_16M_64K, 0) | get(CMOS_ABOVE_16M_64K + 1, 0) << 8, 48 * 16);
    unsigned sum = 0;
    for (uint8_t i = 0x10; i < CMOS_CHECKSUM; i++)
        sum += get(i, 0);
    assert_int_equal(get(CMOS_CHECKSUM, 0) << 8 | get(CMOS_CHECKSUM + 1, 0), sum);
    set(0x50, 0xA5, 0);                                      /* plain RAM */
    assert_int_equal(get(0x50, 0), 0xA5);
    rtc_reset(&r, 4ull << 30);                               /* the words saturate */
    assert_int_equal(get(CMOS_EXTENDED_KIB, 0) | get(CMOS_EXTENDED_KIB + 1, 0) << 8, 0xFFFF);
}

/* Periodic interrupts over one second of the time base, counted as the
 * rises of the line a guest that reads C after each would see. */
static unsigned periodic_in_a_second(uint8_t rate, bool read_c)
{
    rtc_reset(&r, 64ull << 20);
    set(RTC_A, (uint8_t)(RTC_A_DV_RUN | rate), Y2K);
    set(RTC_B, RTC_B_24HOUR | RTC_B_PIE, Y2K);
    unsigned rises = 0;
    bool line = false;
    for (uint64_t t = 1; t <= RTC_HZ; t++) {
        bool now_line = rtc_advance(&r, t, Y2K);
        rises += now_line && !line;
        line = now_line;
        if (line && read_c) {
            /* at the second's end UF too (and AF: the alarm bytes, 0, say midnight) */
            assert_int_equal(get(RTC_C, Y2K) & (RTC_C_IRQF | RTC_C_PF), RTC_C_IRQF | RTC_C_PF);
            line = rtc_irq_line(&r);
            assert_false(line);
        }
    }
    return rises;
}

static void test_periodic_rates(void **state)
{
    (void)state;
    assert_int_equal(periodic_in_a_second(6, true), 1024);   /* the BIOS's rate */
    assert_int_equal(periodic_in_a_second(3, true), 8192);
    assert_int_equal(periodic_in_a_second(15, true), 2);
    assert_int_equal(periodic_in_a_second(1, true), 256);    /* 1 and 2: 256 and 128 Hz */
    assert_int_equal(periodic_in_a_second(2, true), 128);
    assert_int_equal(periodic_in_a_second(0, true), 0);      /* rate 0: none */
    assert_int_equal(periodic_in_a_second(6, false), 1);     /* C never read: the line stays up */
    assert_int_equal(rtc_next_interrupt(&r), RTC_NEVER);     /* and nothing more is due */
}

static void test_periodic_flag_without_enable(void **state)
{
    (void)state;
    set(RTC_A, RTC_A_DV_RUN | 15, Y2K);                      /* 2 Hz, PIE off */
    assert_int_equal(rtc_next_interrupt(&r), RTC_NEVER);
    assert_false(rtc_advance(&r, RTC_HZ / 2, Y2K));
    assert_int_equal(r.ram[RTC_C], RTC_C_PF);                /* the flag, no IRQF */
    set(RTC_B, RTC_B_24HOUR | RTC_B_PIE, Y2K);               /* enabled on a flag set: the line rises */
    assert_true(rtc_irq_line(&r));
    assert_int_equal(get(RTC_C, Y2K), RTC_C_IRQF | RTC_C_PF);
    assert_int_equal(get(RTC_C, Y2K), 0);                    /* cleared by the read */
    assert_int_equal(rtc_next_interrupt(&r), RTC_HZ);        /* the next half second's end */
    set(RTC_A, 0x60 | 15, Y2K);                              /* the divider held in reset: none */
    assert_int_equal(rtc_next_interrupt(&r), RTC_NEVER);
    assert_false(rtc_advance(&r, 4 * RTC_HZ, Y2K + 4));
}

static void test_update_and_alarm(void **state)
{
    (void)state;
    int64_t t0 = rtc_seconds_of(2024, 12, 31, 23, 59, 50);
    set(0x01, 0x55, t0);                                     /* alarm at hh:mm:55, any hour and minute */
    set(0x03, 0xC0, t0);
    set(0x05, 0xFF, t0);
    set(RTC_B, RTC_B_24HOUR | RTC_B_UIE | RTC_B_AIE, t0);
    assert_int_equal(rtc_next_interrupt(&r), RTC_HZ);
    unsigned updates = 0, alarms = 0;
    for (unsigned s = 1; s <= 10; s++) {
        assert_true(rtc_advance(&r, s * RTC_HZ, t0 + s));    /* each second: the update's end */
        uint8_t c = get(RTC_C, t0 + s);
        updates += (c & RTC_C_UF) != 0;
        alarms += (c & RTC_C_AF) != 0;
        if (c & RTC_C_AF)
            assert_int_equal(get(RTC_SECONDS, t0 + s), 0x55);
    }
    assert_int_equal(updates, 10);
    assert_int_equal(alarms, 1);
    set(0x05, 0x03, t0);                                     /* at 03:xx:55 only: not today */
    for (unsigned s = 11; s <= 80; s++) {
        rtc_advance(&r, s * RTC_HZ, t0 + s);
        assert_int_equal(get(RTC_C, t0 + s) & RTC_C_AF, 0);
    }
    set(RTC_B, RTC_B_24HOUR | RTC_B_UIE | RTC_B_SET, t0);    /* SET: no update cycles */
    assert_false(rtc_advance(&r, 90 * RTC_HZ, t0 + 90));
    assert_int_equal(rtc_next_interrupt(&r), RTC_NEVER);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_calendar),
        T(test_bcd_24_hour),
        T(test_binary_and_12_hour),
        T(test_guest_sets_the_clock),
        T(test_status_registers),
        T(test_cmos_ram),
        T(test_periodic_rates),
        T(test_periodic_flag_without_enable),
        T(test_update_and_alarm),
    };
    return RUN_UNIT_TESTS("rtc", tests);
}
