/*
 * rtc.c: the MC146818A real-time clock and CMOS RAM, a pure model. See
 * rtc.h.
 */
#include "dev/rtc.h"

#define KIB 1024ull

static const uint8_t time_fields[] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_WEEKDAY,
                                       RTC_DAY, RTC_MONTH, RTC_YEAR, CMOS_CENTURY };

static bool is_time_field(unsigned index)
{
    for (unsigned i = 0; i < sizeof time_fields; i++)
        if (time_fields[i] == index)
            return true;
    return false;
}

/* ---- the calendar ---- */

int64_t rtc_seconds_of(int y, unsigned mon, unsigned d, unsigned h, unsigned min, unsigned s)
{
    y -= mon <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + min * 60 + s;
}

struct rtc_date rtc_date_of(int64_t seconds)
{
    int64_t days = seconds / 86400, rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days--;
    }
    struct rtc_date t = { .hour = (unsigned)(rest / 3600), .minute = (unsigned)(rest / 60 % 60),
                          .second = (unsigned)(rest % 60),
                          .weekday = (unsigned)(((days + 4) % 7 + 7) % 7) + 1 };   /* 1970-01-01: a Thursday */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    t.day = doy - (153 * mp + 2) / 5 + 1;
    t.month = mp < 10 ? mp + 3 : mp - 9;
    t.year = (int)(yoe + era * 400) + (t.month <= 2);
    return t;
}

/* ---- the registers' forms ---- */

static uint8_t encode(const struct rtc *r, unsigned v)
{
    return (uint8_t)((r->ram[RTC_B] & RTC_B_BINARY) ? v : (v / 10) << 4 | v % 10);
}

static unsigned decode(const struct rtc *r, uint8_t v)
{
    return (r->ram[RTC_B] & RTC_B_BINARY) ? v : (v >> 4) * 10 + (v & 0xF);
}

static uint8_t encode_hour(const struct rtc *r, unsigned h)
{
    if (r->ram[RTC_B] & RTC_B_24HOUR)
        return encode(r, h);
    return (uint8_t)(encode(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_PM : 0));
}

static unsigned decode_hour(const struct rtc *r, uint8_t v)
{
    if (r->ram[RTC_B] & RTC_B_24HOUR)
        return decode(r, v);
    return decode(r, v & 0x7F) % 12 + ((v & RTC_PM) ? 12 : 0);
}

