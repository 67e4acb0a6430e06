/*
 * pic.h: the PC's two 8259A programmable interrupt controllers as a VM sees
 * them (lab 4, the virtual timer): the master at ports 0x20/0x21, the slave
 * at 0xA0/0xA1, the slave's INT output wired to the master's IR2.
 *
 * A pure device model (any mode, also the host unit tests and the fuzzer):
 * it uses no other hv/ folder and no time. Its caller gives it three kinds
 * of event and reads one output:
 *   pic_write, pic_read   the guest's port I/O;
 *   pic_set_irq           a device's interrupt line, high or low (the model
 *                         finds the edges itself);
 *   pic_acknowledge       the CPU's INTA cycle, which returns the vector;
 *   pic_intr              the INTR pin: true when an INTA would find a
 *                         request (or the default IR7 of one that went away).
 *
 * It follows the Intel 8259A data sheet (order number 231468), and where
 * the data sheet leaves room, Bochs 2.7's iodev/pic.cc, the machine the
 * kit's tests compare a guest's view with; pic.c names each place.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The same names and values as exit/pic_filter.h's (lab 4 replaces that
 * filter; the two headers may meet in one file until then). */
#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1

#define PIC_IRQS        16     /* IRQ 0-7 on the master, 8-15 on the slave */
#define PIC_CASCADE_IR  2      /* the master's input the slave's INT drives */

/* A PC's BIOS leaves IRQ 0-7 at vectors 0x08-0x0F and IRQ 8-15 at 0x70-0x77. */
#define PIC_BIOS_MASTER_BASE 0x08
#define PIC_BIOS_SLAVE_BASE  0x70

enum pic_chip_id { PIC_MASTER, PIC_SLAVE };

/* The initialisation word a chip waits for on its data port: none (ready:
 * the data port is OCW1, the mask), or ICW2, ICW3, ICW4. */
enum pic_init_step { PIC_INIT_DONE, PIC_INIT_ICW2, PIC_INIT_ICW3, PIC_INIT_ICW4 };

/* One 8259A: its registers (the data sheet's names) and the words it was
 * initialised with. Bit n of a register is the chip's input IRn. */
struct pic_chip {
    uint8_t lines;             /* the IR inputs' levels, as last set */
    uint8_t irr;               /* interrupt request register */
    uint8_t isr;               /* in-service register */
    uint8_t imr;               /* interrupt mask register (OCW1) */
    uint8_t base;              /* ICW2 without its low 3 bits: IR0's vector */
    uint8_t icw1, icw3, icw4;  /* as last written; ICW4 is 0 when ICW1 has no IC4 */
    uint8_t lowest;            /* the IR of lowest priority, 0-7 (rotation) */
    enum pic_init_step step;
    bool read_isr;             /* OCW3: the command port reads the ISR, not the IRR */
    bool poll;                 /* OCW3 poll: the next read is the poll byte */
    bool special_mask;         /* OCW3: special mask mode */
    bool rotate_aeoi;          /* OCW2: rotate in automatic EOI mode */
    bool intr;                 /* the INT output */
};

/* The pair: chip[PIC_MASTER], chip[PIC_SLAVE]. */
struct pic {
    struct pic_chip chip[2];
};

/* One chip's state with its modes decoded, for the hypervisor to show
 * (gdb's `monitor pic`). */
struct pic_chip_state {
    uint8_t irr, isr, imr, lines;
    uint8_t base;              /* IR0's vector */
    uint8_t lowest;            /* the IR of lowest priority */
    uint8_t icw3;              /* master: the IRs with a slave; slave: its ID */
    enum pic_init_step step;
    bool level_triggered;      /* ICW1 LTIM */
    bool single;               /* ICW1 SNGL: no cascade */
    bool mode_8086;            /* ICW4 uPM (else MCS-80/85) */
    bool auto_eoi;             /* ICW4 AEOI */
    bool fully_nested_special; /* ICW4 SFNM */
    bool rotate_aeoi, special_mask, read_isr, poll, intr;
};

struct pic_state {
    struct pic_chip_state chip[2];
};

/* Power-on, as Bochs 2.7 starts its chips (the data sheet leaves it
 * undefined): initialised for a PC (edge-triggered, cascaded, 8086 mode,
 * vectors 0x08 and 0x70), every input masked, nothing requested. */
void pic_reset(struct pic *p);

/* The pair as a PC's BIOS leaves it for the operating system it boots:
 * pic_reset, then the initialisation and masks Bochs's BIOS
 * (BIOS-bochs-latest, rombios's post_init_pic) writes. */
void pic_reset_as_bios(struct pic *p);

/* Is port one of the four PIC ports? */
bool pic_handles_port(uint16_t port);

/* The guest's OUT to a PIC port and IN from one (pic_handles_port); other
 * ports are ignored and read 0xFF, a bus with nothing on it. */
void pic_write(struct pic *p, uint16_t port, uint8_t value);
uint8_t pic_read(struct pic *p, uint16_t port);

/* IRQ line irq (0-15) is now at level. IRQ 2 is the slave's cascade, which
 * no device drives on a PC (a card's IRQ 2 reaches the slave's IRQ 9): it
 * and irq > 15 are ignored. */
void pic_set_irq(struct pic *p, unsigned irq, bool level);

/* IRQ line irq low, then high again, where it stays: an edge, in one call
 * what pic_set_irq(false) then pic_set_irq(true) do (the virtual PIT's
 * tick, vm_interrupts.c, on every one). */
void pic_pulse_irq(struct pic *p, unsigned irq);

/* The INTR pin to the CPU: an INTA would get a vector. Inline: looked at
 * before every VM entry (exit/vm_interrupts.c). */
static inline bool pic_intr(const struct pic *p)
{
    return p->chip[PIC_MASTER].intr;
}

/* The INTA cycle: the vector of the highest-priority request, with the IRR
 * and ISR updated; with no request left, the default IR7 of the chip that
 * answers (its base + 7, no ISR bit of its own set). */
int pic_acknowledge(struct pic *p);

/* IRQ line irq (0-15): is it masked (its IMR bit), is its request in the
 * IRR? Cheap, for a look before every VM entry (exit/vm_interrupts.c). */
static inline bool pic_irq_masked(const struct pic *p, unsigned irq)
{
    return irq < PIC_IRQS && (p->chip[irq / 8].imr & (1u << (irq % 8)));
}

static inline bool pic_irq_requested(const struct pic *p, unsigned irq)
{
    return irq < PIC_IRQS && (p->chip[irq / 8].irr & (1u << (irq % 8)));
}

/* Both chips' state, for display. */
void pic_get_state(const struct pic *p, struct pic_state *state);
