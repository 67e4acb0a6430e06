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

/* mov $value, %eax; ret, at code. */
static void put_value(uint8_t *code, uint32_t value)
{
    code[0] = 0xB8;
    for (unsigned i = 0; i < 4; i++)
        code[1 + i] = (uint8_t)(value >> (8 * i));
    code[5] = 0xC3;
}

static void put_function(unsigned at, uint32_t value)
{
    put_value(site_code + at, value);
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

/* A taken Jcc's target rewritten. Under bt=1 a block goes on past its Jcc,
 * and once chained the Jcc's own rel32 jumps to its target's translation
 * (bt_block.h, bt_block_chain). Here the JNZ is in one page and its target
 * in the next: a store into the target's page drops its translations
 * only, and the JNZ (in a block kept) must be aimed back at its slot so
 * that the new code runs (SDM vol. 3, 11.6). */
static uint8_t jcc_code[2][4096] __attribute__((aligned(4096)));

static __attribute__((noinline)) uint32_t call_jcc(uint32_t taken)
{
    uint32_t sum = 0, fn = (uint32_t)jcc_code[0];
    for (unsigned i = 0; i < 25; i++) {
        uint32_t r;
        __asm__ volatile("call *%1" : "=a"(r) : "m"(fn), "c"(taken) : "edx", "memory", "cc");
        sum += r;
    }
    return sum;
}

ATTACK(bt_jcc_target_rewritten, "bt-jcc-target-rewritten", "all", "native",
       "a JNZ taken 25 times to the next page, that page's code rewritten by a store, taken again; not taken")
{
    /* test %ecx, %ecx; jnz page 2; mov $1, %eax; ret */
    static const uint8_t head[] = { 0x85, 0xC9, 0x0F, 0x85, 0xF8, 0x0F, 0x00, 0x00, 0xB8, 1, 0, 0, 0, 0xC3 };
    for (unsigned i = 0; i < sizeof(head); i++)
        jcc_code[0][i] = head[i];
    put_value(jcc_code[1], 2);
    uint32_t first = call_jcc(1);
    put_value(jcc_code[1], 3);
    uint32_t rewritten = call_jcc(1);
    uint32_t not_taken = call_jcc(0);
    result("sums %u, rewritten %u, not taken %u", first, rewritten, not_taken);
}
