/*
 * attacks_uart.c: COM1's 16550 in loopback mode (devices=virtual), as PC
 * kernels use it: Linux's 8250 driver and Xen's ns16550 decide that a UART
 * is there by setting MCR's LOOP bit and reading their modem control
 * outputs back in MSR, and a byte written in loopback mode comes back to
 * the receiver, never out on the line (PC16550D, "Modem Control
 * Register", bit 4). Both are compared with QEMU's 16550.
 */
#include <stdbool.h>
#include <stdint.h>
#include "attack.h"
#include "x86io.h"

#define COM1 0x3F8
#define THR 0
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02

/* A byte back in the receiver: DR within a bounded wait. */
static bool received(void)
{
    for (unsigned i = 0; i < 1000; i++)
        if (inb(COM1 + LSR) & LSR_DR)
            return true;
    return false;
}

ATTACK(pc_uart_loopback, "pc-uart-loopback", "virtual vdepriv qemu",
       "result MSR 0x90 and 0xf0 in loopback, 0xb0 after, 'ok' looped back, then no byte waiting",
       "COM1's loopback test, as Linux's 8250 driver and Xen's ns16550 find a UART")
{
    uint8_t mcr = inb(COM1 + MCR);
    outb(COM1 + LCR, 0x03);                         /* 8 bits, DLAB clear */
    outb(COM1 + MCR, MCR_LOOP | 0x0A);              /* RTS, OUT2: Linux's and Xen's test */
    uint8_t msr_test = inb(COM1 + MSR) & 0xF0;
    outb(COM1 + MCR, MCR_LOOP | 0x0F);              /* DTR, RTS, OUT1, OUT2 */
    uint8_t msr_all = inb(COM1 + MSR) & 0xF0;
    char back[3] = { '?', '?', 0 };
    for (unsigned i = 0; i < 2; i++) {
        outb(COM1 + THR, (uint8_t)"ok"[i]);
        if (received())
            back[i] = (char)inb(COM1 + THR);
    }
    bool none_left = !(inb(COM1 + LSR) & LSR_DR);
    outb(COM1 + MCR, mcr);
    result("MSR 0x%02x and 0x%02x in loopback, 0x%02x after, '%s' looped back, then %s", msr_test,
           msr_all, inb(COM1 + MSR) & 0xF0, back, none_left ? "no byte waiting" : "a byte waiting");
}

/* Bytes written in loopback mode are the guest's own, not the console's: a
 * flood of lines that would read as a breach if one byte reached the
 * machine's console; the FIFO (on: 16 bytes, as the hypervisor's always
 * is) keeps the first 16, and LSR reports the overrun. */
ATTACK(uart_loopback_flood, "uart-loopback-flood", "virtual vdepriv qemu",
       "result 16 bytes kept, overrun reported, the first '\\nhostile: BREACH'",
       "flood COM1's looped-back receiver with lines meant for the machine's console")
{
    static const char line[] = "\nhostile: BREACH looped-back bytes reached the console\n";
    uint8_t mcr = inb(COM1 + MCR);
    outb(COM1 + FCR, 0x07);                         /* FIFOs on, both cleared */
    outb(COM1 + MCR, MCR_LOOP | 0x03);
    for (unsigned n = 0; n < 100; n++)
        for (const char *c = line; *c; c++)
            outb(COM1 + THR, (uint8_t)*c);
    bool overrun = inb(COM1 + LSR) & LSR_OE;
    char kept[40];
    unsigned k = 0;
    while (k < sizeof kept - 1 && (inb(COM1 + LSR) & LSR_DR))
        kept[k++] = (char)inb(COM1 + THR);
    kept[k] = 0;
    outb(COM1 + MCR, mcr);
    outb(COM1 + FCR, 0x00);
    char shown[80];
    unsigned s = 0;
    for (unsigned i = 0; i < k && s < sizeof shown - 3; i++) {
        if (kept[i] == '\n') {
            shown[s++] = '\\';
            shown[s++] = 'n';
        } else {
            shown[s++] = kept[i];
        }
    }
    shown[s] = 0;
    result("%u bytes kept, %s, the first '%s'", k, overrun ? "overrun reported" : "no overrun", shown);
}
