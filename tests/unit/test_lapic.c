/*
 * test_lapic.c: hv/dev/lapic.c and lapic_timer.c, the virtual local APIC of
 * lab 4: its state after reset, the software and global enables, the
 * priority rules (TPR, PPR, ISR, EOI), the timer in its three modes with
 * exact counts at chosen times, self-IPIs, and IA32_APIC_BASE.
 *
 * The timer's input clock ticks every BUS TSC cycles; with divider d, the
 * count drops by one every d * BUS cycles.
 */
#include "unit.h"
#include "dev/lapic.h"
#include <string.h>

#define BUS 10
#define T0 1000000ull
#define APIC_ID 3

static struct lapic l;

static int setup(void **state)
{
    (void)state;
    struct lapic_config c = { .apic_id = APIC_ID, .bsp = true, .bus_period = BUS, .maxphyaddr = 39 };
    lapic_reset(&l, &c, 0);
    return 0;
}

static uint32_t rd(uint32_t offset, uint64_t now)
{
    return lapic_read(&l, offset, now);
}

static int wr(uint32_t offset, uint32_t value, uint64_t now)
{
    return lapic_write(&l, offset, value, now);
}

static void enable(void)
{
    wr(LAPIC_REG_SVR, LAPIC_SVR_ENABLE | 0xFF, 0);
}

/* The error register as software reads it: write, then read (11.5.3). */
static uint32_t esr(void)
{
    wr(LAPIC_REG_ESR, 0, 0);
    return rd(LAPIC_REG_ESR, 0);
}

static bool in_irr(unsigned v)
{
    return (rd(LAPIC_REG_IRR + (v / 32) * 16, 0) >> (v % 32)) & 1;
}

static void test_reset_state(void **state)
{
    (void)state;
    assert_int_equal(rd(LAPIC_REG_ID, 0), APIC_ID << 24);
    assert_int_equal(rd(LAPIC_REG_VERSION, 0), 0x00060014);
    assert_int_equal(rd(LAPIC_REG_SVR, 0), 0xFF);               /* software-disabled */
    assert_int_equal(rd(LAPIC_REG_DFR, 0), 0xFFFFFFFF);
    assert_int_equal(rd(LAPIC_REG_TPR, 0), 0);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0);
    static const uint32_t lvts[] = { LAPIC_REG_LVT_CMCI, LAPIC_REG_LVT_TIMER, LAPIC_REG_LVT_THERMAL,
                                     LAPIC_REG_LVT_PERF, LAPIC_REG_LVT_LINT0, LAPIC_REG_LVT_LINT1,
                                     LAPIC_REG_LVT_ERROR };
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(rd(lvts[i], 0), LAPIC_LVT_MASKED);
    for (uint32_t r = LAPIC_REG_ISR; r < LAPIC_REG_IRR + 0x80; r += 16)
        assert_int_equal(rd(r, 0), 0);
    assert_int_equal(rd(LAPIC_REG_TIMER_INITIAL, 0) | rd(LAPIC_REG_TIMER_CURRENT, 0) |
                     rd(LAPIC_REG_TIMER_DIVIDE, 0), 0);
    assert_int_equal(lapic_read_apic_base(&l), 0xFEE00000 | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP);
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(esr(), 0);
}

static void test_software_enable_and_disable(void **state)
{
    (void)state;
    wr(LAPIC_REG_LVT_TIMER, 0x30, 0);                           /* disabled: the mask stays */
    assert_int_equal(rd(LAPIC_REG_LVT_TIMER, 0), LAPIC_LVT_MASKED | 0x30);
    wr(LAPIC_REG_SVR, 0x3FF | 0xF000, 0);                       /* focus bit kept, bit 12 up reserved */
    assert_int_equal(rd(LAPIC_REG_SVR, 0), 0x3FF);
    wr(LAPIC_REG_LVT_TIMER, 0x31, 0);
    wr(LAPIC_REG_LVT_LINT0, 0x700, 0);
    assert_int_equal(rd(LAPIC_REG_LVT_TIMER, 0), 0x31);
    assert_int_equal(rd(LAPIC_REG_LVT_LINT0, 0), 0x700);
    wr(LAPIC_REG_SVR, 0xFF, 0);                                 /* software disable: masks set */
    assert_int_equal(rd(LAPIC_REG_LVT_TIMER, 0), LAPIC_LVT_MASKED | 0x31);
    assert_int_equal(rd(LAPIC_REG_LVT_LINT0, 0), LAPIC_LVT_MASKED | 0x700);
    wr(LAPIC_REG_LVT_LINT0, 0x700, 0);                          /* and kept */
    assert_int_equal(rd(LAPIC_REG_LVT_LINT0, 0), LAPIC_LVT_MASKED | 0x700);
    assert_int_equal(lapic_raise_lint(&l, 0), LAPIC_LINT_IGNORED);
}

