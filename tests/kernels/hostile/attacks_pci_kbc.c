/*
 * attacks_pci_kbc.c: the PC's chipset ports (issue 18) under
 * devices=virtual: PCI configuration mechanism #1 at 0xCF8/0xCFC, probed
 * as Linux's arch/x86/pci/direct.c probes it and written everywhere, and
 * the reset a kernel asks for through port 0xCF9, which must end the VM
 * and nothing else. With devices=machine there is no PCI: every port
 * reads all ones. The keyboard controller at 0x60/0x64, probed as Linux's
 * i8042 and atkbd drivers probe it, its IRQ 1, the bytes a kernel would
 * never send, and its two resets; COM1's receiver with nothing typed.
 */
#include <stdbool.h>
#include "attack.h"
#include "fmt.h"
#include "x86io.h"

#define PCI_ADDRESS 0xCF8
#define PCI_RESET   0xCF9
#define PCI_DATA    0xCFC

static uint32_t pci_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    outl(PCI_ADDRESS, pci_address(bus, dev, fn, reg & 0xFC));
    return inl(PCI_DATA);
}

/* Linux's pci_check_type1: a byte to 0xCFB (its type 2 probe), then
 * 0x80000000 written to CONFIG_ADDRESS must read back. */
static bool type1_present(void)
{
    outb(PCI_ADDRESS + 3, 0x01);
    uint32_t saved = inl(PCI_ADDRESS);
    outl(PCI_ADDRESS, 0x80000000u);
    bool present = inl(PCI_ADDRESS) == 0x80000000u;
    outl(PCI_ADDRESS, saved);
    return present;
}

/* The host bridge at 00.0 as the bare CPU's Bochs (its 440FX) has it. */
ATTACK(pc_pci_host_bridge, "pc-pci-host-bridge", "ept virtual vshadow vdepriv",
       "native; ept: result no PCI configuration mechanism #1",
       "find PCI's host bridge as Linux's probe does, and read its IDs, class and header type")
{
    if (!type1_present())
        result("no PCI configuration mechanism #1");
    uint32_t id = pci_read(0, 0, 0, 0), class = pci_read(0, 0, 0, 8), header = pci_read(0, 0, 0, 0x0C);
    result("00.0 %04x:%04x class %06x header type %02x", (unsigned)(id & 0xFFFF), (unsigned)(id >> 16),
           (unsigned)(class >> 8), (unsigned)((header >> 16) & 0xFF));
}

/* The whole of bus 0, the first function of every other bus, and the
 * data port at every size and byte offset. */
ATTACK(pc_pci_enumerate, "pc-pci-enumerate", "virtual vshadow vdepriv",
       "result bus 0: 00.0 8086:1237 class 060000 status 0x0280, 1 function on 256 buses, "
       "sizes agree, no cycle without the enable bit",
       "enumerate every bus as a kernel does, reading CONFIG_DATA at every size and offset")
{
    char text[160];
    int n = 0;
    unsigned found = 0;
    for (unsigned bus = 0; bus < 256; bus++)
        for (unsigned devfn = 0; devfn < (bus ? 1u : 256u); devfn++) {
            uint32_t id = pci_read(bus, devfn >> 3, devfn & 7, 0);
            if (id == 0xFFFFFFFF)
                continue;
            found++;
            if (n < 100)
                n += snprintf(text + n, sizeof text - n, "bus %u: %02x.%u %04x:%04x class %06x status 0x%04x, ",
                              bus, devfn >> 3, devfn & 7, (unsigned)(id & 0xFFFF), (unsigned)(id >> 16),
                              (unsigned)(pci_read(bus, devfn >> 3, devfn & 7, 8) >> 8),
                              (unsigned)(pci_read(bus, devfn >> 3, devfn & 7, 4) >> 16));
        }
    for (unsigned reg = 0; reg < 16; reg += 4) {
        uint32_t whole = pci_read(0, 0, 0, reg);
        for (unsigned off = 0; off < 4; off++)
            if (inb((uint16_t)(PCI_DATA + off)) != (uint8_t)(whole >> (8 * off)))
                result("register 0x%x byte %u reads otherwise than its dword 0x%08x", reg, off, (unsigned)whole);
        if (inw(PCI_DATA + 2) != (uint16_t)(whole >> 16) || inw(PCI_DATA + 1) != (uint16_t)(whole >> 8))
            result("register 0x%x's words read otherwise than its dword 0x%08x", reg, (unsigned)whole);
    }
    outl(PCI_ADDRESS, 0);                                   /* bus 0 device 0, enable clear */
    uint32_t off = inl(PCI_DATA);
    snprintf(text + n, sizeof text - n, "%u function on 256 buses, sizes agree, %s", found,
             off == 0xFFFFFFFF ? "no cycle without the enable bit" : "a cycle without the enable bit");
    result("%s", text);
}

