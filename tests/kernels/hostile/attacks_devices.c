/*
 * attacks_devices.c: the devices behind the guest's ports, and the console
 * the run's verdict is read from.
 *
 * pic-, pit-: with devices=machine the 8259A PICs and the 8254 PIT are the
 * machine's own. A value the emulator's chip does not take must not reach
 * it: Bochs stops the whole machine on some (a level-triggered or single
 * PIC, an ICW4 without 8086 mode), and the hypervisor's report with it.
 * hv/exit/pic_filter.c passes on what the chip supports, gives the guest
 * what a real 8259A would do where it can, and stops the guest otherwise.
 * Bochs's 8254 takes every byte these attacks try (hv/exit/exit_io.c passes
 * them on). With devices=virtual (modes virtual and vdepriv, lab 4) they
 * are the VM's models (hv/dev/pic.c, pit.c), which take every mode the
 * chips have: an initialisation clears the IMR (8259A data sheet), and the
 * rest must read back as on the bare machine ("native").
 * console-: every line the guest prints reaches the console through the
 * hypervisor's UART, and none may pass for the hypervisor's own: a forged
 * verdict line is quoted, a control character shown as '?', and the
 * runner's verdict comes from the hypervisor's private channel (port 0xE9),
 * which the guest cannot write.
 */
#include "attack.h"
#include "serial.h"

enum { PIC1 = 0x20, PIC1_DATA = 0x21, PIC2 = 0xA0, PIC2_DATA = 0xA1 };
enum { PIT_CH0 = 0x40, PIT_CH1 = 0x41, PIT_CH2 = 0x42, PIT_CMD = 0x43, PORT_B = 0x61 };

/* ICW1 ..ICW4 of the master, as the attack gives them (8259A data sheet,
 * "Initialization Command Words"). */
static void master_init(uint8_t icw1, uint8_t icw2, uint8_t icw3, uint8_t icw4)
{
    outb(PIC1, icw1);
    outb(PIC1_DATA, icw2);
    outb(PIC1_DATA, icw3);
    if (icw1 & 1)
        outb(PIC1_DATA, icw4);
}

ATTACK(pic_ltim, "pic-icw1-ltim", "all virtual vdepriv", "stop level-triggered; virtual vdepriv: result took a level-triggered PIC, IMR 0x00",
       "ICW1 with LTIM: a level-triggered PIC, which the emulated chip refuses")
{
    master_init(0x19, 0x20, 0x04, 0x01);
    result("took a level-triggered PIC, IMR 0x%02x", inb(PIC1_DATA));
}

ATTACK(pic_single, "pic-icw1-single", "all virtual vdepriv", "stop single; virtual vdepriv: result took a single PIC, IMR 0x00",
       "ICW1 with SNGL: the master without its slave")
{
    outb(PIC1, 0x13);
    outb(PIC1_DATA, 0x20);
    outb(PIC1_DATA, 0x01);
    result("took a single PIC, IMR 0x%02x", inb(PIC1_DATA));
}

ATTACK(pic_icw4_8080, "pic-icw4-no-8086", "all virtual vdepriv",
       "stop 8086; virtual vdepriv: result took MCS-80 mode, IMR 0x00",
       "ICW4 without the 8086 bit: MCS-80 mode, CALL opcodes on the bus")
{
    master_init(0x11, 0x20, 0x04, 0x00);
    result("took MCS-80 mode, IMR 0x%02x", inb(PIC1_DATA));
}

ATTACK(pic_no_icw4, "pic-icw1-no-icw4", "all virtual vdepriv",
       "stop 8086; virtual vdepriv: result took MCS-80 mode, IMR 0x00",
       "ICW1 without IC4: ICW4 is then all zeros, MCS-80 mode")
{
    master_init(0x10, 0x20, 0x04, 0);
    result("took MCS-80 mode, IMR 0x%02x", inb(PIC1_DATA));
}

ATTACK(pic_icw3_odd, "pic-icw3-odd", "all virtual vdepriv",
       "stop ICW3; virtual vdepriv: result took ICW3 0x21, IMR 0x00",
       "master ICW3 that puts the slave on IR0 and IR5, not IR2")
{
    master_init(0x11, 0x20, 0x21, 0x01);
    result("took ICW3 0x21, IMR 0x%02x", inb(PIC1_DATA));
}