static void test_tpr_ppr_arithmetic(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_TPR, 0x1235, 0);                               /* bits 7:0 only */
    assert_int_equal(rd(LAPIC_REG_TPR, 0), 0x35);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0x35);               /* nothing in service: the TPR */
    assert_true(lapic_accept(&l, 0x51, false));
    assert_int_equal(lapic_acknowledge(&l), 0x51);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0x50);               /* ISRV's class, bits 3:0 clear */
    wr(LAPIC_REG_TPR, 0x57, 0);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0x57);               /* TPR class >= ISRV class: TPR */
    wr(LAPIC_REG_TPR, 0x4F, 0);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0x50);
    wr(LAPIC_REG_EOI, 0, 0);
    assert_int_equal(rd(LAPIC_REG_PPR, 0), 0x4F);
    /* A TPR at the pending vector's class holds it back. */
    lapic_accept(&l, 0x4A, false);
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(rd(LAPIC_REG_APR, 0), 0x4F);               /* TPR class >= IRRV class: TPR */
    wr(LAPIC_REG_TPR, 0x3F, 0);
    assert_int_equal(lapic_pending(&l), 0x4A);
    assert_int_equal(rd(LAPIC_REG_APR, 0), 0x40);               /* else IRRV's class */
}

static void test_same_class_waits_higher_class_nests(void **state)
{
    (void)state;
    enable();
    lapic_accept(&l, 0x51, false);
    assert_int_equal(lapic_acknowledge(&l), 0x51);
    lapic_accept(&l, 0x5F, false);                              /* same class, higher vector */
    assert_int_equal(lapic_pending(&l), -1);
    lapic_accept(&l, 0x60, false);                              /* a higher class nests */
    assert_int_equal(lapic_pending(&l), 0x60);
    assert_int_equal(lapic_acknowledge(&l), 0x60);
    assert_int_equal(lapic_pending(&l), -1);
    lapic_eoi(&l);                                              /* ends 0x60 */
    assert_int_equal(lapic_pending(&l), -1);                    /* 0x51 still in service */
    lapic_eoi(&l);
    assert_int_equal(lapic_pending(&l), 0x5F);
}

static void test_eoi_clears_highest_and_reports_level(void **state)
{
    (void)state;
    enable();
    lapic_accept(&l, 0x40, true);
    assert_int_equal(lapic_acknowledge(&l), 0x40);
    lapic_accept(&l, 0x81, false);
    assert_int_equal(lapic_acknowledge(&l), 0x81);
    assert_int_equal(wr(LAPIC_REG_EOI, 0, 0), -1);              /* 0x81, edge: nothing to report */
    assert_int_equal(rd(LAPIC_REG_ISR + 0x40, 0), 0);           /* ISR4 (0x80-0x9F) clear */
    assert_int_equal(rd(LAPIC_REG_ISR + 0x20, 0), 1);           /* ISR2 still holds 0x40 */
    assert_int_equal(wr(LAPIC_REG_EOI, 0, 0), 0x40);            /* level: the I/O APIC's */
    assert_int_equal(rd(LAPIC_REG_ISR + 0x20, 0), 0);
    assert_int_equal(lapic_eoi(&l), -1);                        /* nothing in service */
}

