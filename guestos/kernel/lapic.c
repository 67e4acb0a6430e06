/*
 * lapic.c: the local APIC's timer as the kernel's clock (timer=lapic,
 * timer.c). One CPU, xAPIC mode: the APIC's registers are a page of
 * physical memory at 0xFEE00000, the architectural default; the kernel
 * neither reads nor writes IA32_APIC_BASE, it assumes that address.
 *
 * The rules are the Intel SDM's, vol. 3, chapter 11 (the numbering of the
 * 2023 and later editions, as everywhere in hvlab; older editions number
 * the APIC chapter 10), and the MultiProcessor Specification 1.4.
 *
 * Virtual wire mode. Enabling the APIC puts it between the 8259 PIC and
 * the CPU: the PIC's INTR reaches the CPU only through the APIC's LINT0
 * pin. Programmed as ExtINT, LINT0 passes it on as the PIC's own
 * interrupt, vector and EOI included (MP spec 3.6.2.2, "Virtual Wire
 * Mode"; SDM 11.5.1), so the UART's IRQ 4 and the PIC's other lines keep
 * working unchanged; only the PIT's IRQ 0 stays masked (pic.c), since the
 * APIC's timer ticks instead.
 *
 * Only MOV. Every access to the registers is one 32-bit MOV (11.4.1: "All
 * 32-bit registers should be accessed using 128-bit aligned 32-bit loads
 * or stores"), and only these forms: MOV r32,m32 (8B), MOV m32,r32 (89),
 * MOV m32,imm32 (C7 /0) and, at a constant address with EAX, MOV EAX,moffs32
 * (A1) and MOV moffs32,EAX (A3). A hypervisor that emulates the APIC
 * decodes the instruction that touched the page, and hvlab's decodes
 * exactly these. A volatile pointer is compiled to them as a rule, but the
 * compiler may fold a read into CMP or TEST or a read-modify-write into
 * OR or AND, so lapic_read and lapic_write are one MOV each in asm.
 * Checked with objdump -d of lapic.c.o (gcc 12.2, -O2): every instruction
 * that addresses the page is C7 05 (each constant written), 8B (reads of
 * the current count into ECX, EBX, ESI), A1 (one into EAX) or A3 (the
 * initial count from EAX). Check again after a change here (the one other
 * line is LAPIC_VA passed to map_kernel_device):
 *   objdump -d build/guestos/guestos/kernel/lapic.c.o | grep fbc00
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/poweroff.h"
#include "../../lib/printf.h"

#define LAPIC_PA 0xFEE00000u                /* the default base, 11.4.1 */
#define CPUID_EDX_APIC (1u << 9)            /* 11.4.2 */

/* The registers: byte offsets in the page (11.4.1, table 11-1). */
enum {
    LAPIC_TPR = 0x080,              /* task priority */
    LAPIC_EOI = 0x0B0,              /* end of interrupt, write only */
    LAPIC_SVR = 0x0F0,              /* spurious-interrupt vector */
    LAPIC_LVT_TIMER = 0x320,        /* the local vector table (11.5.1) */
    LAPIC_LVT_LINT0 = 0x350,
    LAPIC_LVT_LINT1 = 0x360,
    LAPIC_TIMER_INITIAL = 0x380,    /* the timer (11.5.4) */
    LAPIC_TIMER_CURRENT = 0x390,
    LAPIC_TIMER_DIVIDE = 0x3E0,
};
#define SVR_ENABLE   (1u << 8)      /* software enable, 11.4.3 */
#define LVT_NMI      (4u << 8)      /* delivery modes, 11.5.1 */
#define LVT_EXTINT   (7u << 8)
#define LVT_MASKED   (1u << 16)
#define LVT_PERIODIC (1u << 17)     /* timer mode bits 18:17 = 01; 00 is one-shot */
#define DIVIDE_BY_16 0x3            /* divide configuration, bits 3,1:0 = 0,11 (11.5.4) */
#define TIMER_DIVIDER 16

/* Calibration: windows of 50 ms of the PIT's clock (a 16-bit count, so at
 * most 55 ms: the longest window makes the error of its ends smallest). */
#define CALIBRATION_PIT_COUNT 59659u
#define CALIBRATION_MS 50
#define CALIBRATION_TRIES 3
#define CALIBRATION_POLLS (1u << 26)    /* seconds of polls: if OUT2 never rises, give up */

static uint32_t lapic_read(uint32_t reg)
{
    uint32_t v;
    __asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*(volatile uint32_t *)(LAPIC_VA + reg)));
    return v;
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    __asm__ volatile("movl %1, %0" : "=m"(*(volatile uint32_t *)(LAPIC_VA + reg)) : "ri"(v) : "memory");
}

/* Software-enable the APIC, in virtual wire mode. The enable comes first:
 * while the APIC is software-disabled its LVT entries stay masked, and
 * writes that unmask them are ignored (11.4.7.2). */
