/*
 * attacks_nmi.c: NMIs under devices=virtual (hv/exit/vm_interrupts.c,
 * lab 4): the local APIC's NMI IPIs to self, the I/O APIC's NMI messages,
 * and an NMI handler at its worst. The NMI's rules (SDM vol. 3, 6.7.1):
 * IF does not hold it back; from its delivery to the next IRET further
 * NMIs are blocked, and one that comes meanwhile is latched and delivered
 * right after that IRET. The friendly attacks say "native": the bare Bochs
 * CPU gives the same answer.
 *
 * The handler counts every NMI, and counts as nested one that comes while
 * another's handler runs (its depth count, or the frame's EIP at the
 * handler's tail): an NMI delivered before the handler's IRET completed,
 * which the CPU never does.
 */
#include <stdbool.h>
#include "apic.h"
#include "attack.h"

#define VEC_NMI 2
/* An NMI to this CPU by the two valid ways: "self" is not one for an NMI
 * (SDM 11.6.1, table 11-4: invalid; Bochs sends it as a fixed IPI of the
 * vector, KVM and QEMU deliver the NMI). */
#define NMI_ALL (ALL_INCLUDING_SELF | ICR_NMI)
#define WAIT_SPINS 2000000u             /* a bound on every wait (a late NMI shows): never hang */

volatile uint32_t nmi_count, nmi_nested, nmi_sent;
volatile uint32_t nmi_depth;            /* handlers entered and not yet at their tail */
volatile uint32_t nmi_chain_left;       /* the handler sends the next NMI while this is > 0 */
volatile uint32_t nmi_storming;           /* the handler always sends the next NMI */
volatile uint32_t nmi_refault;          /* the handler's IRET misses the TLB (see below) */

/* NMI before INTR (SDM 6.9, table 6-2): one NMI's handler, with IF = 0,
 * sends itself an interrupt and a second NMI, which both wait; its IRET
 * (IF = 1 again) unblocks both at one instruction boundary, and the NMI
 * must come first: its handler interrupts the code after that IRET. Were
 * the interrupt delivered first, the NMI would still run first, at the
 * boundary right after that delivery, but it would interrupt the
 * interrupt's handler at its first instruction. */
#define VEC_AFTER_NMI 0x53
volatile uint32_t race_step;            /* 1: the next handler sends both; 2: the next records */
volatile uint32_t nmi_order, intr_order, order_count;
volatile uint32_t nmi_frame_eip;        /* where the last NMI came */
volatile bool nmi_in_intr_handler;

void intr_taken(void)
{
    intr_order = ++order_count;
    REG(EOI) = 0;
}

extern char intr_order_stub[];
__asm__(".text\n"
        ".globl intr_order_stub\nintr_order_stub:\n"
        "    pushal\n"
        "    call intr_taken\n"
        "    popal\n"
        "    iret\n");

/* What the handler does between its counts and its IRET. */
void nmi_then(void)
{
    if (race_step == 1) {
        race_step = 2;
        REG(ICR_LOW) = SELF | VEC_AFTER_NMI;
        nmi_sent++;
        REG(ICR_LOW) = NMI_ALL;
        return;
    }
    if (race_step == 2) {
        race_step = 3;
        nmi_order = ++order_count;
        nmi_in_intr_handler = nmi_frame_eip == (uint32_t)intr_order_stub;
        return;
    }
    if (nmi_storming || nmi_chain_left) {
        if (nmi_chain_left)
            nmi_chain_left--;
        nmi_sent++;
        REG(ICR_LOW) = NMI_ALL;
    }
}

extern char nmi_stub[];
__asm__(".text\n"
        ".globl nmi_stub\nnmi_stub:\n"
        "    pushal\n"
        "    movl 32(%esp), %eax\n"
        "    movl %eax, nmi_frame_eip\n"
        "    cmpl $0, nmi_depth\n"             /* in a handler still: nested */
        "    jne 1f\n"
        "    movl 32(%esp), %eax\n"             /* or stopped at the tail below, after its decl */
        "    cmpl $nmi_stub, %eax\n"
        "    jb 2f\n"
        "    cmpl $nmi_stub_end, %eax\n"
        "    jae 2f\n"
        "1:  incl nmi_nested\n"
        "2:  incl nmi_count\n"
        "    incl nmi_depth\n"
        "    call nmi_then\n"
        "    decl nmi_depth\n"
        "    popal\n"
        /* nmi_refault: the IRET's first access to its frame misses the
         * TLB (INVLPG touches no memory): under shadow paging it is a #PF
         * that exits, after the IRET unblocked NMIs (SDM 28.2.3, bit 12). */
        "    cmpl $0, nmi_refault\n"
        "    je 3f\n"
        "    invlpg (%esp)\n"
        "3:  iret\n"
        ".globl nmi_stub_end\nnmi_stub_end:\n");