static void test_isr_irr_tmr_reads(void **state)
{
    (void)state;
    enable();
    lapic_accept(&l, 0x20, false);
    lapic_accept(&l, 0x45, true);
    lapic_accept(&l, 0xFF, false);
    assert_int_equal(rd(LAPIC_REG_IRR + 0x10, 0), 1);           /* IRR1: 0x20 */
    assert_int_equal(rd(LAPIC_REG_IRR + 0x20, 0), 1u << 5);     /* IRR2: 0x45 */
    assert_int_equal(rd(LAPIC_REG_IRR + 0x70, 0), 1u << 31);    /* IRR7: 0xFF */
    assert_int_equal(rd(LAPIC_REG_TMR + 0x20, 0), 1u << 5);     /* level */
    assert_int_equal(rd(LAPIC_REG_TMR + 0x10, 0), 0);
    wr(LAPIC_REG_IRR + 0x10, 0, 0);                             /* read-only */
    assert_int_equal(rd(LAPIC_REG_IRR + 0x10, 0), 1);
    assert_int_equal(lapic_acknowledge(&l), 0xFF);
    assert_int_equal(rd(LAPIC_REG_ISR + 0x70, 0), 1u << 31);
    assert_int_equal(rd(LAPIC_REG_IRR + 0x70, 0), 0);
    assert_int_equal(esr(), 0);                                 /* no error in any of it */
}

static void test_illegal_vectors_and_esr(void **state)
{
    (void)state;
    enable();
    assert_false(lapic_accept(&l, 15, false));
    assert_int_equal(rd(LAPIC_REG_IRR, 0), 0);
    assert_int_equal(rd(LAPIC_REG_ESR, 0), 0);                  /* not yet written */
    assert_int_equal(esr(), LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
    assert_int_equal(esr(), 0);                                 /* back-to-back writes clear it */
    assert_int_equal(rd(0x040, 0), 0);                          /* a reserved register */
    wr(0x3F0, 1, 0);
    assert_int_equal(esr(), LAPIC_ESR_ILLEGAL_REGISTER);
    /* With the LVT error entry unmasked, an error raises its vector. */
    wr(LAPIC_REG_LVT_ERROR, 0xE3, 0);
    lapic_accept(&l, 3, false);
    assert_true(in_irr(0xE3));
    assert_int_equal(esr(), LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

/* Divide configuration values and their dividers (figure 11-10). */
static const uint32_t divide_config[8] = { 0xB, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA };
static const uint32_t dividers[8] = { 1, 2, 4, 8, 16, 32, 64, 128 };

static void test_oneshot_each_divider(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 8; i++) {
        setup(NULL);
        enable();
        uint64_t tick = (uint64_t)dividers[i] * BUS;
        wr(LAPIC_REG_TIMER_DIVIDE, divide_config[i], 0);
        assert_int_equal(rd(LAPIC_REG_TIMER_DIVIDE, 0), divide_config[i]);
        wr(LAPIC_REG_LVT_TIMER, 0x40, 0);
        wr(LAPIC_REG_TIMER_INITIAL, 100, T0);
        assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0), 100);
        assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 37 * tick + tick - 1), 63);
        assert_int_equal(lapic_next_event(&l, T0 + 50 * tick), T0 + 100 * tick);
        assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 100 * tick - 1), 1);
        assert_int_equal(lapic_advance(&l, T0 + 100 * tick - 1), 0);
        assert_false(in_irr(0x40));
        assert_int_equal(lapic_advance(&l, T0 + 100 * tick), 1);
        assert_true(in_irr(0x40));
        assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 100 * tick), 0);
        assert_int_equal(lapic_advance(&l, T0 + 1000 * tick), 0);   /* one shot only */
        assert_int_equal(lapic_next_event(&l, T0 + 1000 * tick), UINT64_MAX);
        assert_int_equal(rd(LAPIC_REG_TIMER_INITIAL, 0), 100);
    }
}

static void test_periodic_each_divider_long_span(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 8; i++) {
        setup(NULL);
        enable();
        uint64_t tick = (uint64_t)dividers[i] * BUS, period = 1000 * tick;
        wr(LAPIC_REG_TIMER_DIVIDE, divide_config[i], 0);
        wr(LAPIC_REG_LVT_TIMER, (1u << 17) | 0x41, 0);
        wr(LAPIC_REG_TIMER_INITIAL, 1000, T0);
        uint64_t end = T0 + 123456789ull * period + 7 * tick + 3;
        assert_int_equal(lapic_advance(&l, end), 123456789ull);
        assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, end), 1000 - 7);
        assert_int_equal(lapic_next_event(&l, end), end - 7 * tick - 3 + period);
        assert_int_equal(lapic_acknowledge(&l), 0x41);          /* one IRR bit for them all */
        assert_int_equal(lapic_pending(&l), -1);
        /* The same span cut in two gives the same count. */
        assert_int_equal(lapic_advance(&l, end + 5 * period), 5);
        assert_int_equal(lapic_advance(&l, end + 5 * period + period / 2), 0);
        assert_int_equal(lapic_advance(&l, end + 6 * period), 1);
    }
}

