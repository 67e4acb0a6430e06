/*
 * vm_rtc.c: a VM's CMOS clock under devices=virtual. See vm_rtc.h.
 */
#include "exit/vm_rtc.h"
#include "dev/pit.h"
#include "dev/rtc.h"
#include "exit/vm_devices.h"
#include "guest/vm.h"
#include "vmx/exit_info.h"
#include "x86/x86.h"
#include "x86io.h"

#define UIP_WAIT 100000u                /* reads of register A before giving up on UIP */

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
static int64_t now(const struct vm_devices *d)
{
    return d->rtc_start_seconds + (int64_t)(vm_clock_pit_at(&d->clock, rdtsc()) / PIT_HZ);
}

void vm_rtc_start(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    d->rtc_start_seconds = machine_seconds();
    rtc_reset(&d->rtc, v->guest->ram_size);
}

bool vm_rtc_exit(struct vcpu *v)
{
    struct io_qual io = io_qual_decode(v->exit_qualification);
    if (io.string || io.size != 1 || (io.port != RTC_PORT_INDEX && io.port != RTC_PORT_DATA))
        return false;
    struct vm_devices *d = v->vm->devices;
    if (io.in) {
        uint8_t value = io.port == RTC_PORT_DATA ? rtc_read(&d->rtc, now(d)) : 0xFF;   /* 0x70: write-only */
        v->regs.rax = (v->regs.rax & ~0xFFull) | value;
    } else if (io.port == RTC_PORT_INDEX) {
        rtc_write_index(&d->rtc, (uint8_t)v->regs.rax);
    } else {
        rtc_write(&d->rtc, (uint8_t)v->regs.rax, now(d));
    }
    advance_rip(v);
    return true;
}
