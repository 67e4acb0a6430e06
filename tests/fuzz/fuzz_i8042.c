/*
 * fuzz_i8042.c: hv/dev/i8042.c, the keyboard controller and keyboard, on
 * arbitrary scripts of what a guest can do at ports 0x60 and 0x64 while
 * keys are typed.
 *
 * The input is a script, one step per byte (a write or a key takes the
 * next byte as its value); the low two bits of a step's byte say what it
 * is:
 *   0  port 0x64 written (a controller command) with the next byte;
 *   1  port 0x60 written with the next byte;
 *   2  port 0x60 read if the step's bit 2 is set, else 0x64;
 *   3  the next byte typed on the console.
 * After every step:
 *   - at most 16 bytes wait; the status says OBF exactly when one does,
 *     never IBF, AUXB only with OBF and the time-out bit only with AUXB;
 *   - IRQ 1 is high only for a keyboard byte with the command byte's bit
 *     0, IRQ 12 only for a mouse byte;
 *   - a write asks for a reset exactly when it is a command 0xF0-0xFE
 *     with bit 0 clear, or the byte after a command 0xD1 with bit 0 clear;
 *   - a key typed adds 2 to 6 bytes, or none.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/i8042.h"

static void check(struct i8042 *k)
{
    uint8_t s = i8042_read(k, I8042_PORT_COMMAND);
    FUZZ_CHECK(k->count <= I8042_QUEUE, "%u bytes wait", k->count);
    FUZZ_CHECK(!!(s & I8042_STR_OBF) == (k->count > 0), "status 0x%02x with %u bytes", s, k->count);
    FUZZ_CHECK(!(s & I8042_STR_IBF), "status 0x%02x: IBF", s);
    FUZZ_CHECK(!(s & I8042_STR_AUXDATA) || (s & I8042_STR_OBF), "status 0x%02x: AUXB alone", s);
    FUZZ_CHECK(!(s & I8042_STR_TIMEOUT) || (s & I8042_STR_AUXDATA), "status 0x%02x: time-out alone", s);
    FUZZ_CHECK(!i8042_irq1(k) || ((s & (I8042_STR_OBF | I8042_STR_AUXDATA)) == I8042_STR_OBF &&
                                  (k->ram[0] & I8042_CTR_KBDINT)), "IRQ 1 with status 0x%02x", s);
    FUZZ_CHECK(!i8042_irq12(k) || (s & I8042_STR_AUXDATA), "IRQ 12 with status 0x%02x", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    struct i8042 k;
    i8042_reset(&k);
    check(&k);
    bool after_d1 = false;
    while (in.pos < in.size) {
        uint8_t step = (uint8_t)fuzz_take(&in, 1);
        switch (step & 3) {
        case 0: case 1: {
            uint8_t value = (uint8_t)fuzz_take(&in, 1);
            bool is_command = (step & 3) == 0;
            bool reset = i8042_write(&k, is_command ? I8042_PORT_COMMAND : I8042_PORT_DATA, value);
            bool asked = is_command ? value >= 0xF0 && !(value & 1) : after_d1 && !(value & 1);
            FUZZ_CHECK(reset == asked, "0x%02x to port 0x%x: reset %d", value, is_command ? 0x64 : 0x60, reset);
            after_d1 = is_command && value == 0xD1;
            break;
        }
        case 2: (void)i8042_read(&k, step & 4 ? I8042_PORT_DATA : I8042_PORT_COMMAND); break;
        case 3: {
            unsigned before = k.count;
            enum i8042_typed typed = i8042_type(&k, (uint8_t)fuzz_take(&in, 1));
            unsigned added = k.count - before;
            FUZZ_CHECK(typed == I8042_TYPED ? added >= 2 && added <= 6 : added == 0, "a key added %u bytes (%d)",
                       added, typed);
            FUZZ_CHECK(typed != I8042_NO_ROOM || before > I8042_QUEUE - 6, "no room with %u bytes waiting", before);
            break;
        }
        }
        check(&k);
    }
    return 0;
}
