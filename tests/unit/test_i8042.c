/*
 * test_i8042.c: hv/dev/i8042.c, the keyboard controller and its keyboard:
 * the status register, the command byte, the controller's tests, the
 * output port and the two ways to reset, the keyboard's commands as
 * Linux's atkbd sends them, the mouse that is not there, typed keys in
 * set 1 and set 2, IRQ 1 and the output buffer's limit.
 */
#include "unit.h"
#include "dev/i8042.h"

static struct i8042 k;

static int setup(void **state)
{
    (void)state;
    i8042_reset(&k);
    return 0;
}

static uint8_t status(void) { return i8042_read(&k, I8042_PORT_COMMAND); }
static uint8_t data(void) { return i8042_read(&k, I8042_PORT_DATA); }
static bool command(uint8_t c) { return i8042_write(&k, I8042_PORT_COMMAND, c); }
static bool send(uint8_t d) { return i8042_write(&k, I8042_PORT_DATA, d); }
#define assert_typed(ascii) assert_int_equal(i8042_type(&k, (ascii)), I8042_TYPED)

/* The bytes waiting, read until the output buffer is empty. */
static unsigned drain(uint8_t *out, unsigned max)
{
    unsigned n = 0;
    while ((status() & I8042_STR_OBF) && n < max)
        out[n++] = data();
    return n;
}

#define assert_bytes(...)                                                        \
    do {                                                                         \
        const uint8_t want[] = { __VA_ARGS__ };                                  \
        uint8_t got[32];                                                         \
        unsigned n = drain(got, 32);                                             \
        assert_int_equal(n, sizeof want);                                        \
        assert_memory_equal(got, want, sizeof want);                             \
    } while (0)

static void test_power_on(void **state)
{
    (void)state;
    assert_int_equal(status(), I8042_STR_SYSFLAG | I8042_STR_KEYLOCK);   /* nothing waits, ready */
    assert_false(command(0x20));
    assert_int_equal(status() & (I8042_STR_OBF | I8042_STR_CMDDAT), I8042_STR_OBF | I8042_STR_CMDDAT);
    assert_bytes(I8042_CTR_BIOS);
    assert_int_equal(data(), I8042_CTR_BIOS);                           /* nothing new: the last byte again */
    assert_false(i8042_irq1(&k));
    assert_int_equal(i8042_read(&k, 0x61), 0xFF);
}

static void test_controller_commands(void **state)
{
    (void)state;
    command(0xAA);
    assert_bytes(0x55);
    command(0xAB);
    assert_bytes(0x00);
    command(0xA9);
    assert_bytes(0x00);
    command(0xE0);
    assert_bytes(0x00);
    command(0xAD);
    command(0xA7);
    command(0x20);
    assert_bytes(I8042_CTR_BIOS | I8042_CTR_KBDDIS | I8042_CTR_AUXDIS);
    command(0xAE);
    command(0xA8);
    command(0x20);
    assert_bytes(I8042_CTR_BIOS & ~I8042_CTR_AUXDIS);
    /* The command byte written: the system flag follows its bit 2. */
    command(0x60);
    send(0x00);
    assert_int_equal(status() & I8042_STR_SYSFLAG, 0);
    command(0x20);
    assert_bytes(0x00);
    command(0xAA);
    assert_bytes(0x55);
    assert_int_equal(status() & I8042_STR_SYSFLAG, I8042_STR_SYSFLAG);
    /* Its RAM's other bytes, and an unknown command, ignored. */
    command(0x7F);
    send(0x5A);
    command(0x3F);
    assert_bytes(0x5A);
    command(0xC8);
    assert_int_equal(status() & I8042_STR_OBF, 0);
    /* A command that waited for its byte is dropped by the next command. */
    command(0x60);
    command(0x20);
    assert_bytes(0x00);
}

static void test_output_port_and_reset(void **state)
{
    (void)state;
    command(0xD0);
    assert_bytes(0xCF);
    command(0xDD);
    command(0xD0);
    assert_bytes(0xCD);
    command(0xDF);
    command(0xD1);
    assert_false(send(0xDF));                            /* A20 on, reset line high */
    command(0x20);                                       /* a byte waits: bit 4 of the output port */
    command(0xD0);
    assert_int_equal(data(), I8042_CTR_BIOS);
    assert_bytes(0xDF);
    command(0xD1);
    assert_true(send(0xDE));                             /* the reset line low */
    assert_true(command(0xFE));                          /* the classic reboot */
    assert_true(command(0xF0));
    assert_false(command(0xFF));                         /* pulses nothing */
    assert_false(command(0xFD));
    assert_false(send(0xFE));                            /* to the keyboard: resend, no reset */
    assert_bytes(0xFE);
}

