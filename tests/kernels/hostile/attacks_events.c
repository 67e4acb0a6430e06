/*
 * attacks_events.c: interrupts and exceptions around VM exits. An exit can
 * come in the shadow of STI or MOV SS, with the guest's TF set, or just as a
 * timer interrupt is due; the hypervisor must resume the guest as the CPU
 * would have gone on (SDM vol. 3, 25.4.2 interruptibility state; 27.3.1.5
 * the checks on it), and never build a guest state that VM entry refuses.
 */
#include "attack.h"

extern char timer_stub[];                       /* ../common/entry.S */
extern volatile uint32_t timer_ticks;

#define TIMER_VEC 0x20
#define PIT_HZ 1193182

/* Both PICs initialised at vectors 0x20 and 0x28 (ICW1 edge + ICW4, ICW2,
 * ICW3 cascade, ICW4 as given: 0x01 8086 mode, 0x03 with automatic EOI),
 * then their masks (OCW1). */
static void pics_init(uint8_t icw4, uint8_t master_mask, uint8_t slave_mask)
{
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, icw4); outb(0xA1, icw4);
    outb(0x21, master_mask); outb(0xA1, slave_mask);
}

/* The master PIC's spurious IRQ 7 (8259A data sheet: a request gone before
 * the CPU's acknowledge): no EOI, nothing to do, as a PC kernel takes it.
 * The machine's PIC gives one at ring 1 (devices=machine) when a tick's
 * delivery takes longer than the 10 kHz timer's period. */
void spurious_irq7_stub(void);
__asm__(".text\n.globl spurious_irq7_stub\nspurious_irq7_stub:\n    iret\n");

static void irq0_on(void)
{
    set_gate(TIMER_VEC, (uint32_t)timer_stub, KCODE, 0x8E);
    set_gate(TIMER_VEC + 7, (uint32_t)spurious_irq7_stub, KCODE, 0x8E);
    pics_init(0x01, 0xFE, 0xFF);
}

/* The 8259s remapped to 0x20/0x28 with only IRQ 0 open (irq0_on), and the
 * 8254's channel 0 at hz. */
void timer_on(unsigned hz)
{
    irq0_on();
    uint16_t divisor = (uint16_t)(PIT_HZ / hz);
    outb(0x43, 0x34);
    outb(0x40, divisor & 0xFF);
    outb(0x40, divisor >> 8);
}

void timer_off(void)
{
    __asm__ volatile("cli");
    outb(0x21, 0xFF);
}

/* Waits for n ticks with an instruction that exits right after an
 * interrupt shadow (the one-instruction window STI or MOV SS opens). A tick
 * may also come between two other instructions of the loop, at a point
 * that depends on timing: the results count "n or more". */
#define WAIT_TICKS(n, shadow_insn)                                         \
    do {                                                                   \
        timer_on(1000);                                                    \
        while (timer_ticks < (n))                                          \
            __asm__ volatile(shadow_insn : : : "eax", "ebx", "ecx", "edx", "memory"); \
        timer_off();                                                       \
    } while (0)

ATTACK(sti_hlt, "event-sti-hlt", "all virtual vshadow vdepriv vdelay timed qemu", "native",
       "STI; HLT: the exit for HLT comes in STI's shadow")
{
    WAIT_TICKS(3, "sti; hlt; cli");
    result("woke %s", timer_ticks >= 3 ? "3 times or more" : "too few times");
}

/* A timer handler that also records its CS and the CS of the frame it was
 * given (where the interrupted HLT ran), then ends like timer_stub. */
extern char cs_probe_stub[];
volatile uint32_t handler_cs, frame_cs;
__asm__(".text\n.globl cs_probe_stub\ncs_probe_stub:\n"
        "    pushl %eax\n"
        "    movl %cs, %eax\n    movl %eax, handler_cs\n"
        "    movl 8(%esp), %eax\n    movl %eax, frame_cs\n"   /* EAX, then EIP, CS */
        "    incl timer_ticks\n"
        "    movb $0x20, %al\n    outb %al, $0x20\n"
        "    popl %eax\n    iret\n");