/* Every register of the bridge and of functions that are not there,
 * written with all ones and all zeros at every size; CONFIG_ADDRESS's
 * reserved bits; byte and word writes to 0xCF8-0xCFB. Nothing changes:
 * the IDs read the same, the functions that were not there are not, and
 * the guest's memory is its own (a write that reached a real chipset's
 * registers, PAM or SMRAM, would change what low memory reads). */
ATTACK(pc_pci_writes, "pc-pci-writes", "virtual vshadow vdepriv",
       "result CONFIG_ADDRESS reads 0x80fffffc after 0xffffffff, every write dropped: the bridge's header "
       "and the missing functions read as before, low memory too",
       "write all ones and zeros to every configuration register at every size, and to CONFIG_ADDRESS's "
       "reserved bits")
{
    static const uint32_t marks[] = { 0xC0000, 0xE0000, 0xF0000, 0xA0000 - 4 };
    uint32_t before[4];
    for (unsigned i = 0; i < 4; i++) {
        before[i] = *(volatile uint32_t *)(uintptr_t)marks[i];
        *(volatile uint32_t *)(uintptr_t)marks[i] = 0x5A5A0000u + i;
    }
    uint32_t header[4];
    for (unsigned reg = 0; reg < 16; reg += 4)
        header[reg / 4] = pci_read(0, 0, 0, reg);
    outl(PCI_ADDRESS, 0xFFFFFFFF);
    uint32_t all = inl(PCI_ADDRESS);
    static const unsigned functions[][3] = { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 7 }, { 1, 0, 0 }, { 255, 31, 7 } };
    for (unsigned f = 0; f < 5; f++)
        for (unsigned reg = 0; reg < 256; reg += 4)
            for (unsigned v = 0; v < 2; v++) {
                uint32_t value = v ? 0xFFFFFFFF : 0;
                outl(PCI_ADDRESS, pci_address(functions[f][0], functions[f][1], functions[f][2], reg));
                outl(PCI_DATA, value);
                outw(PCI_DATA, (uint16_t)value);
                outw(PCI_DATA + 2, (uint16_t)value);
                for (unsigned off = 0; off < 4; off++)
                    outb((uint16_t)(PCI_DATA + off), (uint8_t)value);
            }
    outb(PCI_ADDRESS, 0xFF);                                /* not CONFIG_ADDRESS: a byte */
    outw(PCI_ADDRESS + 2, 0xFFFF);
    outb(PCI_RESET, 0x02);                                  /* the hard-reset choice, no reset */
    for (unsigned reg = 0; reg < 16; reg += 4)
        if (pci_read(0, 0, 0, reg) != header[reg / 4])
            breach("the bridge's register 0x%x reads 0x%08x after writes, 0x%08x before", reg,
                   (unsigned)pci_read(0, 0, 0, reg), (unsigned)header[reg / 4]);
    for (unsigned f = 1; f < 5; f++)
        if (pci_read(functions[f][0], functions[f][1], functions[f][2], 0) != 0xFFFFFFFF)
            breach("function %u.%u.%u answers after writes", functions[f][0], functions[f][1], functions[f][2]);
    for (unsigned i = 0; i < 4; i++) {
        uint32_t now = *(volatile uint32_t *)(uintptr_t)marks[i];
        *(volatile uint32_t *)(uintptr_t)marks[i] = before[i];
        if (now != 0x5A5A0000u + i)
            breach("0x%x reads 0x%08x after the configuration writes", (unsigned)marks[i], (unsigned)now);
    }
    result("CONFIG_ADDRESS reads 0x%08x after 0xffffffff, every write dropped: the bridge's header and the "
           "missing functions read as before, low memory too", (unsigned)all);
}