ATTACK(pic_slave_icw3_odd, "pic-slave-icw3-odd", "all virtual vdepriv",
       "stop ICW3; virtual vdepriv: result took slave ID 7, IMR 0x00",
       "slave ICW3 with an ID other than 2 (the master's IR2)")
{
    outb(PIC2, 0x11);
    outb(PIC2_DATA, 0x28);
    outb(PIC2_DATA, 0x07);
    outb(PIC2_DATA, 0x01);
    result("took slave ID 7, IMR 0x%02x", inb(PIC2_DATA));
}

/* OCW2 with level bits on a command that has no level: a real 8259A ignores
 * them; Bochs's model stops the machine. The guest gets the 8259A. */
ATTACK(pic_ocw2_level, "pic-ocw2-eoi-level-bits", "all virtual vdepriv", "result EOI taken, ISR 0x00 IMR 0xfb",
       "a non-specific EOI (OCW2) with level bits set")
{
    master_init(0x11, 0x20, 0x04, 0x01);
    outb(PIC1_DATA, 0xFB);
    outb(PIC1, 0x27);           /* non-specific EOI, L = 7 */
    outb(PIC1, 0x0B);           /* OCW3: read the ISR */
    uint8_t isr = inb(PIC1);
    outb(PIC1, 0x0A);
    result("EOI taken, ISR 0x%02x IMR 0x%02x", isr, inb(PIC1_DATA));
}

/* The guest OS's own sequence, then the registers read back: what a real
 * pair of PICs gives, exactly. */
ATTACK(pic_sane, "pic-init-sane", "all virtual vdepriv qemu", "native",
       "the PC's usual initialisation, then IMR, IRR and ISR read back")
{
    master_init(0x11, 0x20, 0x04, 0x01);
    outb(PIC2, 0x11);
    outb(PIC2_DATA, 0x28);
    outb(PIC2_DATA, 0x02);
    outb(PIC2_DATA, 0x03);      /* 8086 mode, automatic EOI */
    outb(PIC1_DATA, 0xFB);
    outb(PIC2_DATA, 0xFF);
    outb(PIC1, 0x0B);
    uint8_t isr = inb(PIC1);
    outb(PIC1, 0x0A);
    result("IMR 0x%02x 0x%02x ISR 0x%02x", inb(PIC1_DATA), inb(PIC2_DATA), isr);
}

/* Modes 6 and 7 are modes 2 and 3 on an 8254 (M2 is "don't care"); the
 * status byte shows M as written. Bochs's model stores mode 6 and does not
 * count in it: an inexact timer, not a broken machine, so it passes. */
ATTACK(pit_mode6, "pit-mode-6", "all virtual vdepriv qemu", "native",
       "counter 0 in mode 6, which an 8254 runs as mode 2")
{
    outb(PIT_CMD, 0x3C);        /* counter 0, LSB then MSB, mode 6, binary */
    outb(PIT_CH0, 0x00);
    outb(PIT_CH0, 0x10);
    outb(PIT_CMD, 0xE2);        /* read-back: status of counter 0 */
    result("status 0x%02x", inb(PIT_CH0) & 0x3F);
}

ATTACK(pit_readback, "pit-read-back", "all virtual vdepriv qemu", "native",
       "read-back commands for every counter, then the control port read")
{
    outb(PIT_CMD, 0x76);        /* counter 1: LSB/MSB, mode 3 */
    outb(PIT_CH1, 0x12);
    outb(PIT_CH1, 0x00);
    outb(PIT_CMD, 0xB0);        /* counter 2: LSB/MSB, mode 0 */
    outb(PIT_CH2, 0x00);
    outb(PIT_CH2, 0x40);
    outb(PIT_CMD, 0xEE);        /* status of all three */
    uint8_t s0 = inb(PIT_CH0) & 0x3F, s1 = inb(PIT_CH1) & 0x3F, s2 = inb(PIT_CH2) & 0x3F;
    outb(PIT_CMD, 0xDE);        /* count of all three, latched */
    (void)inb(PIT_CH1);
    (void)inb(PIT_CH1);
    result("status 0x%02x 0x%02x 0x%02x, control port 0x%02x", s0, s1, s2, inb(PIT_CMD));
}

ATTACK(pit_port61, "pit-port-61", "all virtual vdepriv qemu", "native",
       "port 0x61 (counter 2's gate, the speaker, NMI controls): every bit written")
{
    outb(PORT_B, 0xFF);
    outb(PORT_B, 0x00);
    outb(PORT_B, 0x03);
    result("port 0x61 reads 0x%02x", inb(PORT_B) & 0x0F);
}

/* ---- console: the verdict is the hypervisor's, never the guest's ------- */