static void test_keyboard_commands(void **state)
{
    (void)state;
    send(0xFF);
    assert_bytes(0xFA, 0xAA);
    send(0xF2);
    assert_bytes(0xFA, 0xAB, 0x41);                      /* translated */
    send(0xED);
    send(0x07);
    assert_bytes(0xFA, 0xFA);
    assert_int_equal(k.leds, 7);
    send(0xEE);
    assert_bytes(0xEE);
    send(0xF0);
    send(0x00);
    assert_bytes(0xFA, 0xFA, 0x41);                      /* set 2, translated */
    send(0xF0);
    send(0x09);
    assert_bytes(0xFA, 0xFE);
    send(0xF3);
    send(0x20);
    assert_bytes(0xFA, 0xFA);
    send(0xF5);
    send(0xF4);
    send(0xF6);
    send(0xFB);
    assert_bytes(0xFA, 0xFA, 0xFA, 0xFA);
    send(0x42);                                          /* not a command */
    assert_bytes(0xFE);
    /* Without translation: the raw ID and set. */
    command(0x60);
    send(I8042_CTR_BIOS & ~I8042_CTR_XLATE);
    send(0xF2);
    assert_bytes(0xFA, 0xAB, 0x83);
    send(0xF0);
    send(0x00);
    assert_bytes(0xFA, 0xFA, 0x02);
}

static void test_no_mouse(void **state)
{
    (void)state;
    command(0xD4);
    send(0xF2);
    assert_int_equal(status() & (I8042_STR_OBF | I8042_STR_AUXDATA | I8042_STR_TIMEOUT),
                     I8042_STR_OBF | I8042_STR_AUXDATA | I8042_STR_TIMEOUT);
    assert_false(i8042_irq12(&k));                       /* AUX interrupts off in the BIOS's byte */
    assert_false(i8042_irq1(&k));
    assert_bytes(0xFE);
    command(0xD3);                                       /* the loop-back Linux tries first */
    send(0x5A);
    assert_int_equal(status() & (I8042_STR_AUXDATA | I8042_STR_TIMEOUT), I8042_STR_AUXDATA);
    assert_bytes(0x5A);
    command(0xD2);
    send(0x1E);
    assert_true(i8042_irq1(&k));
    assert_bytes(0x1E);
}

static void test_typed_keys(void **state)
{
    (void)state;
    assert_typed('a');
    assert_true(i8042_irq1(&k));
    assert_bytes(0x1E, 0x9E);
    assert_false(i8042_irq1(&k));
    assert_typed('A');
    assert_bytes(0x2A, 0x1E, 0x9E, 0xAA);
    assert_typed('\n');
    assert_typed('/');
    assert_typed('?');
    assert_bytes(0x1C, 0x9C, 0x35, 0xB5, 0x2A, 0x35, 0xB5, 0xAA);
    assert_int_equal(i8042_type(&k, 0x01), I8042_DROPPED);                  /* no key for it */
    assert_int_equal(status() & I8042_STR_OBF, 0);
    /* Set 2 untranslated: a break code is 0xF0 then the make code. */
    command(0x60);
    send(I8042_CTR_BIOS & ~I8042_CTR_XLATE);
    assert_typed('Z');
    assert_bytes(0x12, 0x1A, 0xF0, 0x1A, 0xF0, 0x12);
    send(0xF0);
    send(0x01);
    assert_bytes(0xFA, 0xFA);
    assert_typed(' ');
    assert_bytes(0x39, 0xB9);
}

static void test_keys_held_back(void **state)
{
    (void)state;
    command(0xAD);
    assert_int_equal(i8042_type(&k, 'a'), I8042_DROPPED);
    command(0xAE);
    send(0xF5);
    assert_bytes(0xFA);
    assert_int_equal(i8042_type(&k, 'a'), I8042_DROPPED);
    send(0xF4);
    assert_bytes(0xFA);
    /* IRQ 1 off in the command byte: the byte waits, no interrupt. */
    command(0x60);
    send(I8042_CTR_BIOS & ~I8042_CTR_KBDINT);
    assert_typed('b');
    assert_false(i8042_irq1(&k));
    assert_bytes(0x30, 0xB0);
    /* The output buffer's limit: whole keys only, the rest wait. */
    unsigned typed = 0;
    for (unsigned i = 0; i < 20; i++)
        typed += i8042_type(&k, 'x') == I8042_TYPED;
    assert_int_equal(typed, I8042_QUEUE / 2);
    assert_int_equal(i8042_type(&k, 'X'), I8042_NO_ROOM);
    assert_int_equal(k.count, I8042_QUEUE);
    assert_int_equal(k.dropped, 2);                      /* the two keys of the disabled keyboard */
    command(0xAA);                                       /* no room for its answer either */
    assert_int_equal(k.count, I8042_QUEUE);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_power_on),
        T(test_controller_commands),
        T(test_output_port_and_reset),
        T(test_keyboard_commands),
        T(test_no_mouse),
        T(test_typed_keys),
        T(test_keys_held_back),
    };
    return RUN_UNIT_TESTS("i8042", tests);
}
