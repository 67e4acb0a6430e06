/*
 * lapic.h: the virtual local APIC of one vCPU, in xAPIC mode (lab 4, "the
 * virtual timer"). A pure device model: it uses nothing of the hypervisor
 * and is given the time, so it runs as it is in the hypervisor (root mode,
 * interrupts off, on an exit), in the host unit tests
 * (tests/unit/test_lapic.c) and under the fuzzer (tests/fuzz/fuzz_lapic.c).
 *
 * The reference is the Intel SDM vol. 3, chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)"; where it is silent, Bochs 2.7's
 * cpu/apic.cc. Where the two differ, the SDM wins, and the comment at the
 * rule says so.
 *
 * What the caller decodes and gives:
 *   - register accesses: `offset` from the APIC base, 16-byte aligned,
 *     below 0x1000, one 32-bit value. The SDM asks for "128-bit aligned
 *     32-bit loads or stores" (11.4.1); a narrower, wider or misaligned
 *     access is the caller's to refuse (the model takes an offset that is
 *     not 16-byte aligned or not in the page as a reserved register);
 *   - IA32_APIC_BASE (MSR 0x1B) and IA32_TSC_DEADLINE (MSR 0x6E0) reads and
 *     writes; a write the model refuses is a #GP for the caller to inject;
 *   - `now`: the TSC, which never goes back (a smaller value is taken as the
 *     last one given). Every call that takes it first raises what the timer
 *     did up to then (lapic_advance);
 *   - the interrupts of devices (lapic_accept) and of the LINT0/LINT1 pins
 *     (lapic_raise_lint), and the CPU's interrupt acknowledge
 *     (lapic_pending, lapic_acknowledge).
 * One vCPU, one APIC: the model is a one-processor system's (11.6: an IPI
 * reaches this APIC or nobody).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lapic_priority.h"
#include "lapic_timer.h"

#define LAPIC_DEFAULT_BASE 0xFEE00000ull

/* IA32_APIC_BASE (11.4.4, figure 11-5). */
#define LAPIC_BASE_BSP    (1ull << 8)
#define LAPIC_BASE_X2APIC (1ull << 10)
#define LAPIC_BASE_ENABLE (1ull << 11)

/* Register offsets (11.4.1, table 11-1 "Local APIC Register Address Map"). */
#define LAPIC_REG_ID            0x020
#define LAPIC_REG_VERSION       0x030
#define LAPIC_REG_TPR           0x080
#define LAPIC_REG_APR           0x090
#define LAPIC_REG_PPR           0x0A0
#define LAPIC_REG_EOI           0x0B0
#define LAPIC_REG_RRD           0x0C0
#define LAPIC_REG_LDR           0x0D0
#define LAPIC_REG_DFR           0x0E0
#define LAPIC_REG_SVR           0x0F0
#define LAPIC_REG_ISR           0x100      /* 8 registers, 0x100-0x170 */
#define LAPIC_REG_TMR           0x180      /* 0x180-0x1F0 */
#define LAPIC_REG_IRR           0x200      /* 0x200-0x270 */
#define LAPIC_REG_ESR           0x280
#define LAPIC_REG_LVT_CMCI      0x2F0
#define LAPIC_REG_ICR_LOW       0x300
#define LAPIC_REG_ICR_HIGH      0x310
#define LAPIC_REG_LVT_TIMER     0x320
#define LAPIC_REG_LVT_THERMAL   0x330
#define LAPIC_REG_LVT_PERF      0x340
#define LAPIC_REG_LVT_LINT0     0x350
#define LAPIC_REG_LVT_LINT1     0x360
#define LAPIC_REG_LVT_ERROR     0x370
#define LAPIC_REG_TIMER_INITIAL 0x380
#define LAPIC_REG_TIMER_CURRENT 0x390
#define LAPIC_REG_TIMER_DIVIDE  0x3E0

/* The LVT entries, in struct lapic's lvt[] (11.5.1, figure 11-8). */
enum lapic_lvt {
    LAPIC_LVT_CMCI, LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL, LAPIC_LVT_PERF,
    LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR, LAPIC_LVT_COUNT
};

