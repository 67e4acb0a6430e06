/*
 * attacks_bt_resume.c: a timer handler that changes AX, landing between a
 * kernel's `mov $KDATA, %ax` and its `mov %ax, Sreg`. bt=1 translates the
 * second without the check of the hypervisor's selectors, knowing what
 * the block's own first instruction put in AX (hv/bt/bt_block.c,
 * selector_in_ax), and enters a block again where an exit left it (an
 * interrupt's, a fault's: depriv_bt_cache.c, bt_cache_left_at), but never
 * at such a load (bt_map_enterable): entered there, AX is whatever the
 * handler made it. Here the handler leaves one of the hypervisor's
 * selectors in AX, as a guest kernel may; the bare CPU's load of it
 * faults, #GP(selector & ~3), past this kernel's GDT (attacks_bt_selectors.c),
 * and the round ends there. After each round every data segment register
 * holds KDATA, whichever way the round ended.
 *
 * The timer at 200 Hz, as attacks_bt_gate_timer.c says why; each round
 * makes 16 such pairs, so that ticks land between them again and again.
 */
#include "attack.h"

#define ROUNDS 4000u

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's */
uint32_t resume_selector = 0xFFE9;      /* what the handler leaves in AX */
static const uint16_t kdata = KDATA;

/* IRQ 0: EOI, then AX is one of the hypervisor's selectors (the next
 * one each tick), the rest of EAX kept. */
extern char resume_timer_stub[];
__asm__(".text\n.globl resume_timer_stub\nresume_timer_stub:\n"
        "    incl timer_ticks\n"
        "    pushl %eax\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    movw resume_selector, %ax\n"
        "    xorl $0x18, resume_selector\n"     /* 0xFFE9 and 0xFFF1: the TC's and the vCPU page's */
        "    iret\n");

#define PAIR "movw $0x10, %%ax\n\tmovw %%ax, %%ds\n\tmovw $0x10, %%ax\n\tmovw %%ax, %%es\n\t" \
             "movw $0x10, %%ax\n\tmovw %%ax, %%fs\n\tmovw $0x10, %%ax\n\tmovw %%ax, %%gs\n\t"

ATTACK(bt_resume_known_selector, "bt-resume-known-selector", "all timed resumed", "native",
       "4000 rounds of 16 `mov $KDATA, %ax; mov %ax, Sreg`, the timer at 200 Hz, its handler leaving "
       "0xFFE9 or 0xFFF1 in AX: no data segment register other than KDATA after a round")
{
    timer_on(200);
    set_gate(0x20, (uint32_t)resume_timer_stub, KCODE, 0x8E);  /* interrupt gate, DPL 0 */
    __asm__ volatile("sti");
    uint32_t bad = 0;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        uint16_t ds, es, fs, gs;
        /* A #GP ends the round at 1: (recover.h's TRY), where every
         * register is loaded again from memory, never from AX. */
        __asm__ volatile("movl $1f, recover_eip\n\t"
                         PAIR PAIR PAIR PAIR
                         "\n1:\tmovl $0, recover_eip\n\t"
                         "movw %%ds, %0\n\tmovw %%es, %1\n\tmovw %%fs, %2\n\tmovw %%gs, %3\n\t"
                         "movw %4, %%ds\n\tmovw %4, %%es\n\tmovw %4, %%fs\n\tmovw %4, %%gs"
                         : "=&m"(ds), "=&m"(es), "=&m"(fs), "=&m"(gs)
                         : "m"(kdata)
                         : "eax", "memory");
        if (ds != KDATA || es != KDATA || fs != KDATA || gs != KDATA)
            bad++;
    }
    __asm__ volatile("cli");
    timer_off();
    result("%u of %u rounds left a data segment register other than KDATA, ticks %s", (unsigned)bad, ROUNDS,
           timer_ticks ? "came" : "none");
}
