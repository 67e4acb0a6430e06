/*
 * fuzz_rtc.c: hv/dev/rtc.c, the CMOS clock and RAM, on arbitrary scripts
 * of what a guest can do at ports 0x70 and 0x71 while time goes on.
 *
 * The input is a script, one step per byte (a write takes the next byte as
 * its value; a time step the next four as seconds); the low two bits of a
 * step's byte say what it is:
 *   0  port 0x70 written with the next byte;
 *   1  port 0x71 written with the next byte;
 *   2  port 0x71 read;
 *   3  time goes on: by the next four bytes' seconds (up to ~136 years),
 *      or with bit 2 set, by their ticks of the 32.768 kHz time base (up to
 *      ~36 hours), which the interrupt flags are brought to after each step.
 * The clock starts at a date of the next four bytes. After every step:
 *   - A's UIP reads 0, D reads VRT alone; C holds only PF, AF, UF and
 *     IRQF, IRQF exactly when a flag is set with its enable in B, and the
 *     IRQ line is IRQF; the next interrupt is never while the line is
 *     high (no storm), else after now; a read of C clears it;
 *   - the index stays within 0-0x7F;
 *   - while SET is off, every time register reads a valid date in the
 *     form B asks for (BCD digits below 10, seconds and minutes below 60,
 *     hours 0-23 or 1-12 with the PM bit, day 1-31, month 1-12, weekday
 *     1-7), and the date it reads is the calendar's for now + the offset
 *     the guest set;
 *   - the calendar turns a date into seconds and back unchanged.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/rtc.h"

static unsigned value_of(const struct rtc *r, uint8_t v, bool *ok)
{
    if (r->ram[RTC_B] & RTC_B_BINARY)
        return v;
    *ok = *ok && (v & 0xF) < 10 && (v >> 4) < 10;
    return (v >> 4) * 10 + (v & 0xF);
}

static uint8_t peek(struct rtc *r, uint8_t index, int64_t now)
{
    uint8_t saved = r->index;
    r->index = index;
    uint8_t v = rtc_read(r, now);
    r->index = saved;
    return v;
}

static void check(struct rtc *r, int64_t now)
{
    FUZZ_CHECK(r->index < 0x80, "index 0x%x", r->index);
    FUZZ_CHECK(!(peek(r, RTC_A, now) & 0x80), "UIP set");
    uint8_t flags = r->ram[RTC_C];
    FUZZ_CHECK(!(flags & 0x0F), "C holds 0x%02x", flags);
    FUZZ_CHECK(!!(flags & RTC_C_IRQF) == !!(flags & r->ram[RTC_B] & 0x70), "C 0x%02x with B 0x%02x", flags,
               r->ram[RTC_B]);
    FUZZ_CHECK(rtc_irq_line(r) == !!(flags & RTC_C_IRQF), "the line is not IRQF");
    uint64_t next = rtc_next_interrupt(r);
    FUZZ_CHECK(rtc_irq_line(r) ? next == RTC_NEVER : next > r->ticks, "next interrupt %llu at %llu",
               (unsigned long long)next, (unsigned long long)r->ticks);
    FUZZ_CHECK(peek(r, RTC_D, now) == RTC_D_VRT, "D reads 0x%02x", peek(r, RTC_D, now));
    if (r->ram[RTC_B] & RTC_B_SET)
        return;
    bool ok = true;
    unsigned s = value_of(r, peek(r, RTC_SECONDS, now), &ok), mi = value_of(r, peek(r, RTC_MINUTES, now), &ok);
    uint8_t hv = peek(r, RTC_HOURS, now);
    unsigned h;
    if (r->ram[RTC_B] & RTC_B_24HOUR) {
        h = value_of(r, hv, &ok);
        ok = ok && h < 24;
    } else {
        unsigned h12 = value_of(r, hv & 0x7F, &ok);
        ok = ok && h12 >= 1 && h12 <= 12;
        h = h12 % 12 + ((hv & RTC_PM) ? 12 : 0);
    }
    unsigned wd = value_of(r, peek(r, RTC_WEEKDAY, now), &ok), d = value_of(r, peek(r, RTC_DAY, now), &ok);
    unsigned mo = value_of(r, peek(r, RTC_MONTH, now), &ok), y = value_of(r, peek(r, RTC_YEAR, now), &ok);
    unsigned c = value_of(r, peek(r, CMOS_CENTURY, now), &ok);
    FUZZ_CHECK(ok && s < 60 && mi < 60 && wd >= 1 && wd <= 7 && d >= 1 && d <= 31 && mo >= 1 && mo <= 12 && y < 100,
               "a time register out of range: %u-%u-%u %u:%u:%u weekday %u (B 0x%02x)", c * 100 + y, mo, d, h,
               mi, s, wd, r->ram[RTC_B]);
    struct rtc_date t = rtc_date_of(now + r->offset);
    if (t.year >= 0)
        FUZZ_CHECK((int)(c * 100 + y) == t.year % 10000 && mo == t.month && d == t.day && h == t.hour &&
                   mi == t.minute && s == t.second && wd == t.weekday,
                   "reads %u-%u-%u %u:%u:%u, the calendar says %d-%u-%u %u:%u:%u", c * 100 + y, mo, d, h, mi,
                   s, t.year, t.month, t.day, t.hour, t.minute, t.second);
    FUZZ_CHECK(rtc_seconds_of(t.year, t.month, t.day, t.hour, t.minute, t.second) == now + r->offset,
               "the calendar does not turn %ld back", (long)(now + r->offset));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct rtc r;
    rtc_reset(&r, fuzz_take(&in, 4) << 12);
    int64_t now0 = (int64_t)fuzz_take(&in, 4), now = now0;
    uint64_t ticks = 0;
    check(&r, now);
    while (in.pos < in.size) {
        uint8_t step = (uint8_t)fuzz_take(&in, 1);
        switch (step & 3) {
        case 0: rtc_write_index(&r, (uint8_t)fuzz_take(&in, 1)); break;
        case 1: rtc_write(&r, (uint8_t)fuzz_take(&in, 1), now); break;
        case 2: {
            bool was_c = r.index == RTC_C;
            (void)rtc_read(&r, now);
            FUZZ_CHECK(!was_c || (r.ram[RTC_C] == 0 && !rtc_irq_line(&r)), "C not cleared by its read");
            break;
        }
        case 3:
            if (step & 4) {
                ticks += fuzz_take(&in, 4);
                now = now0 + (int64_t)(ticks / RTC_HZ);
            } else {
                uint64_t seconds = fuzz_take(&in, 4);
                now += (int64_t)seconds;
                ticks += seconds * RTC_HZ;
            }
            break;
        }
        rtc_advance(&r, ticks, now);
        check(&r, now);
    }
    return 0;
}
