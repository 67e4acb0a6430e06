/*
 * attacks_lapic.c: the local APIC under devices=virtual (lab 4): its
 * register page, which the hypervisor emulates by decoding each access
 * (hv/exit/vm_lapic.c), its timer and self-IPIs at their worst, and its
 * MSR. The friendly attacks say "native": the bare Bochs CPU's own APIC
 * gives the same answer.
 *
 * The page is mapped at linear APIC (the last page of the first 4 MiB,
 * uncached), not used at 0xFEE00000 with paging off: under
 * cpu=deprivileged the kernel's segments end below the top 64 MiB, where
 * the hypervisor's own tables live (ring compression; lab 3), so a flat
 * access there is the guest's #GP. A kernel maps the APIC anyway.
 */
#include <stdbool.h>
#include "attack.h"

#include "apic.h"

#define VEC_EOI 0x50                    /* a handler that counts and sends EOI */
#define VEC_NO_EOI 0x51                 /* one that counts and does not */

volatile uint32_t apic_count;
extern char apic_eoi_stub[], apic_no_eoi_stub[];
__asm__(APIC_COUNT_STUB("apic_eoi_stub", "apic_count", APIC_EOI_WRITE)
        APIC_COUNT_STUB("apic_no_eoi_stub", "apic_count", ""));

static bool requested(unsigned base, unsigned vector)
{
    return (REG(base + vector / 32 * 0x10) >> (vector % 32)) & 1;
}

static void apic_map(void)
{
    paging_on(0);
    low_pt[APIC >> 12 & 0x3FF] = APIC_PHYSICAL | PTE_P_W_PWT_PCD;
    invlpg(APIC);
}

void apic_on(void)
{
    apic_map();
    set_gate(VEC_EOI, (uint32_t)apic_eoi_stub, KCODE, 0x8E);
    set_gate(VEC_NO_EOI, (uint32_t)apic_no_eoi_stub, KCODE, 0x8E);
    REG(SVR) = 0x1FF;
}

ATTACK(lapic_timer_periodic, "lapic-timer-periodic", "virtual vshadow vdepriv vdelay timed qemu", "native",
       "the APIC timer in periodic mode: 10 interrupts, each with EOI, then masked")
{
    apic_on();
    REG(TIMER_DIVIDE) = 0xB;                    /* divide by 1 */
    REG(LVT_TIMER) = PERIODIC | VEC_EOI;
    REG(TIMER_INITIAL) = 20000;
    __asm__ volatile("sti");
    while (apic_count < 10)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    REG(LVT_TIMER) = MASKED | VEC_EOI;
    result("at least 10 APIC timer interrupts taken, ISR %s", requested(ISR, VEC_EOI) ? "set" : "clear");
}

/* 1000 self-IPIs of `vector` through the ICR, with interrupts on. */
static void self_ipis(unsigned vector)
{
    apic_on();
    __asm__ volatile("sti");
    for (unsigned i = 0; i < 1000; i++)
        REG(ICR_LOW) = SELF | vector;
    __asm__ volatile("cli");
}

ATTACK(lapic_self_ipi, "lapic-self-ipi", "virtual vshadow vdepriv qemu", "native",
       "1000 self-IPIs through the ICR, each handler sending EOI")
{
    self_ipis(VEC_EOI);
    result("%u self-IPIs taken", (unsigned)apic_count);
}

/* A self-IPI storm: each handler sends the next self-IPI before its EOI,
 * so one is always due the moment the last one's IRET opens interrupts.
 * The bare CPU never runs the interrupted code again (the native run
 * times out); under the hypervisor the guest gets its own time between
 * two interrupts (vm_interrupts.c), and the hypervisor goes on. */
extern char apic_storm_stub[];
__asm__(APIC_COUNT_STUB("apic_storm_stub", "apic_count",
                        "    movl $0x40052, 0x3FF300\n"    /* APIC + ICR: self, vector 0x52 */
                        APIC_EOI_WRITE));

ATTACK(lapic_self_ipi_storm, "lapic-self-ipi-storm", "virtual vshadow vdepriv vdelay timed",
       "result counted to 100000 in a self-IPI storm, interrupts came",
       "each self-IPI's handler sends the next before its EOI: an endless storm")
{
    apic_on();
    set_gate(0x52, (uint32_t)apic_storm_stub, KCODE, 0x8E);
    volatile uint32_t work = 0;
    __asm__ volatile("sti");
    REG(ICR_LOW) = SELF | 0x52;
    while (work < 100000)
        work++;
    __asm__ volatile("cli");
    result("counted to %u in a self-IPI storm, interrupts %s", (unsigned)work, apic_count > 1 ? "came" : "none");
}

/* Without an EOI the first vector stays in service, and the PPR keeps
 * every later one of its class waiting in the IRR (SDM 11.8.3). */
