/*
 * attacks_bt_rewind.c: segment loads, MOV and POP GS, and IRET in the
 * kernel while the timer interrupts it everywhere. Under bt=1 each is
 * translated into a sequence that borrows ECX (kept in the vCPU page)
 * before the instruction's first change of the guest's state (its commit,
 * hv/bt/bt_block.h); an interrupt that exits there is taken before the
 * instruction, ECX put back from the page, with no steps to the
 * sequence's end (hv/depriv/depriv_bt.c, rewind_translation); one right
 * after a segment load's copied load is taken after the instruction. The
 * bare CPU takes the interrupt before or after each instruction: nothing
 * that the instructions do not change changes.
 *
 * The timer at 200 Hz, as attacks_bt_gate_timer.c says why.
 */
#include "attack.h"

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */

#define ROUNDS 20000u

ATTACK(bt_commit_rewound, "bt-commit-rewound", "all virtual vshadow vdepriv vdelay timed rewound", "native",
       "20000 rounds of MOV DS, ES, FS from memory, POP ES, MOV and POP GS (their selectors alternating), IRET "
       "to the same ring, the timer at 200 Hz: no register, flag or selector changed by an interrupt")
{
    uint16_t ds, gs;
    __asm__ volatile("movw %%ds, %0\n\tmovw %%gs, %1" : "=r"(ds), "=r"(gs));
    timer_on(200);
    __asm__ volatile("sti");
    uint32_t bad = 0;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        /* Each load's selector alternates, so that a load skipped or made
         * twice shows in what the register holds after. */
        uint32_t selector = ds, one = (i & 1) ? UDATA : ds, other = (i & 1) ? ds : UDATA;
        uint32_t a = i * 7, c = ~i, d = (i & 2) ? UDATA : gs, a2, c2, d2, flags, want, es2, fs2, gs2;
        /* CF, ZF, SF, OF and PF from the ADD of i and its mirror: they vary. */
        uint32_t x = i << 20 | i, y = ~i << 11;
        __asm__ volatile("addl %[y], %[x]\n\t"
                         "pushfl\n\tpopl %[want]\n\t"
                         "movw %[sel], %%ds\n\t"
                         "movw %[one], %%es\n\t"
                         "movw %[one], %%fs\n\t"
                         "pushl %[other]\n\tpopl %%es\n\t"
                         "movl %%edx, %%gs\n\t"
                         "pushl %%edx\n\tpopl %%gs\n\t"
                         "pushfl\n\tpushl %%cs\n\tpushl $1f\n\tiret\n"
                         "1:\n\t"
                         "pushfl\n\tpopl %[flags]\n\t"
                         "movw %%es, %[es2]\n\tmovw %%fs, %[fs2]\n\tmovw %%gs, %[gs2]\n\t"
                         "movw %[sel], %%es\n\tmovw %[sel], %%fs"
                         : "=a"(a2), "=c"(c2), "=d"(d2), [flags] "=&r"(flags), [want] "=&r"(want), [x] "+r"(x),
                           [es2] "=m"(es2), [fs2] "=m"(fs2), [gs2] "=m"(gs2)
                         : "a"(a), "c"(c), "d"(d), [y] "m"(y), [sel] "m"(selector), [one] "m"(one),
                           [other] "m"(other)
                         : "memory", "cc");
        if (a2 != a || c2 != c || d2 != d || (flags & 0x8D5) != (want & 0x8D5) || (uint16_t)es2 != other ||
            (uint16_t)fs2 != one || (uint16_t)gs2 != d)
            bad++;
    }
    __asm__ volatile("cli\n\tmovw %0, %%gs" : : "r"(gs));
    timer_off();
    result("%u of %u rounds changed a register, flag or selector, ticks %s", (unsigned)bad, ROUNDS,
           timer_ticks ? "came" : "none");
}
