/*
 * lapic_priority.h: the local APIC's interrupt registers (IRR, ISR, TMR: 256
 * bits each, one per vector) and the priority rules between them and the
 * TPR (a pure module: any mode, the host tests; lapic.c holds one).
 *
 * SDM vol. 3, 11.8 "Handling Interrupts": an accepted interrupt waits in the
 * IRR (11.8.4); the highest one whose priority class (vector bits 7:4) is
 * above the processor priority (PPR, 11.8.3.1) goes to the CPU, which moves
 * it to the ISR; an EOI ends the highest in service (11.8.5). The TMR says
 * which were level-triggered.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct lapic_vectors {
    uint32_t irr[8], isr[8], tmr[8];    /* bit v % 32 of word v / 32: vector v */
    uint32_t tpr;                       /* the task-priority register, bits 7:0 */
    /* Bit i set while irr[i] is not 0: the CPU asks for the pending vector
     * before every VM entry (devices=virtual), mostly of an empty IRR,
     * which this answers without a scan. Kept by this module alone, the
     * only one that changes the IRR. */
    uint8_t irr_words;
};

static inline bool lapic_test_vector(const uint32_t *reg, unsigned v)
{
    return (reg[v / 32] >> (v % 32)) & 1;
}

/* The highest vector set in a 256-bit register, or -1. */
int lapic_find_highest(const uint32_t *reg);

/* The processor priority (11.8.3.1) and the arbitration priority (11.6.2.4). */
uint32_t lapic_compute_ppr(const struct lapic_vectors *p);
uint32_t lapic_compute_apr(const struct lapic_vectors *p);

/* The vector the CPU would take: the highest in the IRR whose class is above
 * the PPR's (11.8.4), or -1. */
int lapic_find_deliverable(const struct lapic_vectors *p);

/* Put a vector in the IRR, its TMR bit set for level, cleared for edge
 * (11.8.4). Vectors 0-15 are refused (11.5.2): false, the caller records the
 * error. One interrupt per vector waits: a second before the first is taken
 * is the same one, and changes nothing. */
bool lapic_latch_vector(struct lapic_vectors *p, unsigned vector, bool level);

/* The interrupt acknowledge: the deliverable vector from the IRR to the ISR;
 * returns it, or -1 (nothing changed). */
int lapic_service_vector(struct lapic_vectors *p);

/* An EOI: the highest vector in the ISR cleared; returns it, or -1. */
int lapic_end_vector(struct lapic_vectors *p);
