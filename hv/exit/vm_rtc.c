/*
 * vm_rtc.c: a VM's CMOS clock under devices=virtual. See vm_rtc.h.
 */
#include "exit/vm_rtc.h"
#include "dev/pit.h"
#include "dev/pic.h"
#include "dev/rtc.h"
#include "exit/vm_ioapic.h"
#include "exit/vm_devices.h"
#include "guest/vm.h"
#include "exit/port_io.h"
#include "x86/x86.h"
#include "x86io.h"

#define UIP_WAIT 100000u                /* reads of register A before giving up on UIP */
#define RTC_IRQ 8                       /* a PC's: the slave PIC's line 0 */
#define PIC_CASCADE_IRQ 2

static uint8_t machine_cmos(uint8_t index)
{
    outb(RTC_PORT_INDEX, index);        /* bit 7 clear: the machine's NMIs stay as they were */
    return inb(RTC_PORT_DATA);
}

/* The machine's clock, in seconds since 1970, read once: outside an update
 * (register A's UIP clear, MC146818A "Update Cycle"), its registers copied
 * into a model that reads them as its B says. */
static int64_t machine_seconds(void)
{
    static const uint8_t fields[] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY, RTC_MONTH, RTC_YEAR,
                                      CMOS_CENTURY, RTC_B };
    static int64_t seconds = -1;
    if (seconds >= 0)
        return seconds;
    for (unsigned i = 0; i < UIP_WAIT && (machine_cmos(RTC_A) & 0x80); i++)
        cpu_relax();
    struct rtc machine = { 0 };
    for (unsigned i = 0; i < sizeof fields; i++)
        machine.ram[fields[i]] = machine_cmos(fields[i]);
    seconds = rtc_registers_seconds(&machine);
    return seconds;
}

/* The VM's time in seconds: the machine's at its start, then its PIT clock's. */
static int64_t seconds_at(const struct vm_devices *d, uint64_t pit)
{
    return d->rtc_start_seconds + (int64_t)(pit / PIT_HZ);
}

static int64_t now(const struct vm_devices *d)
{
    return seconds_at(d, vm_clock_pit_at(&d->clock, rdtsc()));
}

/* The line to the PIC (edge-triggered on a PC: IRQF's rise is the
 * interrupt) and to the I/O APIC's pin, when it changed. */
static void drive_line(struct vm_devices *d)
{
    bool line = rtc_irq_line(&d->rtc);
    if (line == d->rtc_line)
        return;
    d->rtc_line = line;
    pic_set_irq(&d->pic, RTC_IRQ, line);
    vm_ioapic_set_isa_irq(d, RTC_IRQ, line);
}

void vm_rtc_advance(struct vm_devices *d, uint64_t tsc)
{
    uint64_t pit = vm_clock_pit_at(&d->clock, tsc);
    /* The chip's 32.768 kHz ticks from the PIT's 1.193182 MHz ones: under
     * 2^64 for 15 years of the VM's time. */
    rtc_advance(&d->rtc, pit * RTC_HZ / PIT_HZ, seconds_at(d, pit));
    drive_line(d);
    uint64_t next = rtc_next_interrupt(&d->rtc);
    d->rtc_event_tsc = next == RTC_NEVER ? UINT64_MAX
                       : vm_clock_tsc_at(&d->clock, (next * PIT_HZ + RTC_HZ - 1) / RTC_HZ);
}

bool vm_rtc_irq_can_come(const struct vm_devices *d)
{
    bool open = (!pic_irq_masked(&d->pic, RTC_IRQ) && !pic_irq_masked(&d->pic, PIC_CASCADE_IRQ)) ||
                vm_ioapic_isa_irq_open(d, RTC_IRQ);
    return open && d->rtc_event_tsc != UINT64_MAX;
}

void vm_rtc_start(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    d->rtc_start_seconds = machine_seconds();
    rtc_reset(&d->rtc, v->guest->ram_size);
    d->rtc_event_tsc = UINT64_MAX;                  /* no interrupt enabled */
    d->rtc_line = false;
}

bool vm_rtc_exit(struct vcpu *v, const struct io_qual *io)
{
    if (io->size != 1 || (io->port != RTC_PORT_INDEX && io->port != RTC_PORT_DATA))
        return false;
    struct vm_devices *d = v->vm->devices;
    vm_rtc_advance(d, rdtsc());                     /* register C as of now */
    if (io->in) {
        uint8_t value = io->port == RTC_PORT_DATA ? rtc_read(&d->rtc, now(d)) : 0xFF;   /* 0x70: write-only */
        io_in_result(v, io, value);
    } else if (io->port == RTC_PORT_INDEX) {
        rtc_write_index(&d->rtc, (uint8_t)io_out_value(v, io));
    } else {
        rtc_write(&d->rtc, (uint8_t)io_out_value(v, io), now(d));
    }
    vm_rtc_advance(d, rdtsc());                     /* the line after a read of C or a new rate */
    advance_rip(v);
    return true;
}