/* Linux's reboot=pci (arch/x86/kernel/reboot.c, BOOT_CF9_FORCE): 0x02,
 * then 0x06 to 0xCF9. The VM ends as powered off; the machine goes on. */
ATTACK(pc_pci_reset, "pc-pci-reset", "virtual vshadow vdepriv vdelay", "poweroff 0",
       "reset the machine through the chipset's reset control register, port 0xCF9")
{
    outb(PCI_RESET, 0x02);
    outb(PCI_RESET, 0x06);
    breach("still running after 0x06 to port 0xCF9");
}

/* ---- The keyboard controller ---- */

#define KBC_DATA   0x60
#define KBC_STATUS 0x64
#define KBC_OBF    0x01
#define KBC_IBF    0x02

/* A byte from the controller, or -1 if none comes (a bounded wait). */
static int kbc_read(void)
{
    for (unsigned i = 0; i < 100000; i++)
        if (inb(KBC_STATUS) & KBC_OBF)
            return inb(KBC_DATA);
    return -1;
}

static void kbc_write(uint16_t port, uint8_t value)
{
    for (unsigned i = 0; i < 100000 && (inb(KBC_STATUS) & KBC_IBF); i++)
        continue;
    outb(port, value);
}

static unsigned kbc_flush(void)
{
    unsigned n = 0;
    while ((inb(KBC_STATUS) & KBC_OBF) && n < 64) {
        (void)inb(KBC_DATA);
        n++;
    }
    return n;
}

/* What a command (and its answer's bytes) gives, as hex, into text. */
static int kbc_answer(char *text, int size, unsigned bytes)
{
    int n = 0;
    for (unsigned i = 0; i < bytes; i++) {
        int b = kbc_read();
        n += b < 0 ? snprintf(text + n, size - n, " none") : snprintf(text + n, size - n, " %02x", b);
    }
    return n;
}

/* Linux's i8042_controller_check, selftest and init, then atkbd's probe:
 * flush, self-test, the command byte, the keyboard interface test, then
 * the keyboard's reset, ID and scan code set through the translation. */
