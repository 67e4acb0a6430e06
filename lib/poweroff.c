/*
 * poweroff.c: print "POWEROFF <status>", then stop whichever machine we are on.
 *
 * Each way is tried in turn; the ones that do not exist on this machine are
 * harmless port writes:
 *   1. port 0xF4: QEMU's isa-debug-exit device (the runner adds it), and the
 *      hypervisor's own power-off port, compatible with it;
 *   2. port 0x8900: Bochs stops when "Shutdown" is written there;
 *   3. ACPI PM1a control, SLP_TYP=5|SLP_EN, at QEMU's (0x604) and Bochs's
 *      (0xB004) PIIX4 addresses;
 * and if all fail, halt with interrupts off.
 */
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "x86io.h"

_Noreturn void poweroff(int status)
{
    printf("POWEROFF %d\n", status);
    serial_drain();

    outb(0xF4, (unsigned char)status);
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (unsigned char)*s);
    outw(0x604, 0x2000);
    outw(0xB004, 0x2000);
    for (;;)
        __asm__ volatile("cli; hlt");
}
