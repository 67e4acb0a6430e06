/*
 * pit.c: the virtual 8254's ports (a pure module; see pit.h): the control
 * word, the counter latch and read-back commands, the byte order of counts
 * written and read, and port B (0x61). One counter's counting is
 * pit_counter.c's.
 */
#include "dev/pit.h"
#include "dev/pit_counter.h"

/* Control word fields (8254 data sheet, "Control Word Format") */
#define CW_SC(v)        ((v) >> 6)          /* select counter; 3 = read-back */
#define CW_RW(v)        (((v) >> 4) & 3)    /* 0 = counter latch command */
#define SC_READ_BACK    3
#define RW_LSB          1
#define RW_MSB          2
#define RW_LSB_MSB      3
/* Read-back command ("Read-Back Command"): bits 5 and 4 are active low */
#define RB_NO_COUNT     0x20
#define RB_NO_STATUS    0x10
#define RB_COUNTER(i)   (2u << (i))

/* The refresh request toggle of port B flips every 15.085 us on a PC (IBM
 * PC/AT Technical Reference, "System Control Port B"): 18 input clocks. */
#define REFRESH_CLOCKS  18

/* Time never goes back, and stays where the arithmetic cannot overflow. */
static uint64_t pit_time(struct pit *p, uint64_t now)
{
    if (now > PIT_NOW_MAX)
        now = PIT_NOW_MAX;
    if (now < p->now)
        now = p->now;
    p->now = now;
    return now;
}

bool pit_port(uint16_t port)
{
    return (port >= PIT_PORT_COUNTER0 && port <= PIT_PORT_CONTROL) || port == PIT_PORT_B;
}

void pit_reset(struct pit *p)
{
    *p = (struct pit){ 0 };
    for (unsigned i = 0; i < 3; i++)
        pit_counter_reset(&p->counter[i], true);
}

void pit_start_as_bios(struct pit *p, uint64_t now)
{
    pit_reset(p);
    pit_write(p, PIT_PORT_CONTROL, 0x34, now);    /* counter 0, LSB then MSB, mode 2, binary */
    pit_write(p, PIT_PORT_COUNTER0, 0x00, now);
    pit_write(p, PIT_PORT_COUNTER0, 0x00, now);
}

/* "Counter Latch Command": CE is copied into the output latch, which holds
 * it until read; a second latch before the read is ignored. A latch in
 * the middle of a two-byte read starts the reading again at the LSB
 * (Bochs's choice: the data sheet does not say). */
static void latch_count(struct pit_counter *c, uint64_t now)
{
    if (c->latch_bytes)
        return;
    c->latch = pit_counter_read_ce(c, now);
    c->latch_bytes = c->rw == RW_LSB_MSB ? 2 : 1;
    c->read_msb = false;
}

/* "Read-Back Command", status byte: OUT, null count, RW, mode, BCD; like
 * the count, a status latched stays until read. */
static void latch_status(struct pit_counter *c, uint64_t now)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(pit_counter_out(c, now) << 7 | pit_counter_null_count(c, now) << 6 |
                          c->rw << 4 | c->mode_bits << 1 | c->bcd);
    c->status_latched = true;
}

static void write_control(struct pit *p, uint8_t value, uint64_t now)
{
    if (CW_SC(value) == SC_READ_BACK) {
        for (unsigned i = 0; i < 3; i++) {
            if (!(value & RB_COUNTER(i)))
                continue;
            if (!(value & RB_NO_COUNT))
                latch_count(&p->counter[i], now);
            if (!(value & RB_NO_STATUS))
                latch_status(&p->counter[i], now);
        }
        return;
    }
    struct pit_counter *c = &p->counter[CW_SC(value)];
    if (CW_RW(value) == 0) {
        latch_count(c, now);
        return;
    }
    /* A new control word starts the byte order afresh and drops what was
     * latched (Bochs: "programming a counter removes a latched status"). */
    pit_counter_set_mode(c, value, now);
    c->write_msb = c->read_msb = false;
    c->latch_bytes = 0;
    c->status_latched = false;
}

/* "Write Operations": the count's bytes in the order the control word
 * chose; with LSB then MSB, the count is whole at the MSB. */
static void write_counter(struct pit_counter *c, uint8_t value, uint64_t now)
{
    if (c->rw == RW_LSB) {
        pit_counter_write_count(c, value, now);
    } else if (c->rw == RW_MSB) {
        pit_counter_write_count(c, (uint16_t)(value << 8), now);
    } else if (!c->write_msb) {
        c->write_lsb = value;
        c->write_msb = true;
        if (c->mode == 0)
            pit_counter_hold_for_msb(c, now);
    } else {
        c->write_msb = false;
        pit_counter_write_count(c, (uint16_t)(value << 8 | c->write_lsb), now);
    }
}

/* "Read Operations": a latched status first, then a latched count, else
 * CE as it counts; the bytes in the control word's order. */
static uint8_t read_counter(struct pit_counter *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->latch_bytes) {
        v = c->latch;
        c->latch_bytes--;
    } else {
        v = pit_counter_read_ce(c, now);
    }
    bool msb = c->rw == RW_MSB;
    if (c->rw == RW_LSB_MSB) {
        msb = c->read_msb;
        c->read_msb = !msb;
    }
    return (uint8_t)(msb ? v >> 8 : v);
}

void pit_write(struct pit *p, uint16_t port, uint8_t value, uint64_t now)
{
    now = pit_time(p, now);
    if (port == PIT_PORT_CONTROL) {
        write_control(p, value, now);
    } else if (port >= PIT_PORT_COUNTER0 && port <= PIT_PORT_COUNTER2) {
        write_counter(&p->counter[port - PIT_PORT_COUNTER0], value, now);
    } else if (port == PIT_PORT_B) {
        p->port_b = value & PIT_B_WRITABLE;
        pit_counter_set_gate(&p->counter[2], value & PIT_B_GATE2, now);
    }
}

/* Port B as Bochs 2.7's pit.cc composes it: gate 2, speaker enable, the
 * refresh toggle, OUT2; the parity bits 2 and 3 are kept but read 0. */
static uint8_t read_port_b(struct pit *p, uint64_t now)
{
    uint8_t v = p->port_b & PIT_B_SPEAKER;
    if (p->counter[2].gate)
        v |= PIT_B_GATE2;
    if ((now / REFRESH_CLOCKS) & 1)
        v |= PIT_B_REFRESH;
    if (pit_counter_out(&p->counter[2], now))
        v |= PIT_B_OUT2;
    return v;
}

uint8_t pit_read(struct pit *p, uint16_t port, uint64_t now)
{
    now = pit_time(p, now);
    if (port >= PIT_PORT_COUNTER0 && port <= PIT_PORT_COUNTER2)
        return read_counter(&p->counter[port - PIT_PORT_COUNTER0], now);
    if (port == PIT_PORT_CONTROL)
        return 0;
    if (port == PIT_PORT_B)
        return read_port_b(p, now);
    return 0xFF;
}

bool pit_out(struct pit *p, unsigned channel, uint64_t now)
{
    now = pit_time(p, now);
    return channel < 3 && pit_counter_out(&p->counter[channel], now);
}

uint64_t pit_irq0_edges(struct pit *p, uint64_t now)
{
    return pit_counter_take_edges(&p->counter[0], pit_time(p, now));
}

uint64_t pit_next_irq0_edge(struct pit *p, uint64_t now)
{
    return pit_counter_next_edge(&p->counter[0], pit_time(p, now));
}