ATTACK(lapic_self_ipi_no_eoi, "lapic-self-ipi-no-eoi", "virtual vshadow vdepriv qemu", "native",
       "1000 self-IPIs whose handler never sends EOI")
{
    self_ipis(VEC_NO_EOI);
    result("%u taken, in service %d, requested %d", (unsigned)apic_count, requested(ISR, VEC_NO_EOI),
           requested(IRR, VEC_NO_EOI));
}

/* The timer at its fastest: a periodic count of 1 at divide 1, with and
 * without EOI. The guest must still get its own time. With EOI, the bare
 * Bochs CPU never does (an interrupt every bus clock, each handler's IRET
 * straight into the next: the native run times out), so the hypervisor's
 * answer is checked against the count alone; the hypervisor lets the guest
 * run its own code between two interrupts (vm_interrupts.c). */
static void count_with_fastest_timer(unsigned vector, uint32_t target)
{
    apic_on();
    REG(TIMER_DIVIDE) = 0xB;
    REG(LVT_TIMER) = PERIODIC | vector;
    REG(TIMER_INITIAL) = 1;
    volatile uint32_t work = 0;
    __asm__ volatile("sti");
    while (work < target)
        work++;
    __asm__ volatile("cli");
    REG(LVT_TIMER) = MASKED | vector;
    result("counted to %u with the APIC timer at count 1, interrupts %s", (unsigned)work,
           apic_count ? "came" : "none");
}

ATTACK(lapic_timer_fastest, "lapic-timer-fastest", "virtual vshadow vdepriv timed",
       "result counted to 100000 with the APIC timer at count 1, interrupts came",
       "the APIC timer periodic at count 1, divide 1, each interrupt with EOI: a storm")
{
    count_with_fastest_timer(VEC_EOI, 100000);
}

ATTACK(lapic_timer_fastest_no_eoi, "lapic-timer-fastest-no-eoi", "virtual vshadow vdepriv timed", "native",
       "the APIC timer periodic at count 1, divide 1, a handler that never sends EOI")
{
    count_with_fastest_timer(VEC_NO_EOI, 200000);
}

/* TSC-deadline mode (SDM 11.5.4.1), where CPUID offers it: HLT until the
 * deadline; "when the timer generates an interrupt, it disarms itself and
 * clears the IA32_TSC_DEADLINE MSR". Bochs 2.7's own APIC leaves the MSR
 * as written, so the SDM is the reference, not the bare CPU. */
ATTACK(lapic_tsc_deadline, "lapic-tsc-deadline", "virtual vshadow vdepriv vdelay timed",
       "result 1 interrupt, not before its deadline: yes, IA32_TSC_DEADLINE now 0",
       "the APIC timer in TSC-deadline mode wakes a HLT, and disarms itself")
{
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    if (!(c & (1u << 24)))
        result("no TSC-deadline mode (CPUID.1:ECX[24] clear)");
    apic_on();
    REG(LVT_TIMER) = TSC_DEADLINE | VEC_EOI;
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t deadline = ((uint64_t)hi << 32 | lo) + 200000;
    __asm__ volatile("wrmsr" : : "c"(0x6E0), "a"((uint32_t)deadline), "d"((uint32_t)(deadline >> 32)));
    __asm__ volatile("sti");
    while (!apic_count)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t now = (uint64_t)hi << 32 | lo;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x6E0));
    result("%u interrupt, not before its deadline: %s, IA32_TSC_DEADLINE now %s", (unsigned)apic_count,
           now >= deadline ? "yes" : "no", lo | hi ? "armed" : "0");
}

/* A reserved register (0x3F0): read 0, write ignored, and the ESR's
 * "illegal register address" (bit 7) after the next ESR write (11.5.3). */
ATTACK(lapic_reserved_register, "lapic-reserved-register", "virtual vshadow vdepriv",
       "result ESR 0x80 after a write to a reserved register, which reads 0",
       "write a reserved APIC register, then read it and the ESR")
{
    apic_on();
    REG(LVT_ERROR) = MASKED | 0xFE;
    REG(ESR) = 0;
    REG(0x3F0) = 0x12345678;
    uint32_t reserved = REG(0x3F0);
    REG(ESR) = 0;
    result("ESR 0x%x after a write to a reserved register, which reads %u", REG(ESR), reserved);
}

/* IA32_APIC_BASE[11] cleared: no APIC (CPUID.1:EDX[9] reads 0, 11.4.3);
 * set again: an APIC as after reset, software-disabled, every LVT masked.
 * Bochs 2.7's own APIC refuses the re-enable, so the SDM is the reference. */