static void nmi_on(void)
{
    apic_on();
    set_gate(VEC_NMI, (uint32_t)nmi_stub, KCODE, 0x8E);
}

/* n NMIs, to all including self, or to this APIC's ID (physical). */
static void send_nmis(unsigned n, bool by_id)
{
    REG(ICR_HIGH) = REG(APIC_ID) & 0xFF000000u;
    for (unsigned i = 0; i < n; i++) {
        nmi_sent++;
        REG(ICR_LOW) = by_id ? ICR_NMI : NMI_ALL;
    }
}

/* Wait until `count` NMIs were taken, or give up after WAIT_SPINS. */
static void wait_for_nmis(uint32_t count)
{
    for (uint32_t spins = 0; nmi_count < count && spins < WAIT_SPINS; spins++)
        __asm__ volatile("pause");
}

ATTACK(nmi_self_ipi, "nmi-self-ipi", "virtual vshadow vdepriv vdelay qemu", "native",
       "NMI IPIs to itself: 500 with interrupts on, 500 with them off (to its APIC ID), a chain "
       "of 100, each sent by the handler of the last before its IRET, then an NMI and an interrupt "
       "that wait for one IRET")
{
    nmi_on();
    set_gate(VEC_AFTER_NMI, (uint32_t)intr_order_stub, KCODE, 0x8E);
    __asm__ volatile("sti");
    send_nmis(500, false);
    __asm__ volatile("cli");
    send_nmis(500, true);
    nmi_chain_left = 99;
    send_nmis(1, false);
    wait_for_nmis(1100);
    uint32_t taken = nmi_count, sent = nmi_sent;   /* one late link of the chain shows here */
    race_step = 1;
    __asm__ volatile("sti");
    send_nmis(1, false);
    for (uint32_t spins = 0; !(nmi_order && intr_order) && spins < WAIT_SPINS; spins++)
        __asm__ volatile("pause");
    __asm__ volatile("cli");
    result("%u NMIs taken for %u sent, %u nested; then %s", (unsigned)taken, (unsigned)sent,
           (unsigned)nmi_nested,
           !nmi_order || !intr_order                ? "the NMI or the interrupt lost"
           : nmi_order < intr_order && !nmi_in_intr_handler ? "the NMI before the interrupt"
                                                            : "the interrupt before the NMI");
}

/* Each NMI's handler sends the next before its IRET: on the bare CPU the
 * interrupted code never runs again (the native run times out); under the
 * hypervisor the guest gets its own time between two NMIs, as between two
 * interrupts (vm_interrupts.c), and the hypervisor goes on. */
ATTACK(nmi_storm, "nmi-storm", "virtual vshadow vdepriv vdelay",
       "result counted to 100000 in an NMI storm still on at the end, none nested",
       "each NMI's handler sends the next before its IRET: an endless storm of NMIs")
{
    nmi_on();
    volatile uint32_t work = 0;
    nmi_storming = 1;
    send_nmis(1, false);
    while (work < 100000)
        work++;
    /* An NMI lost on the way (one that no NMI window brings) ends the
     * storm early, and the count above no longer says anything. */
    uint32_t taken = nmi_count;
    wait_for_nmis(taken + 1);
    bool still_on = nmi_count > taken;
    nmi_storming = 0;
    wait_for_nmis(nmi_sent);
    result("counted to %u in an NMI storm %s at the end, %s nested", (unsigned)work,
           still_on ? "still on" : "over", nmi_nested ? "some" : "none");
}

/* The handler's IRET misses the TLB with an NMI latched: the hypervisor
 * must keep NMIs blocked when that IRET exits before it completes, or the
 * latched NMI nests at the IRET. */
