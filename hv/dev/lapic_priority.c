/*
 * lapic_priority.c: the local APIC's IRR, ISR and TMR and the priority rules
 * between them (a pure module: any mode, the host tests). lapic_priority.h
 * says what it models; SDM vol. 3, 11.8 is the reference.
 */
#include "lapic_priority.h"

static void set_vector(uint32_t *reg, unsigned v)
{
    reg[v / 32] |= 1u << (v % 32);
}

static void clear_vector(uint32_t *reg, unsigned v)
{
    reg[v / 32] &= ~(1u << (v % 32));
}

/* A higher vector has the higher priority: "the priority class is bits 7:4
 * of the vector", and within a class the higher vector wins (11.8.3). */
int lapic_find_highest(const uint32_t *reg)
{
    for (int i = 7; i >= 0; i--)
        if (reg[i])
            return i * 32 + 31 - __builtin_clz(reg[i]);
    return -1;
}

/* The class (bits 7:4) of the highest vector in a register, 0 for none. */
static uint32_t highest_class(const uint32_t *reg)
{
    int v = lapic_find_highest(reg);
    return v < 0 ? 0 : (uint32_t)v & 0xF0;
}

/* 11.8.3.1: PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with bits
 * 3:0 clear; ISRV is the highest vector in service, 0 for none. */
uint32_t lapic_compute_ppr(const struct lapic_vectors *p)
{
    uint32_t isr_class = highest_class(p->isr);
    return (p->tpr & 0xF0) >= isr_class ? p->tpr : isr_class;
}

/* The arbitration priority (11.6.2.4, figure 11-15), which only lowest-
 * priority delivery among several APICs would use: TPR when TPR[7:4] is at
 * least IRRV[7:4] and above ISRV[7:4], else the higher of TPR[7:4] & ISRV[7:4]
 * and IRRV[7:4], in bits 7:4. */
uint32_t lapic_compute_apr(const struct lapic_vectors *p)
{
    uint32_t tpr = p->tpr >> 4 & 0xF;
    uint32_t isr_class = highest_class(p->isr) >> 4, irr_class = highest_class(p->irr) >> 4;
    if (tpr >= irr_class && tpr > isr_class)
        return p->tpr;
    uint32_t both = tpr & isr_class;
    return (both > irr_class ? both : irr_class) << 4;
}

int lapic_find_deliverable(const struct lapic_vectors *p)
{
    /* 11.8.4: "the processor ... dispatches the highest-priority interrupt
     * in the IRR if its priority class is above the PPR's". A vector in the
     * class of one in service waits for its EOI; a higher class nests. */
    if (!p->irr_words)
        return -1;
    unsigned word = 31u - (unsigned)__builtin_clz(p->irr_words);
    int v = (int)(word * 32 + 31 - (unsigned)__builtin_clz(p->irr[word]));
    if (((uint32_t)v & 0xF0) <= (lapic_compute_ppr(p) & 0xF0))
        return -1;
    return v;
}

bool lapic_latch_vector(struct lapic_vectors *p, unsigned vector, bool level)
{
    /* 11.5.2: vectors 0-15 are the exceptions'; "the local APIC will never
     * set an IRR bit in the range 0 to 15". */
    if (vector < 16 || vector > 255)
        return false;
    /* Bochs also leaves the TMR as it is when the IRR bit is already set. */
    if (lapic_test_vector(p->irr, vector))
        return true;
    set_vector(p->irr, vector);
    p->irr_words |= (uint8_t)(1u << (vector / 32));
    /* 11.8.4: "the corresponding TMR bit is cleared for edge-triggered
     * interrupts and set for level-triggered interrupts". */
    if (level)
        set_vector(p->tmr, vector);
    else
        clear_vector(p->tmr, vector);
    return true;
}

int lapic_service_vector(struct lapic_vectors *p)
{
    int v = lapic_find_deliverable(p);
    if (v >= 0) {
        clear_vector(p->irr, (unsigned)v);
        if (!p->irr[v / 32])
            p->irr_words &= (uint8_t)~(1u << (v / 32));
        set_vector(p->isr, (unsigned)v);
    }
    return v;
}

int lapic_end_vector(struct lapic_vectors *p)
{
    int v = lapic_find_highest(p->isr);
    if (v >= 0)
        clear_vector(p->isr, (unsigned)v);
    return v;
}
