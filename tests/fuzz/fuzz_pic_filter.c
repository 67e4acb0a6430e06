/*
 * fuzz_pic_filter.c: hv/exit/pic_filter.c, the check on the guest's writes to
 * the PC's two 8259A PICs, on arbitrary write sequences.
 *
 * The input is pairs of bytes: a port (its low two bits pick 0x20, 0x21,
 * 0xA0, 0xA1) and the value written. The writes go through the filter until
 * it stops the guest, as the hypervisor does. A model of each chip, written
 * from the 8259A data sheet ("Initialization Command Words", "Operation
 * Command Words"), follows what the filter lets through, and checks that
 * nothing a PC's PIC cannot honour (and Bochs's stops the machine on)
 * reaches it:
 *   - ICW1 edge-triggered, cascaded, with ICW4; ICW3 0x04 for the master and
 *     2 for the slave; ICW4 in 8086 mode;
 *   - an OCW2 that does not read the level (every command but the specific
 *     ones: 011, 110, 111) carries no level bits;
 *   - a value is changed only there (OCW2's level bits), and a stop says why.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "exit/pic_filter.h"

static const uint16_t ports[4] = { PIC_MASTER_CMD, PIC_MASTER_DATA, PIC_SLAVE_CMD, PIC_SLAVE_DATA };

enum chip_state { READY, ICW2, ICW3, ICW4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pic_filter f = { { PIC_READY, PIC_READY } };
    enum chip_state chip[2] = { READY, READY };
    for (size_t i = 0; i + 1 < size; i += 2) {
        uint16_t port = ports[data[i] & 3];
        uint8_t value = data[i + 1];
        bool slave = port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA;
        bool cmd = port == PIC_MASTER_CMD || port == PIC_SLAVE_CMD;
        FUZZ_CHECK(pic_port(port), "port 0x%x is a PIC's", port);
        struct pic_decision d = pic_filter_write(&f, port, value);
        if (!d.pass) {
            FUZZ_CHECK(d.why && d.why[0], "a stop without a reason");
            return 0;                       /* the guest is stopped */
        }
        uint8_t v = d.value;
        enum chip_state *s = &chip[slave];
        if (cmd && (v & 0x10)) {            /* ICW1 */
            FUZZ_CHECK(v == value, "ICW1 0x%02x became 0x%02x", value, v);
            FUZZ_CHECK(!(v & 0x08) && !(v & 0x02) && (v & 0x01), "ICW1 0x%02x reached the chip", v);
            *s = ICW2;
        } else if (cmd && !(v & 0x08)) {    /* OCW2 */
            uint8_t c = v & 0xE0;
            bool specific = c == 0x60 || c == 0xC0 || c == 0xE0;
            FUZZ_CHECK(specific || !(v & 0x07), "OCW2 0x%02x with level bits reached the chip", v);
            FUZZ_CHECK((v & 0xF8) == (value & 0xF8) && (specific ? v == value : true),
                       "OCW2 0x%02x became 0x%02x", value, v);
        } else if (cmd) {                   /* OCW3 */
            FUZZ_CHECK(v == value, "OCW3 0x%02x became 0x%02x", value, v);
        } else {
            FUZZ_CHECK(v == value, "data 0x%02x became 0x%02x", value, v);
            if (*s == ICW2) {
                *s = ICW3;
            } else if (*s == ICW3) {
                FUZZ_CHECK(v == (slave ? 0x02 : 0x04), "ICW3 0x%02x reached the %s", v, slave ? "slave" : "master");
                *s = ICW4;
            } else if (*s == ICW4) {
                FUZZ_CHECK(v & 0x01, "ICW4 0x%02x without 8086 mode reached the chip", v);
                *s = READY;
            }
        }
    }
    return 0;
}