ATTACK(pc_kbc_probe, "pc-kbc-probe", "virtual vshadow vdepriv", "native",
       "probe the keyboard controller and keyboard as Linux's i8042 and atkbd drivers do")
{
    char text[200];
    kbc_flush();
    int n = snprintf(text, sizeof text, "self-test");
    kbc_write(KBC_STATUS, 0xAA);
    n += kbc_answer(text + n, sizeof text - n, 1);
    n += snprintf(text + n, sizeof text - n, ", status %02x", inb(KBC_STATUS) & 0x0F);
    kbc_write(KBC_STATUS, 0x20);
    int ctr = kbc_read();
    n += snprintf(text + n, sizeof text - n, ", translation %s, keyboard test", ctr >= 0 && (ctr & 0x40) ? "on" : "off");
    kbc_write(KBC_STATUS, 0xAB);
    n += kbc_answer(text + n, sizeof text - n, 1);
    /* IRQs off while the keyboard is probed, and the translation: through
     * it, QEMU's and a real 8042 report set 2 as 0x41, Bochs's as 2. */
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, (uint8_t)(ctr & ~0x43));
    static const struct { uint8_t command, argument, answers; const char *name; } probes[] = {
        { 0xFF, 0, 2, "reset" }, { 0xF2, 0, 3, "id (untranslated)" }, { 0xF0, 0x00, 0, "set" }, { 0xEE, 0, 1, "echo" },
        { 0xED, 0x02, 0, "leds" }, { 0xF5, 0, 1, "disable" }, { 0xF4, 0, 1, "enable" },
    };
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        n += snprintf(text + n, sizeof text - n, ", %s", probes[i].name);
        kbc_write(KBC_DATA, probes[i].command);
        if (!probes[i].answers) {                   /* an ACK, the argument, then its answer */
            n += kbc_answer(text + n, sizeof text - n, 1);
            kbc_write(KBC_DATA, probes[i].argument);
            n += kbc_answer(text + n, sizeof text - n, probes[i].command == 0xF0 ? 2 : 1);
        } else {
            n += kbc_answer(text + n, sizeof text - n, probes[i].answers);
        }
    }
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, (uint8_t)ctr);
    snprintf(text + n, sizeof text - n, ", then %s", inb(KBC_STATUS) & KBC_OBF ? "a byte" : "nothing");
    result("%s", text);
}

/* IRQ 1 through the PIC (remapped to 0x20, IRQ 1 alone open): a byte put
 * in the output buffer as the keyboard's (0xD2) interrupts, and the
 * handler reads it; with the command byte's IRQ 1 enable clear the byte
 * waits, and interrupts once the enable is set again. */
static volatile uint32_t irq1_count;
static volatile uint8_t irq1_bytes[256];
extern char irq1_stub[];
__asm__(".text\n"
        "irq1_stub:\n"
        "    pushl %eax\n"
        "    pushl %ebx\n"
        "    movl irq1_count, %ebx\n"
        "    inb $0x60, %al\n"
        "    andl $255, %ebx\n"
        "    movb %al, irq1_bytes(%ebx)\n"
        "    incl irq1_count\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"               /* EOI */
        "    popl %ebx\n"
        "    popl %eax\n"
        "    iret\n"
        "timer_eoi_stub:\n"
        "    pushl %eax\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    iret\n");
extern char timer_eoi_stub[];

/* The master PIC at vectors 0x20-0x27 (ICW1-ICW4), its mask `mask`, the
 * slave's lines all masked. */
static void pic_remap(uint8_t mask)
{
    static const uint8_t icw[] = { 0x11, 0x20, 0x04, 0x01 };
    for (unsigned i = 0; i < 4; i++)
        outb(i ? 0x21 : 0x20, icw[i]);
    outb(0x21, mask);
    outb(0xA1, 0xFF);
}

static void pic_irq1_only(void)
{
    pic_remap(0xFD);                                /* IRQ 1 alone */
    set_gate(0x21, (uint32_t)irq1_stub, KCODE, 0x8E);
}

static bool wait_irq1(uint32_t count)
{
    for (unsigned i = 0; i < 1000000; i++)
        if (irq1_count >= count)
            return true;
    return false;
}