static void test_masked_timer_counts_without_raising(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | (1u << 17) | 0x42, 0);
    wr(LAPIC_REG_TIMER_INITIAL, 10, T0);                        /* divide by 2: 20 cycles a count */
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 45), 8);
    assert_int_equal(lapic_advance(&l, T0 + 2000), 10);
    assert_false(in_irr(0x42));
    wr(LAPIC_REG_LVT_TIMER, (1u << 17) | 0x42, T0 + 2000);      /* unmasked: the next one raises */
    assert_false(in_irr(0x42));
    assert_int_equal(lapic_advance(&l, T0 + 2200), 1);
    assert_true(in_irr(0x42));
}

static void test_initial_count_zero_stops(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_LVT_TIMER, (1u << 17) | 0x43, 0);
    wr(LAPIC_REG_TIMER_INITIAL, 50, T0);
    assert_int_equal(lapic_advance(&l, T0 + 1000), 1);          /* 50 counts of 20 cycles */
    wr(LAPIC_REG_TIMER_INITIAL, 0, T0 + 1010);
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 1010), 0);
    assert_int_equal(lapic_next_event(&l, T0 + 1010), UINT64_MAX);
    assert_int_equal(lapic_advance(&l, UINT64_MAX), 0);
}

static void test_periodic_reprogramming(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_TIMER_DIVIDE, 0xB, 0);                         /* divide by 1: 10 cycles a count */
    wr(LAPIC_REG_LVT_TIMER, (1u << 17) | 0x44, 0);
    wr(LAPIC_REG_TIMER_INITIAL, 100, T0);
    assert_int_equal(lapic_advance(&l, T0 + 2500), 2);
    /* A new initial count restarts the count from now. */
    wr(LAPIC_REG_TIMER_INITIAL, 300, T0 + 2500);
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 2500), 300);
    assert_int_equal(lapic_next_event(&l, T0 + 2500), T0 + 2500 + 3000);
    assert_int_equal(lapic_advance(&l, T0 + 2500 + 9000), 3);
    /* A new divider: the count goes on from where it is, at the new rate. */
    wr(LAPIC_REG_TIMER_DIVIDE, 0x0, T0 + 11500 + 1000);         /* count 200, then 20 cycles each */
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 12500), 200);
    assert_int_equal(lapic_next_event(&l, T0 + 12500), T0 + 12500 + 200 * 20);
    /* Periodic to one-shot changes the mode: the timer is disarmed (11.5.4.1). */
    wr(LAPIC_REG_LVT_TIMER, 0x44, T0 + 13000);
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, T0 + 13000), 0);
    assert_int_equal(lapic_advance(&l, T0 + 100000), 0);
}

static void test_tsc_deadline(void **state)
{
    (void)state;
    enable();
    lapic_write_tsc_deadline(&l, T0, 0);                        /* not in deadline mode: ignored */
    assert_int_equal(lapic_read_tsc_deadline(&l, 0), 0);
    wr(LAPIC_REG_LVT_TIMER, (2u << 17) | 0x45, 0);
    wr(LAPIC_REG_TIMER_INITIAL, 100, 0);                        /* ignored in deadline mode */
    assert_int_equal(rd(LAPIC_REG_TIMER_INITIAL, 0), 0);
    lapic_write_tsc_deadline(&l, T0, 10);
    assert_int_equal(lapic_read_tsc_deadline(&l, 10), T0);
    assert_int_equal(rd(LAPIC_REG_TIMER_CURRENT, 10), 0);       /* always 0 in this mode */
    assert_int_equal(lapic_next_event(&l, 10), T0);
    assert_int_equal(lapic_advance(&l, T0 - 1), 0);
    assert_int_equal(lapic_advance(&l, T0), 1);
    assert_true(in_irr(0x45));
    assert_int_equal(lapic_read_tsc_deadline(&l, T0), 0);       /* cleared when it fires */
    assert_int_equal(lapic_acknowledge(&l), 0x45);
    lapic_eoi(&l);
    /* A deadline already past fires at once. */
    lapic_write_tsc_deadline(&l, 5, T0 + 100);
    assert_true(in_irr(0x45));
    assert_int_equal(lapic_advance(&l, T0 + 100), 1);
    /* 0 disarms. */
    lapic_write_tsc_deadline(&l, T0 + 500, T0 + 200);
    lapic_write_tsc_deadline(&l, 0, T0 + 300);
    assert_int_equal(lapic_next_event(&l, T0 + 300), UINT64_MAX);
    assert_int_equal(lapic_advance(&l, T0 + 600), 0);
    /* Leaving the mode disarms too. */
    lapic_write_tsc_deadline(&l, T0 + 900, T0 + 300);
    wr(LAPIC_REG_LVT_TIMER, 0x45, T0 + 400);
    assert_int_equal(lapic_advance(&l, T0 + 1000), 0);
}