static void enable_virtual_wire(void)
{
    /* 11.9: the spurious vector is what the APIC gives for an interrupt
     * that lost its priority between its signal and the CPU's acknowledge;
     * its handler (trap.c) sends no EOI. */
    lapic_write(LAPIC_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
    /* 11.8.3.1: task priority 0 holds back no vector. */
    lapic_write(LAPIC_TPR, 0);
    /* ExtINT: the PIC's interrupts, as the PIC gives them; "when the
     * delivery mode is ExtINT, the trigger mode is always level sensitive"
     * (11.5.1), so no trigger bit. LINT1 delivers NMI, as the MP spec's
     * virtual wire mode and PC BIOSes have it. */
    lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
}

/* One window: how far the APIC timer counts down while the PIT's channel 2
 * counts CALIBRATION_PIT_COUNT clocks. Each end of the window is bracketed
 * by two reads of the current count: the PIT starts between the reads
 * around pit_start_oneshot; its output rises after the last poll that saw
 * it low (so after the read before that poll) and before the read after
 * the poll that saw it high. The window is taken between the brackets'
 * middles. Whatever holds the CPU up at an end (an emulator's host that
 * deschedules it, a hypervisor's exits) widens that bracket: *uncertainty
 * is the two widths, in counts. Returns -1 if the PIT never ended. */
static int count_pit_window(uint64_t *counted, uint32_t *uncertainty)
{
    lapic_write(LAPIC_TIMER_INITIAL, 0xFFFFFFFF);  /* 11.5.4: the write starts it */
    uint32_t start_early = lapic_read(LAPIC_TIMER_CURRENT);
    pit_start_oneshot(CALIBRATION_PIT_COUNT);
    uint32_t start_late = lapic_read(LAPIC_TIMER_CURRENT);
    uint32_t end_early = start_late, now;
    for (uint32_t polls = 0; ; polls++) {
        now = lapic_read(LAPIC_TIMER_CURRENT);
        if (pit_oneshot_done())
            break;
        if (polls == CALIBRATION_POLLS)
            return -1;
        end_early = now;
    }
    uint32_t end_late = lapic_read(LAPIC_TIMER_CURRENT);
    /* counting down: an earlier read is the larger count */
    *counted = ((uint64_t)start_early + start_late - end_early - end_late) / 2;
    *uncertainty = (start_early - start_late) + (end_early - end_late);
    return 0;
}

/* The timer's rate after the divider, in counts a second: run it one-shot
 * (masked: no interrupt) from the largest count, with interrupts off,
 * against a few windows of the PIT's known 1,193,182 Hz, and believe the
 * window with the narrowest brackets. Both devices count the same time,
 * whatever it is: real time on a PC, the host's clock in QEMU, emulated
 * instructions in Bochs with sync=none. */
static uint64_t measure_timer_hz(void)
{
    uint64_t best = 0, counted;
    uint32_t best_uncertainty = 0xFFFFFFFF, uncertainty;
    uint32_t flags = irq_save();
    lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
    for (int i = 0; i < CALIBRATION_TRIES; i++) {
        if (count_pit_window(&counted, &uncertainty) < 0)
            panic("timer=lapic: the PIT's channel 2 did not count %u clocks (port 0x61 bit 5 stayed 0)",
                  CALIBRATION_PIT_COUNT);
        if (uncertainty < best_uncertainty)
            best = counted, best_uncertainty = uncertainty;
    }
    lapic_write(LAPIC_TIMER_INITIAL, 0);            /* 11.5.4: 0 stops it */
    irq_restore(flags);
    if (best == 0)
        panic("timer=lapic: the local APIC timer did not count during %d ms of the PIT", CALIBRATION_MS);
    return best * PIT_HZ / CALIBRATION_PIT_COUNT;
}

void init_lapic_timer(void)
{
    if (!(cpuid1_edx() & CPUID_EDX_APIC)) {
        printf("guestos: timer=lapic: this CPU has no local APIC (CPUID.1:EDX bit 9)\n");
        poweroff(POWEROFF_FAIL);
    }
    map_kernel_device(LAPIC_VA, LAPIC_PA);
    enable_virtual_wire();
    uint64_t timer_hz = measure_timer_hz();
    uint32_t count = (uint32_t)((timer_hz + TICK_HZ / 2) / TICK_HZ);   /* < 2^30: 32 bits of count in 50 ms */
    if (count == 0)
        panic("timer=lapic: the local APIC timer counts %llu times a second: no count gives %d Hz",
              timer_hz, TICK_HZ);
    /* 11.5.4: periodic mode reloads the initial count each time the
     * current count reaches 0, and interrupts; the divide configuration
     * is still 16 from the measurement. */
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | LAPIC_TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, count);
    printf("guestos: timer: local APIC, %llu Hz bus clock, initial count %u (divide %d)\n",
           timer_hz * TIMER_DIVIDER, count, TIMER_DIVIDER);
}

/* 11.8.5: the end of a fixed interrupt's handler (the timer's); the value
 * written does not matter. Not for the spurious vector (11.9), and not for
 * the PIC's interrupts, which come through LINT0 as ExtINT: those the PIC
 * ends (ack_irq). */
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
