/*
 * rtc_irq.c: the MC146818A's interrupts, IRQ 8 on a PC. See rtc.h.
 *
 * MC146818A data sheet, "Interrupts" and "Register C": PF is set at the
 * end of each period of the rate RS3-RS0 selects from the 32.768 kHz time
 * base (none for 0; 256 Hz and 128 Hz for 1 and 2; 65536 >> RS Hz for 3-15),
 * UF at the end of each update cycle (once a second, while SET is off),
 * AF then too when the seconds, minutes and hours equal the alarm's, an
 * alarm byte 0xC0-0xFF matching any value. IRQF is set, and the IRQ pin
 * driven, while any flag is set with its enable; reading C clears them all.
 */
#include "dev/rtc.h"

#define ALARM_SECONDS 0x01
#define ALARM_MINUTES 0x03
#define ALARM_HOURS   0x05

static bool divider_runs(const struct rtc *r)
{
    return (r->ram[RTC_A] & RTC_A_DV) == RTC_A_DV_RUN;
}

/* The periodic interrupt's period in ticks, or 0: none. */
static uint64_t period(const struct rtc *r)
{
    unsigned rate = r->ram[RTC_A] & RTC_A_RATE;
    if (!rate || !divider_runs(r))
        return 0;
    return rate <= 2 ? 1ull << (rate + 6) : 1ull << (rate - 1);
}

static bool updates(const struct rtc *r)
{
    return divider_runs(r) && !(r->ram[RTC_B] & RTC_B_SET);
}

static bool alarm_matches(uint8_t alarm, uint8_t value)
{
    return (alarm & RTC_ALARM_ANY) == RTC_ALARM_ANY || alarm == value;
}

bool rtc_advance(struct rtc *r, uint64_t ticks, int64_t now)
{
    if (ticks <= r->ticks)
        return rtc_irq_line(r);
    uint64_t p = period(r);
    if (p && ticks / p != r->ticks / p)
        r->ram[RTC_C] |= RTC_C_PF;
    if (updates(r) && ticks / RTC_HZ != r->ticks / RTC_HZ) {
        r->ram[RTC_C] |= RTC_C_UF;
        uint8_t saved = r->index;               /* the time registers as the guest would read them now */
        uint8_t time[3];
        static const uint8_t fields[3] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS };
        for (unsigned i = 0; i < 3; i++) {
            r->index = fields[i];
            time[i] = rtc_read(r, now);
        }
        r->index = saved;
        if (alarm_matches(r->ram[ALARM_SECONDS], time[0]) && alarm_matches(r->ram[ALARM_MINUTES], time[1]) &&
            alarm_matches(r->ram[ALARM_HOURS], time[2]))
            r->ram[RTC_C] |= RTC_C_AF;
    }
    r->ticks = ticks;
    rtc_update_irqf(r);
    return rtc_irq_line(r);
}

bool rtc_irq_line(const struct rtc *r)
{
    return r->ram[RTC_C] & RTC_C_IRQF;
}

uint64_t rtc_next_interrupt(const struct rtc *r)
{
    if (rtc_irq_line(r))
        return RTC_NEVER;
    uint64_t next = RTC_NEVER, p = period(r);
    uint8_t b = r->ram[RTC_B];
    if (p && (b & RTC_B_PIE))
        next = (r->ticks / p + 1) * p;
    if (updates(r) && (b & (RTC_B_AIE | RTC_B_UIE))) {
        uint64_t second = (r->ticks / RTC_HZ + 1) * RTC_HZ;
        if (second < next)
            next = second;
    }
    return next;
}