/* While a ring-1 guest waits in HLT the hypervisor parks its CS and SS at
 * ring 0 in the VMCS (depriv_halt.c): the wake must give them back before
 * the interrupt is delivered, or the guest would go on at the real ring 0.
 * At ring 1 its handler and the code after the HLT run at RPL 1, and the
 * frame shows the guest's own ring-0 selector (ring compression hides
 * itself there); patch=1 makes MOV from CS an emulated INT3 (RPL 0, as
 * natively), so its runs compare with the bare CPU. */
ATTACK(hlt_wakes_at_own_ring, "event-hlt-wakes-at-own-ring", "all virtual vshadow vdepriv timed",
       "native; depriv vdepriv: result woke 3 times, CS.RPL 1 in the handler, 0 in its frame, 1 after",
       "HLT with interrupts on, three times: the CS of the timer's handler, of its frame and after the wake")
{
    irq0_on();
    set_gate(TIMER_VEC, (uint32_t)cs_probe_stub, KCODE, 0x8E);
    uint16_t divisor = (uint16_t)(PIT_HZ / 1000);
    outb(0x43, 0x34);
    outb(0x40, divisor & 0xFF);
    outb(0x40, divisor >> 8);
    uint32_t after = 0;
    while (timer_ticks < 3) {
        __asm__ volatile("sti; hlt; cli" : : : "memory");
        __asm__ volatile("movl %%cs, %0" : "=r"(after));
    }
    timer_off();
    result("woke %u times, CS.RPL %u in the handler, %u in its frame, %u after", (unsigned)timer_ticks,
           (unsigned)(handler_cs & 3), (unsigned)(frame_cs & 3), (unsigned)(after & 3));
}

ATTACK(mov_ss_hlt, "event-mov-ss-hlt", "all virtual vshadow vdepriv timed qemu", "native",
       "MOV SS; HLT with interrupts on: the exit for HLT comes in MOV SS's shadow")
{
    WAIT_TICKS(3, "sti; movl %%ss, %%eax; movl %%eax, %%ss; hlt; cli");
    result("woke %s", timer_ticks >= 3 ? "3 times or more" : "too few times");
}

ATTACK(sti_cpuid, "event-sti-cpuid", "all virtual vshadow vdepriv timed qemu", "native",
       "STI; CPUID in a loop while the timer runs: CPUID exits in STI's shadow")
{
    WAIT_TICKS(3, "xorl %%eax, %%eax; sti; cpuid; cli");
    result("%s", timer_ticks >= 3 ? "3 ticks or more" : "too few ticks");
}

ATTACK(mov_ss_refused, "event-mov-ss-refused-msr", "all icelake",
       "result exception 13 error=0x0 cpl=0 at=expected",
       "MOV SS; RDMSR of a refused MSR (IA32_TSC_AUX: RDTSCP is hidden): #GP injected in MOV SS's shadow")
{
    __asm__ volatile("movl %%ss, %%eax\n\tmovl %%eax, %%ss\n\t" EXPECT_AT("rdmsr")
                     : : "c"(0xC0000103) : "eax", "edx", "memory");
}

ATTACK(mov_ss_io, "event-mov-ss-out", "all virtual vshadow vdepriv timed qemu", "native",
       "MOV SS; OUT to a port with no device, while the timer runs")
{
    WAIT_TICKS(3, "sti; movl %%ss, %%eax; movl %%eax, %%ss; outb %%al, $0x80; cli");
    result("%s", timer_ticks >= 3 ? "3 ticks or more" : "too few ticks");
}

/* TF set over an instruction that exits: the #DB comes after it, with the
 * right EIP (SDM 17.3.1.4: a single-step trap after the instruction). */
uint32_t db_count, db_eip;   /* single_step_stub's (global: asm uses them) */
__asm__(".globl single_step_stub\n"
        "single_step_stub:\n"
        "    incl db_count\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n    movl %eax, db_eip\n"
        "    andl $~0x100, 12(%esp)\n"           /* TF off in the frame: once is enough */
        "    popl %eax\n"
        "    iret\n");