ATTACK(pc_kbc_irq1, "pc-kbc-irq1", "virtual vshadow vdepriv", "native",
       "IRQ 1 for bytes in the keyboard controller's output buffer, held while the command byte disables it")
{
    kbc_flush();
    kbc_write(KBC_STATUS, 0x20);
    int ctr = kbc_read();
    pic_irq1_only();
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, (uint8_t)((ctr & ~3) | 1));  /* IRQ 1 on */
    __asm__ volatile("sti");
    static const uint8_t keys[] = { 0x1E, 0x9E, 0x30 };
    for (unsigned i = 0; i < 3; i++) {
        kbc_write(KBC_STATUS, 0xD2);
        kbc_write(KBC_DATA, keys[i]);
        wait_irq1(i + 1);
    }
    uint32_t first = irq1_count;
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, (uint8_t)(ctr & ~3));       /* IRQ 1 off */
    kbc_write(KBC_STATUS, 0xD2);
    kbc_write(KBC_DATA, 0xB0);
    for (volatile unsigned i = 0; i < 100000; i++)
        continue;
    uint32_t held = irq1_count - first;
    uint8_t status = inb(KBC_STATUS) & KBC_OBF;
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, (uint8_t)((ctr & ~3) | 1)); /* on again: the waiting byte interrupts */
    wait_irq1(first + 1);
    __asm__ volatile("cli");
    result("%u interrupts for bytes %02x %02x %02x, %u while disabled (OBF %u), then %u: byte %02x",
           (unsigned)first, irq1_bytes[0], irq1_bytes[1], irq1_bytes[2], (unsigned)held, status,
           (unsigned)(irq1_count - first), irq1_bytes[3]);
}

/* What a kernel would never do: read the data port with nothing there,
 * write the data port before any command, thousands of commands and bytes
 * (every one but those that reset: 0xD1, 0xF0-0xFE with bit 0 clear), the
 * output port with its reset line high, every port 0x60-0x6F at every
 * size; then the controller still answers, and the machine is the VM's. */
ATTACK(pc_kbc_garbage, "pc-kbc-garbage", "virtual vshadow vdepriv",
       "result contained: empty reads gave the last byte, 4096 commands and bytes taken, "
       "the output port written with its reset line high, ports 0x60-0x6f at every size, then self-test 55",
       "flood the keyboard controller with bytes, commands and reads no kernel would make")
{
    kbc_flush();
    uint8_t a = inb(KBC_DATA), b = inb(KBC_DATA);
    if (a != b)
        breach("two reads of an empty output buffer: %02x then %02x", a, b);
    outb(KBC_DATA, 0x00);                           /* to the keyboard, not a command: answered FE */
    uint32_t x = 0x12345678;
    for (unsigned i = 0; i < 4096; i++) {
        x = x * 1103515245 + 12345;
        uint8_t v = (uint8_t)(x >> 16);
        if ((x >> 8) & 1) {
            if (v == 0xD1 || (v >= 0xF0 && !(v & 1)))
                v = 0xAA;
            outb(KBC_STATUS, v);
        } else {
            outb(KBC_DATA, v);
        }
        if ((x >> 9) & 1)
            (void)inb((x >> 10) & 1 ? KBC_DATA : KBC_STATUS);
    }
    outb(KBC_STATUS, 0xD1);
    outb(KBC_DATA, 0xFF);                           /* A20 and the reset line high: nothing */
    for (uint16_t port = 0x60; port < 0x70; port++) {
        if (port == 0x61)
            continue;                               /* the PIT's gate: attacks_devices.c */
        (void)inb(port); (void)inw(port); (void)inl(port);
        outw(port, 0x0000);
        outl(port, 0xFFFFFFFF);
    }
    kbc_flush();
    kbc_write(KBC_STATUS, 0x60);
    kbc_write(KBC_DATA, 0x65);
    kbc_write(KBC_STATUS, 0xAA);
    int st = kbc_read();
    result("contained: empty reads gave the last byte, 4096 commands and bytes taken, the output port written "
           "with its reset line high, ports 0x60-0x6f at every size, then self-test %02x", st);
}

/* The classic reboot: 0xFE pulses the CPU's reset line. */
ATTACK(pc_kbc_reset_pulse, "pc-kbc-reset-pulse", "virtual vshadow vdepriv vdelay", "poweroff 0",
       "reset the machine through the keyboard controller: 0xFE to port 0x64")
{
    kbc_write(KBC_STATUS, 0xFE);
    breach("still running after 0xfe to port 0x64");
}

/* The output port's bit 0 written low (0xD1, then the byte) is the same
 * line held in reset. */
