/*
 * pit_counter.h: one 8254 counter's counting element, worked out from the
 * time (pit_counter.c, a pure module). pit.c, the ports, is its only user,
 * and struct pit holds three. Each function takes `now`, the input clock,
 * never earlier than the previous call's.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* A clock that never comes: a stopped counter's load, no next edge. */
#define PIT_NEVER UINT64_MAX

/* One counter. The first group is the port's side (pit.c); the rest is
 * the counting element as a timeline (pit_counter.c). */
struct pit_counter {
    /* The last control word (8254 data sheet, "Control Word Format") */
    uint8_t mode;            /* 0-5: modes 6 and 7 run as 2 and 3 */
    uint8_t mode_bits;       /* M2-M0 as written, for the status byte */
    uint8_t rw;              /* 1 LSB only, 2 MSB only, 3 LSB then MSB */
    bool bcd;
    bool gate;
    /* Reads and writes through the counter's port */
    bool write_msb;          /* rw 3: the next byte written is the MSB */
    uint8_t write_lsb;       /* rw 3: the LSB written before it */
    bool read_msb;           /* rw 3: the next byte read is the MSB */
    uint8_t latch_bytes;     /* bytes of the latched count left to read */
    uint16_t latch;          /* the output latch */
    bool status_latched;
    uint8_t status;
    /* The count register and the counting element */
    uint16_t cr;             /* the count register, as written */
    bool cr_written;         /* a whole count since the control word */
    uint64_t cr_loaded_at;   /* null count until this clock */
    uint64_t load_at;        /* the clock CE was (or is to be) loaded; PIT_NEVER: stopped */
    uint64_t run_from;       /* CE at position `base` then, counting since */
    uint64_t base;
    bool paused;             /* modes 0 and 4 with the gate low */
    uint32_t n;              /* the count CE runs with, in clocks (1-65536) */
    uint16_t hold;           /* what CE reads before load_at (or stopped) */
    bool out_hold;           /* OUT before load_at (or stopped) */
    uint64_t next_at;        /* modes 2, 3: a new count waits for this reload */
    uint32_t next_n;
    bool next_low;           /* mode 3: it starts in the low half */
    /* Rising edges of OUT not yet collected */
    uint64_t edges_from;
    uint64_t edges_owed;
};

/* Power-on: mode 4, LSB only, binary, stopped, OUT high, gate as given. */
void pit_counter_reset(struct pit_counter *c, bool gate);

/* A control word that programs the counter (RW != 0). */
void pit_counter_set_mode(struct pit_counter *c, uint8_t control, uint64_t now);

/* A whole count written into the count register. */
void pit_counter_write_count(struct pit_counter *c, uint16_t count, uint64_t now);

/* Mode 0: the LSB of a two-byte count written; counting stops until the MSB. */
void pit_counter_hold_for_msb(struct pit_counter *c, uint64_t now);

/* The GATE input changes (a PC wires only counter 2's, to port 0x61 bit 0). */
void pit_counter_set_gate(struct pit_counter *c, bool gate, uint64_t now);

/* The counting element as a read gives it (BCD digits in BCD mode), OUT,
 * and the null count bit of the status byte. */
uint16_t pit_counter_read_ce(struct pit_counter *c, uint64_t now);
bool pit_counter_out(struct pit_counter *c, uint64_t now);
bool pit_counter_null_count(struct pit_counter *c, uint64_t now);

/* OUT's rising edges since the previous call, and the next one after now. */
uint64_t pit_counter_take_edges(struct pit_counter *c, uint64_t now);
uint64_t pit_counter_next_edge(struct pit_counter *c, uint64_t now);
