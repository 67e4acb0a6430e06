/*
 * attacks_rtc_irq.c: the CMOS clock's IRQ 8 under devices=virtual
 * (hv/dev/rtc_irq.c, hv/exit/vm_rtc.c): its periodic interrupt counted
 * over a known span of the VM's PIT time at a few rates of register A
 * (MC146818A data sheet: 65536 >> RS Hz), through the slave PIC's line 0
 * as a PC kernel takes it; rate 0, which gives none; and a guest that never
 * reads register C, whose line stays high: one interrupt, no storm, until
 * C is read.
 */
#include <stdbool.h>
#include "attack.h"
#include "fmt.h"

extern char timer_stub[];                        /* ../common/entry.S: counts timer_ticks */
extern volatile uint32_t timer_ticks;
extern char rtc_irq_stub[], spurious_irq15_stub[];
volatile uint32_t rtc_irqs, rtc_irq_reads_c, spurious_irq15s;

/* IRQ 8's handler: counts, reads register C if told to (which lowers the
 * line), and ends the interrupt at both PICs. */
__asm__(".text\n"
        ".globl rtc_irq_stub\n"
        "rtc_irq_stub:\n"
        "    pushl %eax\n"
        "    incl rtc_irqs\n"
        "    cmpl $0, rtc_irq_reads_c\n"
        "    je 1f\n"
        "    movb $0x0C, %al\n"
        "    outb %al, $0x70\n"
        "    inb $0x71, %al\n"
        "1:  movb $0x20, %al\n"
        "    outb %al, $0xA0\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    iret\n"
        /* The slave's default IR7, when a request went away before the
         * acknowledge (8259A data sheet): the master's IR2 is in service,
         * the slave's nothing. */
        ".globl spurious_irq15_stub\n"
        "spurious_irq15_stub:\n"
        "    pushl %eax\n"
        "    incl spurious_irq15s\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    iret\n");

#define PIT_HZ 1193182
#define TICK_HZ 100                               /* the PIT: 10 ms of the VM's time a tick */

static uint8_t cmos(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_set(uint8_t index, uint8_t value)
{
    outb(0x70, index);
    outb(0x71, value);
}

/* The PICs at 0x20 and 0x28, IRQ 0 (the PIT at TICK_HZ), the cascade and
 * IRQ 8 open. */
static void irqs_on(void)
{
    set_gate(0x20, (uint32_t)timer_stub, KCODE, 0x8E);
    set_gate(0x28, (uint32_t)rtc_irq_stub, KCODE, 0x8E);
    set_gate(0x2F, (uint32_t)spurious_irq15_stub, KCODE, 0x8E);
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFA); outb(0xA1, 0xFE);
    uint16_t divisor = PIT_HZ / TICK_HZ;
    outb(0x43, 0x34);
    outb(0x40, divisor & 0xFF);
    outb(0x40, divisor >> 8);
}

/* IRQ 8's interrupts while the PIT ticks `ticks` times, the periodic
 * interrupt at rate (register A's RS), C read by the handler or not. */
static unsigned count_periodic(uint8_t rate, unsigned ticks, bool read_c)
{
    __asm__ volatile("cli");
    cmos_set(0x0B, 0x02);                        /* as Linux's rtc driver: the rate, C read, then PIE */
    cmos_set(0x0A, (uint8_t)(0x20 | rate));
    (void)cmos(0x0C);
    cmos_set(0x0B, 0x02 | 0x40);                 /* 24-hour, PIE */
    rtc_irq_reads_c = read_c;
    rtc_irqs = 0;
    uint32_t start = timer_ticks;
    __asm__ volatile("sti");
    while (timer_ticks - start < ticks)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    return rtc_irqs;
}

static void periodic_off(void)
{
    cmos_set(0x0B, 0x02);
    (void)cmos(0x0C);
}

/* "n Hz" when count is rate's over the span (one more or less: the span
 * starts at any point of a period), else the count itself. */
static void describe(char *out, unsigned size, unsigned count, unsigned hz, unsigned ticks)
{
    unsigned expected = hz * ticks / TICK_HZ;
    if (count + 1 >= expected && count <= expected + 1)
        snprintf(out, size, "%u Hz", hz);
    else
        snprintf(out, size, "%u interrupts in %u ms where %u Hz gives %u", count, ticks * 1000 / TICK_HZ, hz,
                 expected);
}

ATTACK(pc_rtc_periodic, "pc-rtc-periodic", "virtual vshadow vdepriv vdelay timed",
       "result rate 9 128 Hz, rate 12 16 Hz, rate 15 2 Hz, rate 0 none",
       "the clock's periodic interrupt (IRQ 8) counted against the PIT at rates 9, 12, 15 and 0")
{
    irqs_on();
    static const struct { uint8_t rate; unsigned hz, ticks; } runs[] = { { 9, 128, 20 }, { 12, 16, 50 }, { 15, 2, 100 } };
    char said[3][80];
    for (unsigned i = 0; i < 3; i++) {
        unsigned n = count_periodic(runs[i].rate, runs[i].ticks, true);
        describe(said[i], sizeof said[i], n, runs[i].hz, runs[i].ticks);
    }
    unsigned none = count_periodic(0, 10, true);
    periodic_off();
    result("rate 9 %s, rate 12 %s, rate 15 %s, rate 0 %s", said[0], said[1], said[2],
           none ? "interrupts" : "none");
}

ATTACK(pc_rtc_unread, "pc-rtc-unread", "virtual vshadow vdepriv vdelay timed",
       "result C never read: 1 interrupt in 200 ms, C 0xc0, then 1 more",
       "the periodic interrupt at 128 Hz to a handler that never reads register C: the line stays high")
{
    irqs_on();
    unsigned first = count_periodic(9, 20, false);
    uint8_t c = cmos(0x0C);                      /* the line falls; the next period raises it */
    rtc_irqs = 0;
    uint32_t start = timer_ticks;
    __asm__ volatile("sti");
    while (timer_ticks - start < 10)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    unsigned more = rtc_irqs;
    periodic_off();
    result("C never read: %u interrupt%s in 200 ms, C 0x%02x, then %u more", first, first == 1 ? "" : "s", c, more);
}