ATTACK(pc_kbc_reset_output_port, "pc-kbc-reset-output-port", "virtual vshadow vdepriv", "poweroff 0",
       "reset the machine through the keyboard controller's output port: 0xD1, then bit 0 clear")
{
    kbc_write(KBC_STATUS, 0xD1);
    kbc_write(KBC_DATA, 0xDE);
    breach("still running after 0xde to the keyboard controller's output port");
}

/* ---- COM1's receiver with nothing typed ---- */

/* Every register read with nothing received: RBR, LSR's DR, IIR; the
 * receive interrupt enabled (IER bit 0, MCR's OUT2) with IRQ 4 open
 * gives none. */
ATTACK(pc_com1_nothing_typed, "pc-com1-nothing-typed", "virtual vshadow vdepriv",
       "native",
       "read COM1's receiver with nothing typed, its receive interrupt enabled")
{
    pic_remap(0xEF);                                /* IRQ 4 alone: at vector 0x24, no gate, so an
                                                       interrupt would be the run's end */
    outb(0x3F8 + 4, 0x0B);                          /* DTR, RTS, OUT2 */
    outb(0x3F8 + 1, 0x01);                          /* IER: received data available */
    __asm__ volatile("sti");
    for (volatile unsigned i = 0; i < 100000; i++)
        continue;
    uint8_t rbr = inb(0x3F8), lsr = inb(0x3F8 + 5), iir = inb(0x3F8 + 2);
    __asm__ volatile("cli");
    outb(0x3F8 + 1, 0x00);
    result("RBR %02x, LSR %02x, IIR %02x with the receive interrupt on, no IRQ 4", rbr, lsr, iir);
}

/* ---- Keys typed on the console (tools/hvrun --input) ---- */

/* Set 1's make codes 0x02-0x39 as a US keyboard's characters, plain and
 * with shift (IBM's scan code set 1); 0 where no character is. */
static const char plain_keys[] = "\0\0" "1234567890-=\b\t" "qwertyuiop[]\n\0" "asdfghjkl;'`\0\\" "zxcvbnm,./\0*\0 ";
static const char shifted_keys[] = "\0\0" "!@#$%^&*()_+\b\t" "QWERTYUIOP{}\n\0" "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?\0*\0 ";

/* Reads set-1 codes from next() until Enter's break, as a console
 * driver does: shift's make and break, each key's make then its break;
 * the line into text, and whether every make had its break next. */
struct typed { char text[80]; unsigned keys; bool paired; };

static struct typed decode_keys(int (*next)(void))
{
    struct typed t = { "", 0, true };
    bool shift = false;
    unsigned n = 0;
    int last_make = -1;
    for (;;) {
        int code = next();
        if (code == 0x2A || code == 0x36) { shift = true; continue; }
        if (code == 0xAA || code == 0xB6) { shift = false; continue; }
        if (code & 0x80) {
            t.paired = t.paired && last_make == (code & 0x7F);
            last_make = -1;
            if (code == 0x9C)
                break;                              /* Enter released: the line is whole */
            continue;
        }
        t.paired = t.paired && last_make < 0;
        last_make = code;
        t.keys++;
        char c = code < 0x3A ? (shift ? shifted_keys : plain_keys)[code] : 0;
        if (c && c != '\n' && n + 1 < sizeof t.text)
            t.text[n++] = c;
    }
    t.text[n] = 0;
    return t;
}

/* The keyboard's next byte, polled at the status port (a kernel without
 * interrupts; each status read is where the hypervisor looks for input). */
static int polled_key(void)
{
    for (;;) {
        uint8_t st = inb(KBC_STATUS);
        if ((st & (KBC_OBF | 0x20)) == KBC_OBF)
            return inb(KBC_DATA);
        if (st & KBC_OBF)
            (void)inb(KBC_DATA);                    /* not the keyboard's */
    }
}