static void test_self_ipi(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_ICR_LOW, (1u << 18) | (1u << 12) | 0x50, 0);  /* shorthand "self" */
    assert_true(in_irr(0x50));
    assert_int_equal(rd(LAPIC_REG_ICR_LOW, 0), (1u << 18) | 0x50);   /* delivery status idle */
    wr(LAPIC_REG_ICR_HIGH, APIC_ID << 24, 0);                   /* physical, to this APIC */
    wr(LAPIC_REG_ICR_LOW, 0x61, 0);
    assert_true(in_irr(0x61));
    wr(LAPIC_REG_ICR_LOW, (3u << 18) | 0x62, 0);                /* all but self: nobody */
    wr(LAPIC_REG_ICR_HIGH, (APIC_ID + 1) << 24, 0);
    wr(LAPIC_REG_ICR_LOW, 0x63, 0);                             /* another APIC ID: nobody */
    assert_false(in_irr(0x62) || in_irr(0x63));
    assert_int_equal(l.ipis_dropped, 2);
    assert_int_equal(esr(), 0);                                 /* no send accept error */
    wr(LAPIC_REG_ICR_LOW, (1u << 18) | 0x07, 0);                /* an illegal vector to self */
    assert_int_equal(esr(), LAPIC_ESR_SEND_ILLEGAL_VECTOR | LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
    assert_int_equal(lapic_acknowledge(&l), 0x61);
}

/* An NMI IPI reaches the CPU as its NMI, not the IRR: one is latched,
 * whatever the vector, however many came before the CPU took it (SDM
 * 6.7.1, 11.6.1). "All but self" and another APIC ID reach nobody. */
static void test_nmi_ipi(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_ICR_LOW, (2u << 18) | (4u << 8) | 0x07, 0);   /* NMI, all including self */
    wr(LAPIC_REG_ICR_HIGH, APIC_ID << 24, 0);
    wr(LAPIC_REG_ICR_LOW, (4u << 8), 0);                        /* NMI, physical, this APIC */
    assert_int_equal(l.nmis, 2);
    assert_int_equal(esr(), 0);                                 /* an NMI's vector is not checked */
    assert_int_equal(lapic_pending(&l), -1);                    /* nothing in the IRR */
    assert_true(lapic_take_nmi(&l));
    assert_false(lapic_take_nmi(&l));                           /* the two were one */
    wr(LAPIC_REG_ICR_LOW, (3u << 18) | (4u << 8), 0);           /* all but self */
    wr(LAPIC_REG_ICR_HIGH, (APIC_ID + 1) << 24, 0);
    wr(LAPIC_REG_ICR_LOW, (4u << 8), 0);                        /* another APIC */
    assert_false(lapic_take_nmi(&l));
    assert_int_equal(l.ipis_dropped, 2);
    assert_true(lapic_accept_nmi(&l));                          /* an I/O APIC's NMI message */
    assert_true(lapic_take_nmi(&l));
    lapic_write_apic_base(&l, LAPIC_DEFAULT_BASE, 0, NULL, NULL);   /* no APIC: no NMI message */
    assert_false(lapic_accept_nmi(&l));
    assert_false(lapic_take_nmi(&l));
}

static void test_spurious_vector(void **state)
{
    (void)state;
    wr(LAPIC_REG_SVR, LAPIC_SVR_ENABLE | 0xEF, 0);
    assert_int_equal(lapic_acknowledge(&l), 0xEF);              /* nothing pending */
    lapic_accept(&l, 0x70, false);
    wr(LAPIC_REG_TPR, 0x80, 0);                                 /* masked before the INTA */
    assert_int_equal(lapic_acknowledge(&l), 0xEF);
    assert_int_equal(rd(LAPIC_REG_ISR + 0x30, 0), 0);           /* the ISR untouched */
    assert_true(in_irr(0x70));
}

