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
 * Not modelled yet: the periodic, alarm and update-ended interrupts (IRQ 8;
 * B's PIE, AIE and UIE bits are kept, C reads 0) and the 12-hour alarm
 * form.
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
#define RTC_D_VRT     0x80              /* valid RAM and time: the battery is good */
#define RTC_PM        0x80              /* the hours' bit 7 in 12-hour form */

struct rtc {
    uint8_t index;                      /* port 0x70's bits 6:0 */
    bool nmi_disabled;                  /* port 0x70's bit 7 */
    uint8_t ram[128];                   /* 0x00-0x0D the clock's, the rest CMOS RAM */
    int64_t offset;                     /* seconds the guest set its clock from `now` */
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
