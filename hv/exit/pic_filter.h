/*
 * pic_filter.h: the guest's writes to the PC's two 8259A interrupt
 * controllers, checked before they reach the machine's own (a pure module:
 * any mode, also the host unit tests). Lab 4's virtual PIC replaces it.
 *
 * The guest programs the real chips until then, and a chip that takes a
 * setting it cannot honour breaks the whole machine: Bochs stops outright on
 * a level-triggered or single PIC, an ICW3 other than the PC's wiring, an
 * ICW4 without 8086 mode, and an OCW2 with level bits it does not expect.
 * The filter follows each chip's initialisation sequence (ICW1, ICW2, ICW3,
 * ICW4: Intel 8259A data sheet, "Initialization Command Words") and decides,
 * for each byte written:
 *   pass    it goes to the chip, perhaps as the value a real 8259A reads it
 *           as (OCW2's level bits, which only the specific commands use);
 *   stop    no 8259A of a PC could work so: the guest is stopped, and `why`
 *           says what it asked for.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1

enum pic_step { PIC_READY, PIC_WANT_ICW2, PIC_WANT_ICW3, PIC_WANT_ICW4 };

struct pic_filter {
    enum pic_step step[2];     /* [0] the master, [1] the slave */
};

struct pic_decision {
    bool pass;
    uint8_t value;             /* what goes to the chip, when pass */
    const char *why;           /* why the guest must stop, when not */
};

bool pic_port(uint16_t port);
struct pic_decision pic_filter_write(struct pic_filter *f, uint16_t port, uint8_t value);