static void test_lint_pins(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_LVT_LINT0, 7u << 8, 0);                        /* ExtINT */
    wr(LAPIC_REG_LVT_LINT1, 4u << 8, 0);                        /* NMI */
    assert_int_equal(lapic_raise_lint(&l, 0), LAPIC_LINT_EXTINT);
    assert_int_equal(lapic_raise_lint(&l, 1), LAPIC_LINT_NMI);
    assert_true(lapic_take_nmi(&l));                            /* latched for the CPU */
    assert_int_equal(lapic_raise_lint(&l, 2), LAPIC_LINT_IGNORED);
    wr(LAPIC_REG_LVT_LINT0, LAPIC_LVT_LEVEL | 0x90, 0);         /* fixed, level */
    assert_int_equal(lapic_raise_lint(&l, 0), LAPIC_LINT_FIXED);
    assert_int_equal(rd(LAPIC_REG_LVT_LINT0, 0), LAPIC_LVT_LEVEL | LAPIC_LVT_REMOTE_IRR | 0x90);
    assert_int_equal(lapic_raise_lint(&l, 0), LAPIC_LINT_IGNORED);  /* taken, until the EOI */
    assert_int_equal(lapic_acknowledge(&l), 0x90);
    assert_int_equal(lapic_eoi(&l), 0x90);
    assert_int_equal(rd(LAPIC_REG_LVT_LINT0, 0), LAPIC_LVT_LEVEL | 0x90);
    wr(LAPIC_REG_LVT_LINT1, LAPIC_LVT_MASKED | (4u << 8), 0);
    assert_int_equal(lapic_raise_lint(&l, 1), LAPIC_LINT_IGNORED);
}

static void test_global_disable_resets_and_reenables(void **state)
{
    (void)state;
    enable();
    wr(LAPIC_REG_TPR, 0x20, 0);
    wr(LAPIC_REG_LVT_TIMER, (1u << 17) | 0x46, 0);
    wr(LAPIC_REG_TIMER_INITIAL, 10, 0);
    lapic_accept(&l, 0x80, false);
    assert_null(lapic_write_apic_base(&l, 0xFEE00000, 100, NULL, NULL));
    assert_int_equal(lapic_read_apic_base(&l), 0xFEE00000 | LAPIC_BASE_BSP);
    assert_int_equal(rd(LAPIC_REG_VERSION, 150), 0);            /* no APIC there */
    assert_false(lapic_accept(&l, 0x81, false));
    assert_int_equal(lapic_pending(&l), -1);
    assert_int_equal(lapic_raise_lint(&l, 0), LAPIC_LINT_EXTINT);   /* INTR straight to the CPU */
    assert_int_equal(lapic_next_event(&l, 200), UINT64_MAX);
    assert_null(lapic_write_apic_base(&l, 0xFEE00000 | LAPIC_BASE_ENABLE, 300, NULL, NULL));
    assert_int_equal(rd(LAPIC_REG_SVR, 300), 0xFF);             /* as after reset */
    assert_int_equal(rd(LAPIC_REG_TPR, 300), 0);
    assert_int_equal(rd(LAPIC_REG_LVT_TIMER, 300), LAPIC_LVT_MASKED);
    assert_int_equal(rd(LAPIC_REG_IRR + 0x40, 300), 0);
    assert_int_equal(rd(LAPIC_REG_TIMER_INITIAL, 300), 0);
    assert_int_equal(rd(LAPIC_REG_VERSION, 300), 0x00060014);
    enable();
    assert_true(lapic_accept(&l, 0x81, false));
    assert_int_equal(lapic_pending(&l), 0x81);
}

static bool refuse_low(void *ctx, uint64_t base)
{
    (void)ctx;
    return base >= 0xF0000000;                                  /* "guest RAM" below */
}

static void test_base_move(void **state)
{
    (void)state;
    uint64_t before = lapic_read_apic_base(&l);
    const char *why = lapic_write_apic_base(&l, 0x10000000 | LAPIC_BASE_ENABLE, 0, refuse_low, NULL);
    assert_non_null(why);
    assert_non_null(strstr(why, "refuses"));
    assert_int_equal(lapic_read_apic_base(&l), before);
    assert_null(lapic_write_apic_base(&l, 0xFED00000 | LAPIC_BASE_ENABLE, 0, refuse_low, NULL));
    assert_int_equal(lapic_read_apic_base(&l), 0xFED00000 | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP);
    assert_non_null(lapic_write_apic_base(&l, 0xFEE00000 | 0x1 | LAPIC_BASE_ENABLE, 0, NULL, NULL));
    assert_non_null(lapic_write_apic_base(&l, (1ull << 39) | LAPIC_BASE_ENABLE, 0, NULL, NULL));
}

