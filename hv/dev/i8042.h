/*
 * i8042.h: a VM's keyboard controller, the Intel 8042 of the PC/AT and
 * PS/2, with a keyboard on its first port and nothing on its second (no
 * mouse) (issue 18). A pure model: the hypervisor (exit/vm_kbc.c) and the
 * host unit tests (tests/unit/test_i8042.c) run it as it is.
 *
 * Ports (IBM PS/2 Hardware Interface Technical Reference, "Keyboard/
 * Auxiliary Device Controller"; the commands Linux's i8042 and atkbd
 * drivers and SeaBIOS's ps2port.c send):
 *   0x60  data: a read takes the output buffer's byte; a write goes to the
 *         keyboard, or is the argument of the last controller command;
 *   0x64  a read gives the status register, a write is a controller
 *         command.
 * Status: OBF (a byte waits), IBF never (each write is taken at once), the
 * system flag (set by the self-test, or the command byte's bit 2), A2 (the
 * last write was a command), the keyboard not inhibited, AUXB (the byte is
 * the second port's) and the time-out bit (the second port did not
 * answer).
 * Controller commands: 0x20-0x3F read and 0x60-0x7F write its RAM (byte 0
 * is the command byte: IRQ 1 and IRQ 12 enables, the system flag, each
 * port's clock disable, translation); 0xA7/0xA8 and 0xAD/0xAE disable and
 * enable the ports; 0xA9, 0xAB interface tests (0: no error), 0xAA
 * self-test (0x55); 0xD0/0xD1 read and write the output port (bit 0 the
 * CPU's reset line, active low: clearing it resets; bit 1 A20, kept but
 * without effect: the VM's A20 is always on); 0xD2/0xD3 write a byte into
 * the output buffer as the keyboard's or the mouse's; 0xD4 sends a byte to
 * the mouse, which is not there: 0xFE comes back with the time-out bit, as
 * from a PS/2 port with nothing plugged in; 0xDD/0xDF A20; 0xE0 the test
 * inputs; 0xF0-0xFF pulse the output port's low bits, and a pulse of bit
 * 0 (0xFE, the classic reboot) resets. Other commands are ignored, as
 * QEMU's i8042 ignores them.
 * The keyboard (an MF2 keyboard, IBM's scan codes): 0xFF reset (0xFA 0xAA),
 * 0xF4/0xF5 enable/disable scanning, 0xF6 defaults, 0xF2 identify (0xFA
 * 0xAB 0x83, or 0x41 as the controller translates it), 0xED LEDs, 0xEE
 * echo, 0xF0 the scan code set, 0xF3 typematic rate, 0xF7-0xFD acknowledged;
 * anything else is answered 0xFE (resend). A write to 0x60 enables the
 * keyboard's port, as on the AT (and QEMU).
 * Keys: a typed ASCII byte becomes its key's make and break codes (with
 * shift around it for capitals and symbols; US layout) in set 1 when the
 * controller translates (the command byte's bit 6, a BIOS's setting) or
 * the keyboard is in set 1, else in set 2 (0xF0 before a break); set 3
 * is answered but sent as set 2. As QEMU's keyboard does, the model
 * produces the translated codes itself rather than running the 8042's
 * translation table over set 2. The output buffer is 16 bytes deep (the
 * keyboard's own buffer behind the 8042's one byte); a controller's or
 * keyboard's answer it has no room for is dropped and counted.
 * IRQ 1 is high while a keyboard byte waits and the command byte enables
 * it; IRQ 12 likewise for a mouse byte.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define I8042_PORT_DATA    0x60
#define I8042_PORT_COMMAND 0x64         /* the status register when read */

enum {
    I8042_STR_OBF = 0x01, I8042_STR_IBF = 0x02, I8042_STR_SYSFLAG = 0x04, I8042_STR_CMDDAT = 0x08,
    I8042_STR_KEYLOCK = 0x10, I8042_STR_AUXDATA = 0x20, I8042_STR_TIMEOUT = 0x40,
};
enum {
    I8042_CTR_KBDINT = 0x01, I8042_CTR_AUXINT = 0x02, I8042_CTR_SYSFLAG = 0x04, I8042_CTR_KBDDIS = 0x10,
    I8042_CTR_AUXDIS = 0x20, I8042_CTR_XLATE = 0x40,
};
#define I8042_CTR_BIOS    0x65          /* as a BIOS leaves it: IRQ 1, translation, no mouse */
#define I8042_OUT_RESET   0x01          /* the output port's reset line (active low) */
#define I8042_OUT_A20     0x02
#define I8042_QUEUE       16

struct i8042_byte { uint8_t value; bool aux, timeout; };

struct i8042 {
    uint8_t ram[32];                    /* ram[0]: the command byte */
    uint8_t output_port;
    uint8_t awaiting;                   /* a controller command waiting for its byte at 0x60, or 0 */
    bool last_was_command;              /* status A2 */
    bool system_flag;
    struct i8042_byte queue[I8042_QUEUE];
    unsigned head, count;
    uint8_t last_read;                  /* port 0x60 with nothing new: the last byte again */
    /* The keyboard: */
    bool scanning;
    uint8_t scan_set;                   /* 1, 2 or 3 */
    uint8_t kbd_awaiting;               /* 0xED, 0xF0 or 0xF3 waiting for its argument, or 0 */
    uint8_t leds;
    uint64_t dropped;                   /* bytes the output buffer had no room for */
};

/* Power-on as a BIOS leaves it: self-tested, the command byte
 * I8042_CTR_BIOS, the reset line and A20 high, the keyboard scanning in
 * set 2 (seen as set 1 through the translation), nothing waiting. */
void i8042_reset(struct i8042 *k);

/* Port 0x60 or 0x64 (any other reads 0xFF, writes nothing). */
uint8_t i8042_read(struct i8042 *k, uint16_t port);
/* A write: true if it asks for the machine's reset (the output port's bit
 * 0 cleared by 0xD1, or pulsed by 0xF0-0xFE). */
bool i8042_write(struct i8042 *k, uint16_t port, uint8_t value);

/* The interrupt lines' levels now. */
bool i8042_irq1(const struct i8042 *k);
bool i8042_irq12(const struct i8042 *k);

/* A byte typed on the console, pressed and released on the keyboard:
 * its codes queued, or no room for them all yet (nothing queued: the
 * caller may try again once the guest has read), or dropped (no key for
 * it, or the keyboard not scanning or its port disabled: a key pressed
 * then is lost). */
enum i8042_typed { I8042_TYPED, I8042_NO_ROOM, I8042_DROPPED };
enum i8042_typed i8042_type(struct i8042 *k, uint8_t ascii);