#define LAPIC_LVT_MASKED     (1u << 16)
#define LAPIC_LVT_REMOTE_IRR (1u << 14)
#define LAPIC_LVT_LEVEL      (1u << 15)
#define LAPIC_SVR_ENABLE     (1u << 8)

/* ESR bits (11.5.3, figure 11-9). Bits 0-3 are the P6's and Pentium's. */
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define LAPIC_ESR_ILLEGAL_REGISTER       (1u << 7)

/* Version 0x14, an integrated xAPIC; max LVT entry 6: seven entries, CMCI
 * among them, as a Core processor has (11.4.8, figure 11-7). No EOI-
 * broadcast suppression (bit 24 clear). */
#define LAPIC_VERSION_VALUE 0x00060014u

/* What the hypervisor fixes at reset. */
struct lapic_config {
    uint8_t apic_id;            /* the ID register's bits 31:24 (11.4.6) */
    bool bsp;                   /* IA32_APIC_BASE bit 8 */
    uint32_t bus_period;        /* TSC cycles per tick of the timer's input clock (0: 1) */
    uint8_t maxphyaddr;         /* the guest's physical-address width, 32..52 (else 36) */
};

struct lapic {
    struct lapic_config config;
    uint64_t apic_base;         /* IA32_APIC_BASE as the guest reads it */
    struct lapic_vectors vec;   /* IRR, ISR, TMR, TPR */
    uint32_t ldr, dfr, svr;
    uint32_t esr;               /* what an ESR read gives: the errors up to its last write */
    uint32_t esr_new;           /* the errors since then (11.5.3) */
    uint32_t icr_low, icr_high;
    uint32_t lvt[LAPIC_LVT_COUNT];
    struct lapic_timer timer;
    uint64_t now;               /* the latest time given */
    uint64_t expiries;          /* timer expiries not yet returned by lapic_advance */
    uint64_t ipis_dropped;      /* IPIs that reached no one, or asked what a vCPU here cannot do */
    bool nmi_pending;           /* an NMI for the CPU, not yet taken (lapic_take_nmi) */
    uint64_t nmis;              /* NMIs received: IPIs, I/O APIC messages, LINT pins */
};

/* Power-up or RESET (11.4.7.1): IA32_APIC_BASE at 0xFEE00000, enabled; the
 * APIC software-disabled (SVR 0xFF), every LVT masked, the rest zero, DFR
 * all ones. */
void lapic_reset(struct lapic *l, const struct lapic_config *config, uint64_t now);

/* A 32-bit register read or write at `offset` (see above for what the caller
 * decodes). A reserved register reads 0 and sets the ESR's "illegal register
 * address"; a write to a read-only one is ignored. lapic_write returns the
 * vector an EOI write ended when it was level-triggered (the I/O APIC's to
 * see, 11.8.5), else -1. Both do nothing (read 0) while IA32_APIC_BASE[11]
 * is clear: there is no APIC then (11.4.3). */
uint32_t lapic_read(struct lapic *l, uint32_t offset, uint64_t now);
int lapic_write(struct lapic *l, uint32_t offset, uint32_t value, uint64_t now);

/* IA32_APIC_BASE. A write returns NULL when taken, or why it is refused
 * (the caller injects #GP): reserved bits, x2APIC mode (hidden here), or a
 * base moved where `base_allowed(ctx, base)` says no (NULL: anywhere).
 * Clearing bit 11 resets the APIC; setting it again gives the APIC as after
 * reset (11.4.3). */
typedef bool lapic_base_rule(void *ctx, uint64_t base);
uint64_t lapic_read_apic_base(const struct lapic *l);
const char *lapic_write_apic_base(struct lapic *l, uint64_t value, uint64_t now,
                                  lapic_base_rule *base_allowed, void *ctx);

/* IA32_TSC_DEADLINE (11.5.4.1): reads 0 and writes are ignored unless the
 * LVT timer is in TSC-deadline mode; 0 disarms; a deadline at or before
 * `now` expires at once. */
uint64_t lapic_read_tsc_deadline(struct lapic *l, uint64_t now);
void lapic_write_tsc_deadline(struct lapic *l, uint64_t value, uint64_t now);

/* Raise everything the timer did up to `now` (its vector into the IRR at
 * each expiry, unless masked) and return how many times it expired since
 * the previous call, masked or not. */