ATTACK(tf_cpuid, "event-tf-over-cpuid", "all icelake", "native",
       "TF set over CPUID (which exits): one #DB, after the CPUID")
{
    set_gate(1, (uint32_t)single_step_stub, KCODE, 0x8E);
    uint32_t after;
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
                     "cpuid\n"
                     "1: movl $1b, %0\n"
                     : "=r"(after) : "a"(0) : "ebx", "ecx", "edx", "memory", "cc");
    result("%u #DB, at the instruction after CPUID: %s", (unsigned)db_count,
           db_eip == after ? "yes" : "no");
}

ATTACK(tf_rdmsr_refused, "event-tf-over-refused-msr", "all icelake",
       "result exception 13 error=0x0 cpl=0 at=expected",
       "TF set over a refused RDMSR: the #GP comes first, the single step never")
{
    set_gate(1, (uint32_t)single_step_stub, KCODE, 0x8E);
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
                     EXPECT_AT("rdmsr") : : "c"(0xC0000103) : "eax", "edx", "memory", "cc");
}

/* An interrupt may wait while the hypervisor emulates the last handler's
 * EOI and IRET (cpu=deprivileged): the guest must still run its own code
 * between two interrupts, as a CPU delivers at most one per instruction
 * boundary. */
ATTACK(fast_timer, "event-timer-10khz", "all virtual vshadow vdepriv vdelay timed", "native",
       "the PIT at 10 kHz while the kernel counts to 20000: it must get there")
{
    timer_on(10000);
    volatile uint32_t work = 0;
    __asm__ volatile("sti");
    while (work < 20000)
        work++;
    timer_off();
    result("counted to %u with the timer on, ticks %s", (unsigned)work, timer_ticks ? "came" : "none");
}

/* TF over STI and over CLI;STI: each a #DB after the instruction. Under
 * cpu=deprivileged STI is emulated, and the hypervisor holds interrupts for
 * one instruction after it ("blocking by STI"), which with TF = 1 needs the
 * pending single-step #DB in the VMCS too (SDM 27.3.1.5). */
extern char step_count_stub[];
volatile uint32_t step_count;
__asm__(".globl step_count_stub\n"
        "step_count_stub:\n"
        "    incl step_count\n"
        "    iret\n");
ATTACK(tf_over_sti, "event-tf-over-sti", "all icelake", "native",
       "TF set, then CLI; STI; NOP; NOP, TF cleared: one #DB per instruction")
{
    set_gate(1, (uint32_t)step_count_stub, KCODE, 0x8E);
    __asm__ volatile("pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
                     "cli\n\tsti\n\tnop\n\tnop\n\t"
                     "pushfl\n\tandl $~0x100, (%%esp)\n\tpopfl" : : : "memory", "cc");
    result("%u single-step traps", (unsigned)step_count);
}

/* ---- the virtual PIT and PIC at their worst (devices=virtual, lab 4) ----
 * The PIT at its fastest rate (count 2: 596 kHz), every PIC line open. The
 * hypervisor and the guest must both go on: the guest counts to its end. */

/* An interrupt handler that counts and returns, with no EOI. */
extern char count_stub[];
__asm__(".text\n.globl count_stub\ncount_stub:\n    incl timer_ticks\n    iret\n");

/* Both PICs at 0x20/0x28 with every line open, icw4 as given (0x01: 8086
 * mode; 0x03: automatic EOI too), every IRQ's vector counted by
 * count_stub, and the PIT's counter 0 in mode 2 with count 2. */
static void fastest_timer_on(uint8_t icw4)
{
    for (unsigned vector = 0x20; vector < 0x30; vector++)
        set_gate(vector, (uint32_t)count_stub, KCODE, 0x8E);
    pics_init(icw4, 0x00, 0x00);
    outb(0x43, 0x34);
    outb(0x40, 2);
    outb(0x40, 0);
}

/* Counts to `target` with interrupts on, and on until the first interrupt
 * came (at most 2^28): QEMU's PIT runs on the host's clock, and a loaded
 * host may let its TCG count to 20000 before the first tick. */