ATTACK(pc_kbc_typed_polled, "pc-kbc-typed-polled", "partner", "result typed (integration: guest_cases.py)",
       "read a typed line from the keyboard, polling the controller's status")
{
    kbc_flush();
    printf("INPUT ready\n");
    struct typed t = decode_keys(polled_key);
    result("typed '%s' in %u keys, %s", t.text, t.keys, t.paired ? "each make then its break" : "makes and breaks out of order");
}

/* The keyboard's next byte, from IRQ 1's handler (irq1_stub's ring), the
 * CPU halted between interrupts; with IRQ 0 open too (its handler only
 * ends it), the hypervisor takes typed bytes at the VM's ticks. */
static uint32_t irq1_taken;

static int interrupt_key(void)
{
    while (irq1_taken == irq1_count)
        __asm__ volatile("sti; hlt; cli");
    return irq1_bytes[irq1_taken++ & 255];
}

static void typed_irq(bool with_timer)
{
    kbc_flush();
    pic_irq1_only();
    if (with_timer) {
        set_gate(0x20, (uint32_t)timer_eoi_stub, KCODE, 0x8E);
        outb(0x21, 0xFC);                           /* IRQ 0 and IRQ 1 */
    }
    printf("INPUT ready\n");
    struct typed t = decode_keys(interrupt_key);
    result("typed '%s' in %u keys, %s, %u interrupts", t.text, t.keys,
           t.paired ? "each make then its break" : "makes and breaks out of order", (unsigned)irq1_count);
}

ATTACK(pc_kbc_typed_irq, "pc-kbc-typed-irq", "partner", "result typed (integration: guest_cases.py)",
       "read a typed line from the keyboard through IRQ 1, halted between interrupts")
{
    typed_irq(true);
}

/* The same with IRQ 1 the only line open, no timer at all: the CPU halted
 * until a key comes, as a PC waits for its user; the hypervisor looks for
 * typed bytes at its own pace (vm_input_poll_tsc). */
ATTACK(pc_kbc_typed_irq_alone, "pc-kbc-typed-irq-alone", "partner", "result typed (integration: guest_cases.py)",
       "read a typed line through IRQ 1, halted with no other interrupt line open and no timer")
{
    typed_irq(false);
}

/* Typed before the guest set anything up: COM1's interrupt off (IER 0,
 * OUT2 low) and the keyboard's port disabled (0xAD), IRQ 1 and IRQ 4 open
 * at the PIC with interrupts on but no gate for them (an interrupt would
 * be an exception, and the run's end). The line is read by polling COM1,
 * as a real UART receives whatever IER says; the keyboard, disabled,
 * keeps none of it, nor shows any once enabled again. */
ATTACK(pc_input_before_enabling, "pc-input-before-enabling", "partner", "result read (integration: guest_cases.py)",
       "typed input while COM1's interrupt is off and the keyboard disabled, IRQ 1 and 4 open without handlers")
{
    kbc_flush();
    kbc_write(KBC_STATUS, 0xAD);
    outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 4, 0x03);                          /* DTR, RTS; OUT2 low */
    pic_remap(0xED);                                /* IRQ 1 and IRQ 4 */
    printf("INPUT ready\n");
    char line[80];
    unsigned n = 0;
    __asm__ volatile("sti");
    for (;;) {
        if (!(inb(0x3F8 + 5) & 1))
            continue;
        char c = (char)inb(0x3F8);
        if (c == '\n')
            break;
        if (n + 1 < sizeof line)
            line[n++] = c;
    }
    line[n] = 0;
    uint8_t disabled = inb(KBC_STATUS) & KBC_OBF;
    kbc_write(KBC_STATUS, 0xAE);
    for (volatile unsigned i = 0; i < 100000; i++)
        continue;
    uint8_t enabled = inb(KBC_STATUS) & KBC_OBF;
    __asm__ volatile("cli");
    result("read '%s' from COM1 with its interrupt off, no IRQ 4; the keyboard kept %s", line,
           disabled || enabled ? "bytes" : "none of it");
}