ATTACK(nmi_iret_refault, "nmi-iret-refault", "virtual vshadow vdepriv qemu", "native",
       "an NMI latched while its handler's IRET misses the TLB")
{
    nmi_on();
    nmi_refault = 1;
    nmi_chain_left = 1;
    send_nmis(1, false);
    wait_for_nmis(2);
    result("%u NMIs taken for %u sent, %u nested", (unsigned)nmi_count, (unsigned)nmi_sent,
           (unsigned)nmi_nested);
}

/* The PIT's IRQ 0 through the I/O APIC's pin 2 in NMI mode (the NMI
 * watchdog of old Linux kernels), the 8259As masked and interrupts off:
 * 10 NMIs at 1000 Hz. */
ATTACK(nmi_ioapic_pit, "nmi-ioapic-pit", "virtual vshadow vdepriv timed qemu", "native",
       "the PIT's ticks as NMIs through the I/O APIC's pin 2, interrupts off")
{
    nmi_on();
    pit_through_ioapic_pin2(IOAPIC_NMI_ENTRY);  /* NMI, physical, edge, active high, unmasked */
    wait_for_nmis(10);
    ioapic_set(0x10 + 2 * 2, IOAPIC_MASKED_ENTRY | IOAPIC_NMI_ENTRY);
    result("%s10 NMIs from the PIT through the I/O APIC, %u nested", nmi_count >= 10 ? "at least " : "not ",
           (unsigned)nmi_nested);
}

/* The same NMIs end a HLT with interrupts off, as on the bare CPU (SDM
 * 6.7.1: an NMI wakes a halted CPU whatever IF says): the hypervisor must
 * let such a HLT wait, not stop the guest as halted for ever. Each HLT
 * returns past itself after its NMI's handler. */
ATTACK(nmi_wakes_cli_hlt, "nmi-wakes-cli-hlt", "virtual vshadow vdepriv vdelay timed qemu", "native",
       "CLI; HLT ten times, the PIT's ticks coming as NMIs through the I/O APIC")
{
    nmi_on();
    pit_through_ioapic_pin2(IOAPIC_NMI_ENTRY);
    unsigned woken = 0;
    for (unsigned i = 0; i < 10; i++) {
        uint32_t before = nmi_count;
        __asm__ volatile("cli; hlt" ::: "memory");
        woken += nmi_count > before;
    }
    ioapic_set(0x10 + 2 * 2, IOAPIC_MASKED_ENTRY | IOAPIC_NMI_ENTRY);
    result("%u of 10 HLTs with interrupts off ended by an NMI, %u nested", woken, (unsigned)nmi_nested);
}

/* And one that nothing can end: the pin in NMI mode, but masked. */
ATTACK(nmi_masked_cli_hlt, "nmi-masked-cli-hlt", "virtual vshadow vdepriv vdelay", "stop halted with interrupts off",
       "CLI; HLT with the I/O APIC's NMI pin masked: no NMI can ever come")
{
    nmi_on();
    pit_through_ioapic_pin2(IOAPIC_MASKED_ENTRY | IOAPIC_NMI_ENTRY);
    __asm__ volatile("cli; hlt" ::: "memory");
    result("woke from a HLT that nothing could end");
}

/* An NMI handler's IRET that pops its frame from the local APIC's page:
 * an EPT violation in the middle of the IRET, after it unblocked NMIs
 * (the EPT path of vm_interrupts_nmi_blocking_after_fault, exit
 * qualification bit 12). The page is the hypervisor's to decode, and an
 * IRET is not a MOV: the guest is stopped, the hypervisor goes on. */
extern char nmi_iret_apic_stub[];
__asm__(".text\n"
        ".globl nmi_iret_apic_stub\nnmi_iret_apic_stub:\n"
        "    movl $0x3FF400, %esp\n"           /* APIC + 0x400: reserved registers */
        "    iret\n");

ATTACK(nmi_iret_frame_on_apic, "nmi-iret-frame-on-apic", "virtual vshadow vdepriv vdelay",
       "stop not a MOV to or from memory", "an NMI handler's IRET pops its frame from the APIC's page")
{
    nmi_on();
    set_gate(VEC_NMI, (uint32_t)nmi_iret_apic_stub, KCODE, 0x8E);
    send_nmis(1, false);
    breach("the IRET from the APIC's page was taken");
}