static void count_with_timer_on(uint8_t icw4, uint32_t target)
{
    fastest_timer_on(icw4);
    volatile uint32_t work = 0;
    __asm__ volatile("sti");
    while (work < target || (!timer_ticks && work < (1u << 28)))
        work++;
    timer_off();
    outb(0xA1, 0xFF);
    result("counted to %u with the PIT at count 2, interrupts %s", (unsigned)(work < target ? work : target),
           timer_ticks ? "came" : "none");
}

/* Without an EOI the PIC's ISR keeps IRQ 0 in service: one interrupt, and
 * nothing of lower priority after it. */
ATTACK(pit_fastest_no_eoi, "event-pit-fastest-no-eoi", "virtual vshadow vdepriv timed qemu", "native",
       "the PIT at count 2, every PIC line unmasked, a handler that never sends EOI")
{
    count_with_timer_on(0x01, 20000);
}

/* Automatic EOI: each interrupt ends at its INTA, so the next is due at
 * once, 596,000 a second. The guest must still get its own time: a
 * livelock never counts to the end. (5000: at ring 1 every interrupt is
 * delivered in software, six of them for each count; 20000 took 80 s of
 * the 120 a timed run has under bt=1 on a busy host.) */
ATTACK(pic_aeoi_storm, "event-pic-aeoi-storm", "virtual vshadow vdepriv vdelay timed qemu", "native",
       "the PIT at count 2 and both PICs in automatic-EOI mode: an interrupt storm")
{
    count_with_timer_on(0x03, 5000);
}

/* A timer interrupt delivered onto a stack page the guest never touched.
 * Under shadow paging the page is not in the shadow tables yet, so the
 * delivery itself faults on them: a #PF exit with the interrupt in the
 * IDT-vectoring information (SDM 28.2.4). The hypervisor fills the shadow
 * and must deliver the interrupt again (SDM 27.6), or it is lost: the
 * PIC would keep it in service, and no tick would ever come again. */
static uint8_t fresh_stacks[8][4096] __attribute__((aligned(4096)));

ATTACK(fresh_stack, "event-timer-on-fresh-stack", "all virtual vshadow vdepriv timed qemu", "native",
       "timer interrupts taken on 8 stack pages the guest never touched before")
{
    timer_on(1000);
    unsigned taken = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint32_t top = (uint32_t)&fresh_stacks[i][4096], before = timer_ticks;
        __asm__ volatile("movl %%esp, %%ebx\n\t"
                         "movl %0, %%esp\n\t"
                         "sti\n"
                         "1:\n\t"
                         "cmpl %1, timer_ticks\n\t"
                         "je 1b\n\t"
                         "cli\n\t"
                         "movl %%ebx, %%esp"
                         : : "r"(top), "r"(before) : "ebx", "memory", "cc");
        taken += timer_ticks != before;
    }
    timer_off();
    result("%u ticks taken on %u fresh stack pages", taken, 8u);
}

/* devices=virtual: IRQ 0 open, but the PIT's counter 0 in mode 0 (one
 * interrupt at terminal count) has given its one tick, and no other line
 * has a device: a HLT nothing can end, which the hypervisor sees from its
 * model of the PIT. */
ATTACK(hlt_pit_stopped, "hlt-pit-stopped", "virtual vdepriv",
       "stop counter 0 will never tick again",
       "STI; HLT with IRQ 0 open after the PIT's one-shot (mode 0) count gave its tick")
{
    irq0_on();
    outb(0x43, 0x30);           /* counter 0, LSB then MSB, mode 0 */
    outb(0x40, 0x10);
    outb(0x40, 0x00);           /* 16 clocks */
    __asm__ volatile("sti");
    /* Every tick owed comes now: the one-shot's, and under
     * timer_mode=catchup those of the BIOS's 18.2 Hz timer that the kernel
     * left waiting with interrupts off. Then none for a long while. */
    for (unsigned quiet = 0; quiet < 200000; quiet++) {
        uint32_t seen = timer_ticks;
        for (volatile unsigned i = 0; i < 10; i++)
            ;
        if (timer_ticks != seen)
            quiet = 0;
    }
    uint32_t ticks = timer_ticks;
    __asm__ volatile("hlt" : : : "memory");
    breach("woke from HLT after the PIT's last tick (%u ticks before, %u after)", (unsigned)ticks,
           (unsigned)timer_ticks);
}