/* The clock's date into its registers (what the guest reads while SET holds it). */
static void show(struct rtc *r, int64_t now)
{
    struct rtc_date t = rtc_date_of(now + r->offset);
    r->ram[RTC_SECONDS] = encode(r, t.second);
    r->ram[RTC_MINUTES] = encode(r, t.minute);
    r->ram[RTC_HOURS] = encode_hour(r, t.hour);
    r->ram[RTC_WEEKDAY] = encode(r, t.weekday);
    r->ram[RTC_DAY] = encode(r, t.day);
    r->ram[RTC_MONTH] = encode(r, t.month);
    r->ram[RTC_YEAR] = encode(r, (unsigned)(t.year % 100));
    r->ram[CMOS_CENTURY] = encode(r, (unsigned)(t.year / 100 % 100));   /* two digits: year 10000 wraps */
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The date its registers hold, in the form B says. A field out of its
 * range counts as the nearest in range: the chip would count on from
 * nonsense, a guest learns nothing from either. */
int64_t rtc_registers_seconds(const struct rtc *r)
{
    unsigned century = decode(r, r->ram[CMOS_CENTURY]), year = clamp(decode(r, r->ram[RTC_YEAR]), 0, 99);
    if (century < 19 || century > 99)
        century = year >= 70 ? 19 : 20;
    int64_t t = rtc_seconds_of((int)(century * 100 + year), clamp(decode(r, r->ram[RTC_MONTH]), 1, 12),
                               clamp(decode(r, r->ram[RTC_DAY]), 1, 31),
                               clamp(decode_hour(r, r->ram[RTC_HOURS]), 0, 23),
                               clamp(decode(r, r->ram[RTC_MINUTES]), 0, 59),
                               clamp(decode(r, r->ram[RTC_SECONDS]), 0, 59));
    return t;
}

/* The date in its registers becomes the clock's (SET cleared, or a field
 * written while it runs). */
static void take(struct rtc *r, int64_t now)
{
    r->offset = rtc_registers_seconds(r) - now;
}

/* ---- the ports ---- */

static void put16(struct rtc *r, unsigned at, uint64_t v)
{
    uint16_t w = v > 0xFFFF ? 0xFFFF : (uint16_t)v;
    r->ram[at] = (uint8_t)w;
    r->ram[at + 1] = (uint8_t)(w >> 8);
}

void rtc_reset(struct rtc *r, uint64_t ram_bytes)
{
    *r = (struct rtc){ 0 };
    r->ram[RTC_A] = RTC_A_DEFAULT;
    r->ram[RTC_B] = RTC_B_24HOUR;
    r->ram[RTC_D] = RTC_D_VRT;
    r->ram[CMOS_EQUIPMENT] = 0x02;                  /* a math coprocessor, no floppy, VGA */
    put16(r, CMOS_BASE_KIB, 640);
    uint64_t above_1m = ram_bytes > KIB * KIB ? ram_bytes / KIB - KIB : 0;
    put16(r, CMOS_EXTENDED_KIB, above_1m);
    put16(r, CMOS_EXTENDED_KIB_POST, above_1m);
    put16(r, CMOS_ABOVE_16M_64K, ram_bytes > 16 * KIB * KIB ? (ram_bytes - 16 * KIB * KIB) / (64 * KIB) : 0);
    unsigned sum = 0;                               /* 0x10-0x2D, high byte first */
    for (unsigned i = 0x10; i < CMOS_CHECKSUM; i++)
        sum += r->ram[i];
    r->ram[CMOS_CHECKSUM] = (uint8_t)(sum >> 8);
    r->ram[CMOS_CHECKSUM + 1] = (uint8_t)sum;
}

void rtc_update_irqf(struct rtc *r)
{
    uint8_t flags = r->ram[RTC_C] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);
    bool irq = flags & r->ram[RTC_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);   /* the same bit places */
    r->ram[RTC_C] = (uint8_t)(flags | (irq ? RTC_C_IRQF : 0));
}

void rtc_write_index(struct rtc *r, uint8_t value)
{
    r->index = value & 0x7F;
    r->nmi_disabled = value & RTC_INDEX_NMI_DISABLE;
}

uint8_t rtc_read(struct rtc *r, int64_t now)
{
    if (is_time_field(r->index) && !(r->ram[RTC_B] & RTC_B_SET))
        show(r, now);
    if (r->index == RTC_C) {
        uint8_t flags = r->ram[RTC_C];              /* read, then cleared: the line falls */
        r->ram[RTC_C] = 0;
        return flags;
    }
    return r->ram[r->index];
}

void rtc_write(struct rtc *r, uint8_t value, int64_t now)
{
    bool running = !(r->ram[RTC_B] & RTC_B_SET);
    switch (r->index) {
    case RTC_A:
        r->ram[RTC_A] = value & 0x7F;               /* UIP is read-only */
        return;
    case RTC_B:
        if (running && (value & RTC_B_SET))
            show(r, now);                           /* held: the guest reads and writes this date */
        r->ram[RTC_B] = value;
        if (!running && !(value & RTC_B_SET))
            take(r, now);
        rtc_update_irqf(r);                         /* an enable on a flag set raises the line */
        return;
    case RTC_C: case RTC_D:
        return;                                     /* read-only */
    }
    if (is_time_field(r->index) && running) {
        show(r, now);
        r->ram[r->index] = value;
        take(r, now);
        return;
    }
    r->ram[r->index] = value;
}
