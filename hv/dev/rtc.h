/*
 * rtc.h: a VM's CMOS real-time clock and CMOS RAM, the Motorola MC146818A
 * a PC reaches at ports 0x70 (the index, with bit 7 the NMI mask) and 0x71
 * (the data) (issue 18). A pure model: the hypervisor (the I/O exit,
 * exit/vm_rtc.c) and the host unit tests (tests/unit/test_rtc.c) run it as
 * it is.
 *
 * Time is the caller's: `now` is seconds since 1970-01-01 00:00:00 UTC as
 * the VM's clock has it (the machine's clock at boot, then the VM's time),
 * and the model keeps only what the guest set the clock away from it
 * (struct rtc.offset). Each read of a time register works the date out of
 * now + offset, in BCD or binary and in 12- or 24-hour form as register B
 * says (MC146818A data sheet, "Time, Calendar and Alarm Locations"). While
 * B's SET bit is on the clock stands still for the guest, which writes the
 * new time; clearing SET takes it. The clock never shows an update in
 * progress (A's UIP is 0): the date it gives is whole at every read.
 *
 * Its interrupts (IRQ 8; dev/rtc_irq.c): the periodic one at register A's
 * rate, the alarm and the update-ended one, each a flag of register C
 * (PF, AF, UF) set whether or not its enable bit in B is (PIE, AIE, UIE),
 * and C's IRQF, the IRQ line, high while a flag is set with its enable;
 * reading C clears them all. Their time is the caller's too, in the
 * chip's own 32.768 kHz (rtc_advance). Not modelled: the 12-hour alarm
 * form (an hours alarm byte is compared as it is), and the divider's test
 * modes (DV other than 010 stops the interrupts, not the clock).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71
#define RTC_INDEX_NMI_DISABLE 0x80      /* port 0x70's bit 7 */

/* The registers (MC146818A) and the CMOS RAM places a PC's BIOS fills
 * (IBM PC/AT Technical Reference, "CMOS RAM Address Map"). */
enum {
    RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04, RTC_WEEKDAY = 0x06,
    RTC_DAY = 0x07, RTC_MONTH = 0x08, RTC_YEAR = 0x09,
    RTC_A = 0x0A, RTC_B = 0x0B, RTC_C = 0x0C, RTC_D = 0x0D,
    CMOS_EQUIPMENT = 0x14, CMOS_BASE_KIB = 0x15, CMOS_EXTENDED_KIB = 0x17,
    CMOS_CHECKSUM = 0x2E, CMOS_EXTENDED_KIB_POST = 0x30, CMOS_CENTURY = 0x32,
    CMOS_ABOVE_16M_64K = 0x34,
};
#define RTC_B_SET     0x80
#define RTC_B_BINARY  0x04              /* DM: binary, else BCD */
#define RTC_B_24HOUR  0x02
#define RTC_A_DEFAULT 0x26              /* 32.768 kHz time base, 1024 Hz rate */
#define RTC_A_RATE    0x0F              /* RS3-RS0 */
#define RTC_A_DV      0x70              /* the divider: 010 for a 32.768 kHz crystal */
#define RTC_A_DV_RUN  0x20
#define RTC_B_PIE     0x40              /* periodic interrupt enable */
#define RTC_B_AIE     0x20              /* alarm interrupt enable */
#define RTC_B_UIE     0x10              /* update-ended interrupt enable */
#define RTC_C_IRQF    0x80
#define RTC_C_PF      0x40
#define RTC_C_AF      0x20
#define RTC_C_UF      0x10
#define RTC_ALARM_ANY 0xC0              /* an alarm byte 0xC0-0xFF matches every value */
#define RTC_HZ        32768u            /* the time base: rtc_advance's ticks */
#define RTC_NEVER     UINT64_MAX
#define RTC_D_VRT     0x80              /* valid RAM and time: the battery is good */
#define RTC_PM        0x80              /* the hours' bit 7 in 12-hour form */

struct rtc {
    uint8_t index;                      /* port 0x70's bits 6:0 */
    bool nmi_disabled;                  /* port 0x70's bit 7 */
    uint8_t ram[128];                   /* 0x00-0x0D the clock's, the rest CMOS RAM */
    int64_t offset;                     /* seconds the guest set its clock from `now` */
    uint64_t ticks;                     /* the time its flags were brought to (rtc_advance) */
};

/* Power-on as a PC's BIOS leaves it: BCD, 24-hour, the time `now`; the
 * CMOS RAM saying 640 KiB of base memory and `ram_bytes` in all (the
 * extended-memory words, their checksum), a math coprocessor. */
void rtc_reset(struct rtc *r, uint64_t ram_bytes);

/* Port 0x70 (write; a read gives 0xFF, as on a PC where it is write-only). */
void rtc_write_index(struct rtc *r, uint8_t value);
/* Port 0x71 at time `now`. */
uint8_t rtc_read(struct rtc *r, int64_t now);
void rtc_write(struct rtc *r, uint8_t value, int64_t now);

/* The date the clock registers (0x00-0x09, the century at 0x32) hold, in
 * the form register B says, as seconds since 1970: what the guest set, or
 * another chip's registers copied in (exit/vm_rtc.c reads the machine's). */
int64_t rtc_registers_seconds(const struct rtc *r);

/* Seconds since 1970 of a date (y >= 1970), and back: the civil calendar's
 * (days_from_civil and civil_from_days of H. Hinnant's chrono notes). */
int64_t rtc_seconds_of(int y, unsigned mon, unsigned d, unsigned h, unsigned min, unsigned s);
struct rtc_date { int year; unsigned month, day, hour, minute, second, weekday; /* 1 = Sunday */ };
struct rtc_date rtc_date_of(int64_t seconds);

/* ---- IRQ 8 (dev/rtc_irq.c) ---- */

/* The time goes on to `ticks` (RTC_HZ a second, from the VM's start;
 * never back), `now` the same instant in seconds as rtc_read has it: the
 * periodic flag for each period of A's rate that ended, the update-ended
 * flag and the alarm's for each second. True while the IRQ line is high. */
bool rtc_advance(struct rtc *r, uint64_t ticks, int64_t now);

/* Is the IRQ line high (C's IRQF)? */
bool rtc_irq_line(const struct rtc *r);

/* When the line may next rise, in ticks: RTC_NEVER if no interrupt is
 * enabled, or the line is high already (only a read of C lowers it: a
 * guest that never reads it gets no more, as on a PC). */
uint64_t rtc_next_interrupt(const struct rtc *r);

/* IRQF worked out again from C's flags and B's enables (rtc.c: after a
 * write to B, and by rtc_advance). */
void rtc_update_irqf(struct rtc *r);
