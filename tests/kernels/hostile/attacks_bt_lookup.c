/*
 * attacks_bt_lookup.c: RET and indirect CALL in the kernel while the timer
 * interrupts it everywhere. Under bt=1 every indirect branch goes through
 * the lookup routine (hv/bt/bt_lookup.h), which keeps the guest's EAX, ECX
 * and flags in the vCPU page while it runs; an interrupt that exits there
 * is taken before the branch's target, with those taken back from where
 * the routine keeps them. The bare CPU takes it before or after the
 * branch: nothing the branch does not change changes.
 *
 * The timer at 200 Hz, as attacks_bt_gate_timer.c says why.
 */
#include "attack.h"

extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */

#define BRANCHES 40000u

/* Returns at once: a CALL in, a RET out (through the lookup under bt). */
extern char lookup_leaf[];
__asm__(".text\n.globl lookup_leaf\nlookup_leaf:\n    ret\n");

ATTACK(bt_lookup_interrupted, "bt-lookup-interrupted", "all timed", "native",
       "40000 indirect CALLs and RETs in the kernel, the timer at 200 Hz: no register or flag changed by an interrupt")
{
    timer_on(200);
    __asm__ volatile("sti");
    uint32_t bad = 0;
    for (uint32_t i = 0; i < BRANCHES; i++) {
        uint32_t a = i * 7, c = ~i, a2, c2, flags, want;
        /* CF, ZF, SF, OF and PF from the ADD of i and its mirror: they vary. */
        uint32_t x = i << 20 | i, y = ~i << 11, leaf = (uint32_t)lookup_leaf;
        __asm__ volatile("addl %[y], %[x]\n\t"
                         "pushfl\n\tpopl %[want]\n\t"
                         "call *%[leaf]\n\t"
                         "pushfl\n\tpopl %[flags]"
                         : "=a"(a2), "=c"(c2), [flags] "=&r"(flags), [want] "=&r"(want), [x] "+r"(x)
                         : "a"(a), "c"(c), [y] "m"(y), [leaf] "m"(leaf)
                         : "memory", "cc");
        if (a2 != a || c2 != c || (flags & 0x8D5) != (want & 0x8D5))
            bad++;
    }
    __asm__ volatile("cli");
    timer_off();
    result("%u of %u branches changed a register or flag, ticks %s", (unsigned)bad, BRANCHES,
           timer_ticks ? "came" : "none");
}

/* A branch site's learnt target rewritten. Under bt=1 an indirect CALL
 * keeps an inline cache of the first target it went to (bt_lookup.h,
 * bt_site_*), a jump straight to that target's translation. The target's
 * code is then rewritten by a store (its page write-protected in the
 * shadow: the translation dropped), and the same site calls it again: the
 * new code must run (SDM vol. 3, 11.6: a write to code takes effect by the
 * next branch). Then again to a second function, and back. */
static uint8_t site_code[4096] __attribute__((aligned(4096)));

static __attribute__((noinline)) uint32_t call_site(uint32_t fn)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < 25; i++) {
        uint32_t r;
        __asm__ volatile("call *%1" : "=a"(r) : "m"(fn) : "ecx", "edx", "memory", "cc");
        sum += r;
    }
    return sum;
}

static void put_function(unsigned at, uint32_t value)
{
    site_code[at] = 0xB8;                       /* mov $value, %eax */
    for (unsigned i = 0; i < 4; i++)
        site_code[at + 1 + i] = (uint8_t)(value >> (8 * i));
    site_code[at + 5] = 0xC3;                   /* ret */
}

ATTACK(bt_site_target_rewritten, "bt-site-target-rewritten", "all", "native",
       "an indirect CALL site's learnt target rewritten by a store, called again; then another target, and back")
{
    uint32_t f = (uint32_t)site_code, g = (uint32_t)site_code + 64;
    put_function(0, 1);
    put_function(64, 100);
    uint32_t first = call_site(f);
    put_function(0, 2);
    uint32_t rewritten = call_site(f);
    uint32_t other = call_site(g);
    put_function(0, 3);
    uint32_t back = call_site(f);
    result("sums %u, rewritten %u, other %u, back rewritten %u", first, rewritten, other, back);
}
