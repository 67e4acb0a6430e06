/*
 * pic.c: the two 8259A interrupt controllers of the PC (master at ports
 * 0x20/0x21, slave at 0xA0/0xA1, cascaded on IRQ 2).
 *
 * At reset their vectors overlap the CPU exceptions (IRQ 0 = vector 8), so
 * we move IRQ 0-15 to vectors 32-47 and mask every line the kernel does not
 * handle. Until lab 4 the hypervisor passes these writes on to the machine's
 * own PICs, after checking them (hv/exit/pic_filter.c).
 */
#include "defs.h"
#include "plat.h"
#include "../../lib/x86io.h"

enum { MASTER_CMD = 0x20, MASTER_DATA = 0x21, SLAVE_CMD = 0xA0, SLAVE_DATA = 0xA1 };
#define PIC_EOI 0x20

static uint16_t irq_mask = 0xFFFF & ~(1 << 2);     /* all masked but the cascade */

static void write_masks(void)
{
    outb(MASTER_DATA, irq_mask & 0xFF);
    outb(SLAVE_DATA, irq_mask >> 8);
}

void init_pic(void)
{
    /* ICW1: edge triggered, cascade, ICW4 follows. ICW2: vector base.
     * ICW3: slave on IRQ 2. ICW4: 8086 mode, normal EOI. */
    outb(MASTER_CMD, 0x11);
    outb(SLAVE_CMD, 0x11);
    outb(MASTER_DATA, 32);
    outb(SLAVE_DATA, 40);
    outb(MASTER_DATA, 1 << 2);
    outb(SLAVE_DATA, 2);
    outb(MASTER_DATA, 0x01);
    outb(SLAVE_DATA, 0x01);
    write_masks();
}

void enable_irq(int irq)
{
    uint32_t flags = irq_save();
    irq_mask &= ~(1 << irq);
    write_masks();
    irq_restore(flags);
}

/* End of interrupt: the slave's IRQs need an EOI at both controllers. */
void ack_irq(int irq)
{
    if (irq >= 8)
        outb(SLAVE_CMD, PIC_EOI);
    outb(MASTER_CMD, PIC_EOI);
}
