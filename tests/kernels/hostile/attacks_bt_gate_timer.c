/*
 * attacks_bt_gate_timer.c: INT n from ring 3 while the timer interrupts it
 * everywhere. Under bt=1 a user's INT n goes through the real IDT into the
 * hypervisor's trampoline (hv/bt/bt_gate.h); an interrupt that exits while
 * the trampoline runs puts the user back before its INT, and must put back
 * exactly what the user had: its registers, flags and GS, whether the
 * trampoline had saved them yet or not. The bare CPU takes the interrupt
 * before or after the INT, never inside: no register changes.
 *
 * The timer at 200 Hz, not faster: Bochs's clock counts 4 million
 * instructions a second (its default ips), and a tick costs the hypervisor
 * several exits of thousands of instructions each (bt=1 ~12,000, patch=1
 * ~5,000: external interrupt, interrupt windows, the EOI, the IRET). At
 * 1 kHz (4,000 instructions a period) the next tick is due before the
 * last one's IRET: ring 3 gets one instruction a tick, and 20,000 INTs take
 * many minutes. At 200 Hz bt=1's trampoline is still interrupted ~150 times.
 */
#include "attack.h"

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */
void timer_on(unsigned hz);
void timer_off(void);

#define INTS 20000u
#define VECTOR 0x85

/* The handler: a trap gate at ring 0 that returns at once. */
extern char int_return_stub[];
__asm__(".text\n.globl int_return_stub\nint_return_stub:\n    iret\n");

static volatile uint32_t changed;
static void ints_body(void)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < INTS; i++) {
        uint32_t a = i, b = ~i, c = i * 3, d = i ^ 0x5A5A5A5A, gs = (i & 1) ? UDATA : 0;
        uint32_t a2, b2, c2, d2, gs2, flags;
        __asm__ volatile("movl %%edi, %%gs\n\t"
                         "stc\n\t"
                         "int $" "0x85" "\n\t"
                         "pushfl\n\tpopl %%esi\n\t"
                         "movl %%gs, %%edi"
                         : "=a"(a2), "=b"(b2), "=c"(c2), "=d"(d2), "=S"(flags), "=D"(gs2)
                         : "a"(a), "b"(b), "c"(c), "d"(d), "D"(gs)
                         : "memory", "cc");
        if (a2 != a || b2 != b || c2 != c || d2 != d || !(flags & 1) || gs2 != gs)
            bad++;
    }
    changed = bad;
}

ATTACK(bt_gate_interrupted, "bt-gate-interrupted", "all timed gated", "native",
       "20000 INT n from ring 3, the timer at 200 Hz: no register, flag or GS changed by an interrupt")
{
    set_gate(VECTOR, (uint32_t)int_return_stub, KCODE, 0xEF);   /* trap gate, DPL 3 */
    timer_on(200);
    __asm__ volatile("sti");
    run_user(ints_body);
    timer_off();
    result("%u of %u INTs changed a register, ticks %s", (unsigned)changed, INTS, timer_ticks ? "came" : "none");
}