ATTACK(lapic_global_disable, "lapic-global-disable", "virtual vshadow vdepriv",
       "result disabled: CPUID APIC 0, enabled again: SVR 0xff, LVT timer 0x10000",
       "clear IA32_APIC_BASE's enable bit, look, and set it again")
{
    apic_on();
    REG(LVT_TIMER) = PERIODIC | VEC_EOI;
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1B));
    __asm__ volatile("wrmsr" : : "c"(0x1B), "a"(lo & ~(1u << 11)), "d"(hi));
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    __asm__ volatile("wrmsr" : : "c"(0x1B), "a"(lo), "d"(hi));
    result("disabled: CPUID APIC %u, enabled again: SVR 0x%x, LVT timer 0x%x", (d >> 9) & 1, REG(SVR), REG(LVT_TIMER));
}

/* Accesses hvlab does not emulate: the guest is stopped, and says which. */
ATTACK(lapic_byte_write, "lapic-byte-write", "virtual vshadow vdepriv", "stop an access narrower than 32 bits",
       "a byte-wide MOV to the APIC's TPR")
{
    apic_map();
    __asm__ volatile("movb $0x10, 0x3FF080" : : : "memory");       /* APIC + TPR */
    breach("the byte write was taken");
}

ATTACK(lapic_read_modify_write, "lapic-read-modify-write", "virtual vshadow vdepriv",
       "stop not a MOV to or from memory", "OR to the APIC's SVR: a read-modify-write")
{
    apic_map();
    __asm__ volatile("orl $0x100, 0x3FF0F0" : : : "memory");       /* APIC + SVR */
    breach("the OR was taken");
}

ATTACK(lapic_execute, "lapic-execute", "virtual vshadow vdepriv", "stop outside its",
       "jump to code at the APIC's page")
{
    apic_map();
    __asm__ volatile("jmp *%0" : : "r"(APIC));
    breach("returned from the APIC's page");
}

/* ---- The I/O APIC (devices=virtual: hv/exit/vm_ioapic.c) ---- */

uint32_t ioapic_get(uint32_t reg)
{
    IOREG(0x00) = reg;
    return IOREG(0x10);
}

void ioapic_set(uint32_t reg, uint32_t value)
{
    IOREG(0x00) = reg;
    IOREG(0x10) = value;
}

void ioapic_map(void)
{
    apic_on();
    low_pt[IOAPIC >> 12 & 0x3FF] = IOAPIC_PHYSICAL | PTE_P_W_PWT_PCD;
    invlpg(IOAPIC);
}

void pit_through_ioapic_pin2(uint32_t entry)
{
    ioapic_map();
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    ioapic_set(0x10 + 2 * 2 + 1, 0);            /* pin 2: destination APIC ID 0 */
    ioapic_set(0x10 + 2 * 2, entry);
    outb(0x43, 0x34);                           /* PIT counter 0, mode 2, 1000 Hz */
    outb(0x40, (1193182 / 1000) & 0xFF);
    outb(0x40, (1193182 / 1000) >> 8);
}

/* The PIT's IRQ 0 reaches the I/O APIC's pin 2 on a PC: with both 8259As
 * masked, 10 ticks at 1000 Hz come through it and the local APIC. */
ATTACK(ioapic_pit_pin2, "ioapic-pit-pin2", "virtual vshadow vdepriv timed qemu", "native",
       "the PIT's ticks through the I/O APIC's pin 2, the 8259As masked")
{
    pit_through_ioapic_pin2(VEC_EOI);           /* fixed, physical, edge, active high, unmasked */
    __asm__ volatile("sti");
    while (apic_count < 10)
        __asm__ volatile("hlt");
    __asm__ volatile("cli");
    ioapic_set(0x10 + 2 * 2, IOAPIC_MASKED_ENTRY | VEC_EOI);
    result("at least 10 ticks through the I/O APIC's pin 2, ISR %s", requested(ISR, VEC_EOI) ? "set" : "clear");
}

/* As after reset (82093AA 3.2.1): version and entries; what a guest that
 * probes its I/O APIC first reads. hvlab's is an ICH's (version 0x20, 24
 * pins); Bochs 2.7's own an 82093AA's (0x11), so the bare CPU is no reference. */
ATTACK(ioapic_registers, "ioapic-registers", "virtual vshadow vdepriv",
       "result version 0x170020, 24 entries masked, ID 0",
       "read the I/O APIC's version, ID and every redirection entry after reset")
{
    ioapic_map();
    unsigned masked = 0;
    for (unsigned pin = 0; pin < 24; pin++)
        masked += (ioapic_get(0x10 + 2 * pin) & IOAPIC_MASKED_ENTRY) != 0;
    result("version 0x%x, %u entries masked, ID %u", ioapic_get(0x01), masked, ioapic_get(0x00) >> 24);
}

ATTACK(ioapic_byte_write, "ioapic-byte-write", "virtual vshadow vdepriv", "stop an access narrower than 32 bits",
       "a byte-wide MOV to the I/O APIC's IOREGSEL")
{
    ioapic_map();
    __asm__ volatile("movb $0x01, 0x3FE000" : : : "memory");      /* IOAPIC + IOREGSEL */
    breach("the byte write was taken");
}