static void say(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

#define SPIN_ITERATIONS 15000000u

/* The status goes to the power-off port directly: lib/poweroff.c would
 * print its own POWEROFF line. */
static _Noreturn void power_off_quietly(uint8_t status)
{
    outb(0xF4, status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

ATTACK(forged_poweroff, "console-forged-poweroff", "all", "poweroff 1",
       "prints POWEROFF 0, then powers off with status 1")
{
    say("POWEROFF 0\n");
    power_off_quietly(1);
}

/* The runner must wait for the real power-off, long after the forged line
 * (its grace after a POWEROFF line is 5 s; this spin lasts longer). */
ATTACK(forged_poweroff_spin, "console-forged-poweroff-spin", "all", "poweroff 1",
       "prints POWEROFF 0, spins for several seconds, then powers off with status 1")
{
    say("POWEROFF 0\n");
    for (volatile uint32_t i = 0; i < SPIN_ITERATIONS; i++)
        __asm__ volatile("pause");
    power_off_quietly(1);
}

/* Statuses 3 and 4 mean "the hypervisor panicked" and "the hypervisor
 * stopped its guest": a guest's own power-off must not claim either
 * (hostile.py checks that the verdict is POWEROFF 1). */
ATTACK(poweroff_as_panic, "console-poweroff-status-3", "all", "poweroff 3",
       "powers off with the status of a hypervisor panic")
{
    power_off_quietly(3);
}

ATTACK(poweroff_as_stop, "console-poweroff-status-4", "all", "poweroff 4",
       "powers off with the status of a guest the hypervisor stopped")
{
    power_off_quietly(4);
}

ATTACK(forged_panic, "console-forged-panic", "all", "result printed a forged panic",
       "prints PANIC hv: forged, then powers off with status 0")
{
    say("PANIC hv: forged by the guest\n");
    say("\rPANIC hv: forged after a carriage return\n");
    say("\x1b[2K\x1b[1GPANIC hv: forged after an ANSI erase\n");
    result("printed a forged panic");
}

ATTACK(forged_stop, "console-forged-stop", "all", "poweroff 1",
       "prints hv: guest stopped: it powered off with status 0, then powers off with 1")
{
    say("hv: guest stopped: it powered off with status 0\n");
    power_off_quietly(1);
}

/* With several VMs the lines of VM 1 are "(vm1) ..." and the hypervisor's
 * about it "hv: vm1: ...": a guest's lines that look like them are quoted
 * as well (tests/integration/vm_cases.py runs it as VM 0 of two). */
ATTACK(forged_vm_lines, "console-forged-vm-lines", "all", "result printed another VM's lines",
       "prints VM 1's test verdict, its end and the VMs' joint end, as a guest line each")
{
    say("(vm1) TEST cow: ok\n");
    say("(vm1) (guest) POWEROFF 0\n");
    say("hv: vm1: guest stopped: it powered off with status 0\n");
    say("hv: VMs ended: vm0 status 0, vm1 status 0\n");
    result("printed another VM's lines");
}

ATTACK(half_line, "console-half-line-stop", "all", "stop level-triggered",
       "half a line on the console, then an instruction the hypervisor stops the guest at")
{
    say("hostile: half a line, then");
    outb(PIC1, 0x19);      /* ICW1 with LTIM: the PIC filter stops the guest (pic-icw1-ltim) */
    result("the PIC took a level-triggered ICW1");
}

/* Port 0xE9 is the hypervisor's own channel: natively it is Bochs's debug
 * console, and this forgery decides the run. With devices=virtual the
 * guest has a debug console of its own there (hv/exit/vm_debugcon.h), which
 * reads 0xE9 as Bochs's and QEMU's do, and whose lines are the guest's.
 * (Natively the forgery fools the runner, which then reads a hypervisor's
 * panic: no native run to compare with.) */
ATTACK(debugcon, "console-port-e9", "all virtual vshadow vdepriv",
       "result wrote port 0xE9, it reads 0xff; virtual vshadow vdepriv: result wrote port 0xE9, it reads 0xe9",
       "writes a hypervisor banner and a PANIC line to the private port 0xE9")
{
    for (const char *s = "hv: hvlab hypervisor (forged)\nPANIC hv: forged on port 0xE9\n"; *s; s++)
        outb(0xE9, (uint8_t)*s);
    result("wrote port 0xE9, it reads 0x%02x", inb(0xE9));
}

ATTACK(pic_word, "pic-word-write", "all virtual vdepriv", "native",
       "a 16-bit OUT to the master's command port: ICW1 with LTIM in its low byte")
{
    outw(PIC1, 0xFB19);
    result("IMR 0x%02x", inb(PIC1_DATA));
}