uint64_t lapic_advance(struct lapic *l, uint64_t now);

/* The TSC time of the timer's next expiry, after `now` (it advances to
 * `now` first, counting what it finds for the next lapic_advance), or
 * UINT64_MAX when none is coming. */
uint64_t lapic_next_event(struct lapic *l, uint64_t now);

/* A fixed interrupt from a device (an I/O APIC or MSI message, 11.8.4):
 * into the IRR, the TMR bit set for a level-triggered one and cleared for
 * an edge. Vectors 0-15 are not accepted (ESR "received illegal vector",
 * 11.5.2). Returns whether the IRR holds it. */
bool lapic_accept(struct lapic *l, uint8_t vector, bool level_triggered);

/* An NMI from a device (an I/O APIC message of delivery mode NMI, 11.11.2),
 * the vector ignored. The CPU latches one: NMIs that come before it takes
 * that one are that one (SDM 6.7.1). Returns whether the APIC took it (not
 * without an APIC, IA32_APIC_BASE[11] clear). */
bool lapic_accept_nmi(struct lapic *l);

/* The CPU takes the NMI it latched (when it can: NMIs are blocked from an
 * NMI's delivery to the next IRET, SDM 6.7.1, which the caller keeps):
 * returns whether there was one, and clears it. */
bool lapic_take_nmi(struct lapic *l);

/* The vector the CPU would take now: the highest in the IRR whose priority
 * class is above the PPR's (11.8.4), or -1. Inline as far as an empty IRR
 * (its summary, lapic_priority.h), what most VM entries find. */
int lapic_pending_in_irr(const struct lapic *l);
static inline int lapic_pending(const struct lapic *l)
{
    return l->vec.irr_words ? lapic_pending_in_irr(l) : -1;
}

/* The CPU's interrupt acknowledge: the pending vector moves from the IRR to
 * the ISR, which raises the PPR; returns it. With nothing pending, the
 * spurious vector, and the ISR is left alone (11.9). */
int lapic_acknowledge(struct lapic *l);

/* An EOI (the write to 0x0B0): clears the highest ISR bit (11.8.5); returns
 * its vector if its TMR bit says level-triggered, else -1. */
int lapic_eoi(struct lapic *l);

/* What the LINT0 or LINT1 pin's LVT entry does with an edge (or a level
 * that rises) on it (11.5.1). Fixed: the vector is accepted here; NMI: the
 * NMI is latched here too (lapic_take_nmi). The others are the caller's to
 * act on: ExtINT (ask the 8259 PIC for the vector), SMI, INIT. Without an APIC (IA32_APIC_BASE[11] clear),
 * LINT0 is the CPU's INTR and LINT1 its NMI (11.4.3). */
enum lapic_lint_action {
    LAPIC_LINT_IGNORED,         /* masked, reserved mode, an illegal vector, or a level already taken */
    LAPIC_LINT_FIXED,
    LAPIC_LINT_EXTINT,
    LAPIC_LINT_NMI,
    LAPIC_LINT_SMI,
    LAPIC_LINT_INIT,
};
enum lapic_lint_action lapic_raise_lint(struct lapic *l, unsigned pin);

/* What gdb's `monitor lapic` shows: every register as the guest would read
 * it at `now`, and the model's own state. Changes nothing. */
struct lapic_view {
    uint64_t apic_base;
    bool enabled;               /* IA32_APIC_BASE[11] */
    bool software_enabled;      /* SVR[8] */
    uint32_t id, version, tpr, apr, ppr, ldr, dfr, svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr, esr_new;
    uint32_t icr_low, icr_high;
    uint32_t lvt[LAPIC_LVT_COUNT];
    uint32_t timer_initial, timer_current, timer_divide, timer_divider;
    enum lapic_timer_mode timer_mode;
    bool timer_armed;
    uint64_t tsc_deadline;
    uint64_t next_expiry;       /* as lapic_find_timer_expiry: UINT64_MAX for none */
    uint64_t expiries;          /* not yet returned by lapic_advance */
    uint64_t ipis_dropped;
    int pending;                /* lapic_pending */
    bool nmi_pending;
    uint64_t nmis;
};
void lapic_describe(const struct lapic *l, uint64_t now, struct lapic_view *v);
