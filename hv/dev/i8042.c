/*
 * i8042.c: the keyboard controller and its keyboard. See i8042.h.
 */
#include "dev/i8042.h"
#include "string.h"

#define KBD_ACK    0xFA
#define KBD_RESEND 0xFE
#define KBD_BAT_OK 0xAA
#define KBD_ECHO   0xEE
#define KBD_BREAK  0xF0                 /* set 2: the prefix of a break code */
#define SHIFT_SET1 0x2A

static void queue(struct i8042 *k, uint8_t value, bool aux, bool timeout)
{
    if (k->count == I8042_QUEUE) {
        k->dropped++;
        return;
    }
    k->queue[(k->head + k->count++) % I8042_QUEUE] = (struct i8042_byte){ value, aux, timeout };
}

/* A byte for the guest from the controller or the keyboard (not the mouse). */
static void answer(struct i8042 *k, uint8_t value) { queue(k, value, false, false); }

void i8042_reset(struct i8042 *k)
{
    memset(k, 0, sizeof(*k));
    k->ram[0] = I8042_CTR_BIOS;
    k->output_port = 0xCC | I8042_OUT_A20 | I8042_OUT_RESET;   /* QEMU's: keyboard clock and data high */
    k->system_flag = true;
    k->scanning = true;
    k->scan_set = 2;
}

static bool translating(const struct i8042 *k) { return k->ram[0] & I8042_CTR_XLATE; }

static const struct i8042_byte *waiting(const struct i8042 *k)
{
    return k->count ? &k->queue[k->head] : NULL;
}

static uint8_t status(const struct i8042 *k)
{
    const struct i8042_byte *b = waiting(k);
    return (uint8_t)((b ? I8042_STR_OBF : 0) | (k->system_flag ? I8042_STR_SYSFLAG : 0) |
                     (k->last_was_command ? I8042_STR_CMDDAT : 0) | I8042_STR_KEYLOCK |
                     (b && b->aux ? I8042_STR_AUXDATA : 0) | (b && b->timeout ? I8042_STR_TIMEOUT : 0));
}

uint8_t i8042_read(struct i8042 *k, uint16_t port)
{
    if (port == I8042_PORT_COMMAND)
        return status(k);
    if (port != I8042_PORT_DATA)
        return 0xFF;
    if (k->count) {
        k->last_read = k->queue[k->head].value;
        k->head = (k->head + 1) % I8042_QUEUE;
        k->count--;
    }
    return k->last_read;
}

/* ---- The keyboard ---- */

/* What 0xF0 0x00 reports: the set, or its code through the translation
 * (QEMU's ps2.c: 0x43, 0x41, 0x3F for sets 1-3). */
static uint8_t set_report(const struct i8042 *k)
{
    static const uint8_t translated[4] = { 0, 0x43, 0x41, 0x3F };
    return translating(k) ? translated[k->scan_set] : k->scan_set;
}

static void keyboard_argument(struct i8042 *k, uint8_t command, uint8_t value)
{
    switch (command) {
    case 0xED: k->leds = value & 7; break;
    case 0xF0:
        if (value > 3) {
            answer(k, KBD_RESEND);
            return;
        }
        answer(k, KBD_ACK);
        if (value == 0)
            answer(k, set_report(k));
        else
            k->scan_set = value;
        return;
    }
    answer(k, KBD_ACK);        /* 0xED's LEDs, 0xF3's rate */
}

static void keyboard_defaults(struct i8042 *k)
{
    k->leds = 0;
}

static void keyboard_command(struct i8042 *k, uint8_t value)
{
    if (k->kbd_awaiting) {
        uint8_t command = k->kbd_awaiting;
        k->kbd_awaiting = 0;
        keyboard_argument(k, command, value);
        return;
    }
    switch (value) {
    case 0xED: case 0xF0: case 0xF3:
        k->kbd_awaiting = value;
        answer(k, KBD_ACK);
        return;
    case KBD_ECHO: answer(k, KBD_ECHO); return;
    case 0xF2:
        answer(k, KBD_ACK);
        answer(k, 0xAB);
        answer(k, translating(k) ? 0x41 : 0x83);
        return;
    case 0xF4: k->scanning = true; break;
    case 0xF5: k->scanning = false; keyboard_defaults(k); break;
    case 0xF6: keyboard_defaults(k); break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD: break;
    case 0xFF:
        k->scanning = true;
        k->scan_set = 2;
        keyboard_defaults(k);
        answer(k, KBD_ACK);
        answer(k, KBD_BAT_OK);
        return;
    default: answer(k, KBD_RESEND); return;
    }
    answer(k, KBD_ACK);
}

/* ---- The controller ---- */

static uint8_t output_port(const struct i8042 *k)
{
    const struct i8042_byte *b = waiting(k);
    uint8_t full = !b ? 0 : b->aux ? 0x20 : 0x10;       /* bits 4 and 5: each port's buffer full */
    return (uint8_t)((k->output_port & ~0x30) | full);
}

/* The byte a command that waited for one gets at 0x60: true if it resets. */
static bool command_argument(struct i8042 *k, uint8_t command, uint8_t value)
{
    if (command >= 0x60 && command <= 0x7F) {
        k->ram[command & 0x1F] = value;
        if (command == 0x60)
            k->system_flag = value & I8042_CTR_SYSFLAG;
        return false;
    }
    switch (command) {
    case 0xD1:
        k->output_port = value;
        return !(value & I8042_OUT_RESET);
    case 0xD2: queue(k, value, false, false); break;
    case 0xD3: queue(k, value, true, false); break;
    case 0xD4: queue(k, KBD_RESEND, true, true); break;  /* no mouse: the port times out */
    }
    return false;
}