static void test_x2apic_refused(void **state)
{
    (void)state;
    enable();
    const char *why = lapic_write_apic_base(&l, 0xFEE00000 | LAPIC_BASE_ENABLE | LAPIC_BASE_X2APIC,
                                            0, NULL, NULL);
    assert_non_null(why);
    assert_non_null(strstr(why, "x2APIC"));
    assert_int_equal(lapic_read_apic_base(&l), 0xFEE00000 | LAPIC_BASE_ENABLE | LAPIC_BASE_BSP);
    assert_int_equal(rd(LAPIC_REG_SVR, 0), 0x1FF);              /* nothing reset */
}

/* lapic_find_deliverable answers from the IRR's summary (irr_words):
 * over random latches, acknowledges, EOIs and TPR writes, its answer is
 * always the one a scan of the IRR gives (11.8.4), and the summary has a
 * bit for exactly the IRR's words that are not 0. A summary left stale by
 * a change of the IRR would hide a pending vector: an interrupt lost. */
static int deliverable_by_scan(const struct lapic_vectors *p)
{
    int v = lapic_find_highest(p->irr);
    return v < 0 || ((uint32_t)v & 0xF0) <= (lapic_compute_ppr(p) & 0xF0) ? -1 : v;
}

static void test_irr_summary_matches_the_irr(void **state)
{
    (void)state;
    struct lapic_vectors p = { 0 };
    uint32_t seed = 12345;
    unsigned latched = 0, taken = 0;
    for (int step = 0; step < 200000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        switch (r % 8) {
        case 0: case 1: case 2:         /* a few vectors, across every word */
            latched += lapic_latch_vector(&p, 16 + (r >> 3) % 240, (r >> 11) & 1);
            break;
        case 3: case 4:
            taken += lapic_service_vector(&p) >= 0;
            break;
        case 5: case 6:
            lapic_end_vector(&p);
            break;
        default:
            p.tpr = (r >> 3) % 4 ? 0 : (r >> 5) & 0xFF;
        }
        uint8_t words = 0;
        for (unsigned i = 0; i < 8; i++)
            words |= (uint8_t)((p.irr[i] != 0) << i);
        assert_int_equal(p.irr_words, words);
        assert_int_equal(lapic_find_deliverable(&p), deliverable_by_scan(&p));
    }
    assert_true(latched > 10000 && taken > 10000);     /* both ways, often */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_software_enable_and_disable, setup),
        cmocka_unit_test_setup(test_tpr_ppr_arithmetic, setup),
        cmocka_unit_test_setup(test_same_class_waits_higher_class_nests, setup),
        cmocka_unit_test_setup(test_eoi_clears_highest_and_reports_level, setup),
        cmocka_unit_test_setup(test_isr_irr_tmr_reads, setup),
        cmocka_unit_test_setup(test_illegal_vectors_and_esr, setup),
        cmocka_unit_test_setup(test_oneshot_each_divider, setup),
        cmocka_unit_test_setup(test_periodic_each_divider_long_span, setup),
        cmocka_unit_test_setup(test_masked_timer_counts_without_raising, setup),
        cmocka_unit_test_setup(test_initial_count_zero_stops, setup),
        cmocka_unit_test_setup(test_periodic_reprogramming, setup),
        cmocka_unit_test_setup(test_tsc_deadline, setup),
        cmocka_unit_test_setup(test_self_ipi, setup),
        cmocka_unit_test_setup(test_nmi_ipi, setup),
        cmocka_unit_test_setup(test_spurious_vector, setup),
        cmocka_unit_test_setup(test_lint_pins, setup),
        cmocka_unit_test_setup(test_global_disable_resets_and_reenables, setup),
        cmocka_unit_test_setup(test_base_move, setup),
        cmocka_unit_test_setup(test_x2apic_refused, setup),
        cmocka_unit_test(test_irr_summary_matches_the_irr),
    };
    return RUN_UNIT_TESTS("lapic", tests);
}