static bool controller_command(struct i8042 *k, uint8_t command)
{
    if (command >= 0x20 && command <= 0x3F) {
        answer(k, k->ram[command & 0x1F]);
        return false;
    }
    if ((command >= 0x60 && command <= 0x7F) || (command >= 0xD1 && command <= 0xD4)) {
        k->awaiting = command;
        return false;
    }
    if (command >= 0xF0)
        return !(command & 1);          /* bits 3:0 clear are pulsed: bit 0 is the reset line */
    switch (command) {
    case 0xA7: k->ram[0] |= I8042_CTR_AUXDIS; break;
    case 0xA8: k->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS; break;
    case 0xA9: case 0xAB: answer(k, 0x00); break;
    case 0xAA: k->system_flag = true; answer(k, 0x55); break;
    case 0xAD: k->ram[0] |= I8042_CTR_KBDDIS; break;
    case 0xAE: k->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS; break;
    case 0xD0: answer(k, output_port(k)); break;
    case 0xDD: k->output_port &= (uint8_t)~I8042_OUT_A20; break;
    case 0xDF: k->output_port |= I8042_OUT_A20; break;
    case 0xE0: answer(k, 0x00); break;
    }
    return false;
}

bool i8042_write(struct i8042 *k, uint16_t port, uint8_t value)
{
    if (port == I8042_PORT_COMMAND) {
        k->last_was_command = true;
        k->awaiting = 0;                /* a new command drops the one that waited */
        return controller_command(k, value);
    }
    if (port != I8042_PORT_DATA)
        return false;
    k->last_was_command = false;
    if (k->awaiting) {
        uint8_t command = k->awaiting;
        k->awaiting = 0;
        return command_argument(k, command, value);
    }
    k->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
    keyboard_command(k, value);
    return false;
}

bool i8042_irq1(const struct i8042 *k)
{
    const struct i8042_byte *b = waiting(k);
    return b && !b->aux && (k->ram[0] & I8042_CTR_KBDINT);
}

bool i8042_irq12(const struct i8042 *k)
{
    const struct i8042_byte *b = waiting(k);
    return b && b->aux && (k->ram[0] & I8042_CTR_AUXINT);
}

/* ---- Keys ---- */

/* The US layout's rows, unshifted and shifted, and the set-1 make code of
 * each row's first key (IBM's scan code set 1). */
static const struct { const char *plain, *shifted; uint8_t first; } rows[] = {
    { "1234567890-=", "!@#$%^&*()_+", 0x02 },
    { "qwertyuiop[]", "QWERTYUIOP{}", 0x10 },
    { "asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1E },
    { "\\zxcvbnm,./", "|ZXCVBNM<>?", 0x2B },
};

/* The set-1 make code of ascii's key (0: none) and whether it needs shift. */
static uint8_t key_of(uint8_t ascii, bool *shift)
{
    *shift = false;
    switch (ascii) {
    case 0x1B: return 0x01;             /* Escape */
    case '\b': return 0x0E;
    case '\t': return 0x0F;
    case '\n': case '\r': return 0x1C;  /* Enter */
    case ' ': return 0x39;
    }
    for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (unsigned i = 0; rows[r].plain[i]; i++) {
            if (rows[r].plain[i] == ascii)
                return (uint8_t)(rows[r].first + i);
            if (rows[r].shifted[i] == ascii) {
                *shift = true;
                return (uint8_t)(rows[r].first + i);
            }
        }
    return 0;
}

/* Set 2's code for each set-1 make code 0x00-0x39 (IBM's scan code
 * tables; 0 where no key is). */
static const uint8_t set2_of_set1[0x3A] = {
    0x00, 0x76, 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x4E, 0x55, 0x66, 0x0D,
    0x15, 0x1D, 0x24, 0x2D, 0x2C, 0x35, 0x3C, 0x43, 0x44, 0x4D, 0x54, 0x5B, 0x5A, 0x14, 0x1C, 0x1B,
    0x23, 0x2B, 0x34, 0x33, 0x3B, 0x42, 0x4B, 0x4C, 0x52, 0x0E, 0x12, 0x5D, 0x1A, 0x22, 0x21, 0x2A,
    0x32, 0x31, 0x3A, 0x41, 0x49, 0x4A, 0x59, 0x7C, 0x11, 0x29,
};

/* A key's make (or break) code(s) in the form the guest reads: one byte
 * in set 1, one or two (0xF0 first) in set 2. */
static unsigned key_bytes(const struct i8042 *k, uint8_t set1, bool make, uint8_t *out)
{
    if (translating(k) || k->scan_set == 1) {
        out[0] = make ? set1 : (uint8_t)(set1 | 0x80);
        return 1;
    }
    if (make) {
        out[0] = set2_of_set1[set1];
        return 1;
    }
    out[0] = KBD_BREAK;
    out[1] = set2_of_set1[set1];
    return 2;
}

enum i8042_typed i8042_type(struct i8042 *k, uint8_t ascii)
{
    bool shift;
    uint8_t key = key_of(ascii, &shift);
    if (!key || !k->scanning || (k->ram[0] & I8042_CTR_KBDDIS)) {
        k->dropped++;
        return I8042_DROPPED;
    }
    uint8_t bytes[8];
    unsigned n = 0;
    if (shift)
        n += key_bytes(k, SHIFT_SET1, true, bytes + n);
    n += key_bytes(k, key, true, bytes + n);
    n += key_bytes(k, key, false, bytes + n);
    if (shift)
        n += key_bytes(k, SHIFT_SET1, false, bytes + n);
    if (k->count + n > I8042_QUEUE)
        return I8042_NO_ROOM;
    for (unsigned i = 0; i < n; i++)
        queue(k, bytes[i], false, false);
    return I8042_TYPED;
}
