/*
 * attacks_apf_user.c: pseudo page faults taken at ring 3 (issue 20;
 * lib/apf_abi.h, hv/exit/async_pf.c, hv/guest/overcommit.c), in mode
 * paged. The kernel agrees (a vector, the area), its #PF handler takes
 * "page not present" (CR2 = the token) and skips the touch that faulted,
 * its vector's handler takes "page ready" and acknowledges it.
 *
 * apf-told-only-when-takeable: KVM's rules. A fault at ring 0, or at ring 3
 * with IF=0, or while the area's flags are still set, stalls; one at ring
 * 3 with IF=1 is told (#PF, error code 0, a token), and answered by one
 * "page ready" with that token at the vector chosen.
 *
 * apf-store-16-held-full-ram: the hypervisor's store with every page of
 * the VM's RAM holding data and 16 page-ins held at once. A page coming in
 * counts as resident but keeps its store slot until it is in, so a trim
 * with k page-ins under way leaves k more pages out than `pages - limit`:
 * the store must have PAGEINS_MAX slots beyond them (sized `pages - limit`
 * it was full at the first pseudo page fault, and its free-slot stack
 * underflowed into the hypervisor's memory). At ring 0 the kernel writes
 * data into every page of its RAM that holds none (pages of zeros go out
 * without a slot; so that every page out needs one, none is left), reads
 * its own image back in last (its pages of zeros, its stacks and code,
 * stay resident), and agrees. At ring 3 with IF=1 it touches the first 16
 * pages past its image, out since the fill: each touch is a "page not
 * present" whose handler skips to the next page, so the page-ins pile up;
 * then it waits for their "page ready"s, and at ring 0 checks what came
 * back. All 16 must be told before the first "page ready" comes (which is
 * told at the entry the first page-in ends at): the 16 touches take
 * ~45,000 TSC cycles under Bochs, mode paged's page-in 100,000
 * (pagein=100). Mode "timed": without vmcheck=2, whose thousands of
 * instructions an exit would stretch the touches towards it.
 */
#include <stdbool.h>
#include "attack.h"
#include "apf_abi.h"

#define VECTOR  0xF3
#define TARGETS 16                  /* PAGEINS_MAX (hv/guest/pageins.h): every page-in held at once */
#define FAULTS  64                  /* pseudo page faults recorded (the targets', and any elsewhere) */
#define PAGE    4096u
#define MARK    0x5A17F00Du         /* a filled page's first word is MARK ^ its address, its last ~address */
#define WAIT    200000000ull        /* TSC cycles to wait for "page ready"s at most (the result says what came) */

extern char kernel_end[];           /* kernel.ld */
extern char touch_insn[], touch_end[];

static struct apf_area area __attribute__((aligned(64)));
static volatile uint32_t told[FAULTS], readied[FAULTS];
static volatile unsigned told_count, ready_count, told_before_ready, target_of[FAULTS], error_codes;
static volatile int touching = -1;  /* the target ring 3 is touching */
static volatile bool keep_flags;    /* the #PF handler leaves the area's flags set (apf-told-only-when-takeable) */

/* ---- The guest's side of the protocol -------------------------------------- */

/* Ring 0, from pf_stub: a pseudo page fault at the touch skips to the next
 * target; one anywhere else (a page of ring 3's own, or one told at ring 0
 * against the rules) waits for its "page ready" with interrupts on, and
 * the instruction runs again. */
struct frame { uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax, error, eip, cs, eflags; };
void pf_handler(struct frame *f);
void pf_handler(struct frame *f)
{
    uint32_t token = read_cr2();
    if (area.flags != APF_FLAG_NOT_PRESENT)
        result("a page fault not pseudo: cr2=0x%08x error=0x%x at=0x%08x", token, f->error, f->eip);
    if (!keep_flags)
        area.flags = 0;             /* taken: the next one may come */
    unsigned n = told_count;
    if (n == FAULTS)
        result("more than %u pseudo page faults", FAULTS);
    told[n] = token;
    target_of[n] = f->eip == (uint32_t)touch_insn ? (unsigned)touching : TARGETS;
    error_codes |= f->error;
    told_count = n + 1;
    if (f->eip == (uint32_t)touch_insn) {
        f->eip = (uint32_t)touch_end;
        return;
    }
    for (bool seen = false; !seen; ) {
        __asm__ volatile("sti; hlt; cli" : : : "memory");
        for (unsigned i = 0; i < ready_count; i++)
            seen |= readied[i] == token;
    }
}

/* Ring 0, from ready_stub: "page ready" taken, acknowledged. */
void ready_handler(void);
void ready_handler(void)
{
    if (!ready_count)
        told_before_ready = told_count;
    if (ready_count < FAULTS)
        readied[ready_count++] = area.token;
    area.token = 0;
    wrmsr(MSR_HVL_APF_ACK, APF_ACK_DONE);
}

__asm__(".globl pf_stub\npf_stub:\n"
        "    pushal\n    pushl %esp\n    call pf_handler\n    addl $4, %esp\n    popal\n"
        "    addl $4, %esp\n    iret\n"               /* the error code */
        ".globl ready_stub\nready_stub:\n"
        "    pushal\n    call ready_handler\n    popal\n    iret\n");
void pf_stub(void);
void ready_stub(void);

/* The handlers in the IDT, the vector chosen, the area given. */
static void agree(void)
{
    set_gate(14, (uint32_t)pf_stub, KCODE, 0x8E);
    set_gate(VECTOR, (uint32_t)ready_stub, KCODE, 0x8E);
    wrmsr(MSR_HVL_APF_INT, VECTOR);
    wrmsr(MSR_HVL_APF_EN, (uint32_t)&area | APF_EN_ENABLED | APF_EN_DELIVERY_AS_INT);
}

/* One load from p at touch_insn (one copy of it: noinline, noclone). */
static __attribute__((noinline, noclone)) void touch(const volatile uint32_t *p)
{
    uint32_t v;
    __asm__ volatile(".globl touch_insn\ntouch_insn: movl (%1), %0\n.globl touch_end\ntouch_end:"
                     : "=r"(v) : "r"(p) : "memory");
}

/* Until every pseudo page fault told had its "page ready", or WAIT cycles
 * (at ring 3 or 0, interrupts on). */
static void wait_for_ready(void)
{
    uint64_t until = read_tsc() + WAIT;
    while (ready_count < told_count && read_tsc() < until)
        __asm__ volatile("pause" : : : "memory");
}

/* Of the pseudo page faults on the targets (or, with targets false, all
 * of them): those whose token was told once and answered by one "page
 * ready" with it. */
static unsigned matched(bool targets)
{
    unsigned m = 0;
    for (unsigned i = 0; i < told_count; i++) {
        if (targets && target_of[i] >= TARGETS)
            continue;
        unsigned same = 0, ready = 0;
        for (unsigned j = 0; j < told_count; j++)
            same += told[j] == told[i];
        for (unsigned j = 0; j < ready_count; j++)
            ready += readied[j] == told[i];
        m += told[i] && same == 1 && ready == 1;
    }
    return m;
}

/* ---- apf-told-only-when-takeable ------------------------------------------ */

/* Pages out from the start: the first trim pages the zeros out highest
 * first (hv/guest/overcommit.c). */
static uint32_t top_page(unsigned i) { return ram_top - (i + 1) * PAGE; }
static unsigned touches;

static void user_touch(void)
{
    touch((const volatile uint32_t *)top_page(touches++));
}

/* The pseudo page faults told while fn ran (a page touched each). */
static unsigned told_by(void (*fn)(void))
{
    unsigned before = told_count;
    fn();
    return told_count - before;
}

/* A touch at ring 0, and one at ring 3 with IF as given (run_user's ring 3
 * has the kernel's IF, and comes back through an interrupt gate: IF=0). */
static void ring0_touch(void) { user_touch(); }
static void ring3_touch_if0(void) { __asm__ volatile("cli"); run_user(user_touch); }
static void ring3_touch_if1(void) { __asm__ volatile("sti"); run_user(user_touch); }

ATTACK(apf_takeable, "apf-told-only-when-takeable", "paged",
       "result ring 0: 0 told, ring 3 IF=0: 0, ring 3 IF=1: 1 (error 0x0, a token), again with flags set: 0, "
       "1 ready with its token at 0xf3",
       "page faults the guest agreed to have told only at ring 3, IF=1, once it took the last (KVM's rules)")
{
    agree();
    __asm__ volatile("sti");
    unsigned ring0 = told_by(ring0_touch);
    unsigned if0 = told_by(ring3_touch_if0);
    keep_flags = true;
    unsigned ring3 = told_by(ring3_touch_if1);
    unsigned flags_set = told_by(ring3_touch_if1);
    keep_flags = false;
    area.flags = 0;
    __asm__ volatile("sti");
    wait_for_ready();
    __asm__ volatile("cli");
    result("ring 0: %u told, ring 3 IF=0: %u, ring 3 IF=1: %u (error 0x%x, %s), again with flags set: %u, "
           "%u ready %s at 0x%x", ring0, if0, ring3, error_codes, told[0] ? "a token" : "token 0", flags_set,
           ready_count, matched(false) == told_count ? "with its token" : "not matching", VECTOR);
}

/* ---- apf-store-16-held-full-ram ------------------------------------------- */

static bool all_zeros(const volatile uint32_t *w)
{
    for (unsigned i = 0; i < PAGE / 4; i++)
        if (w[i])
            return false;
    return true;
}

static uint32_t image_start(void) { return 0x100000; }
static uint32_t image_end(void) { return ((uint32_t)kernel_end + PAGE - 1) & ~(PAGE - 1); }

/* Data in every page of the RAM outside the image that has none (the
 * firmware's tables and the boot information keep theirs). */
static void fill(void)
{
    for (uint32_t a = 0; a < ram_top; a += PAGE) {
        volatile uint32_t *w = (volatile uint32_t *)a;
        if ((a >= image_start() && a < image_end()) || !all_zeros(w))
            continue;
        w[0] = MARK ^ a;
        w[PAGE / 4 - 1] = ~a;
    }
}

/* The image's pages, its pages of zeros too, in now, and just used: the
 * clock keeps them while ring 3 runs. */
static void image_in(void)
{
    for (uint32_t a = image_start(); a < image_end(); a += PAGE)
        (void)*(volatile uint32_t *)a;
}

static uint32_t target(unsigned i) { return image_end() + i * PAGE; }

/* Ring 3, IF=1: the 16 touches, then their "page ready"s. */
static void touch_targets(void)
{
    for (unsigned i = 0; i < TARGETS; i++) {
        touching = (int)i;
        touch((const volatile uint32_t *)target(i));
    }
    touching = -1;
    wait_for_ready();
}

ATTACK(apf_store_full, "apf-store-16-held-full-ram", "paged timed",
       "result 16 of 16 pages told not present (16 before the first ready), 16 answered by a ready with their "
       "token, 0 ready unmatched, data intact",
       "every page of the RAM holding data, 16 page-ins held at once by ring 3 (the store's size)")
{
    fill();
    image_in();
    agree();
    __asm__ volatile("sti");
    run_user(touch_targets);
    wrmsr(MSR_HVL_APF_EN, 0);
    unsigned on_targets = 0, intact = 0;
    for (unsigned n = 0; n < told_count; n++)
        on_targets += target_of[n] < TARGETS;
    for (unsigned i = 0; i < TARGETS; i++) {
        const volatile uint32_t *w = (const volatile uint32_t *)target(i);
        intact += w[0] == (MARK ^ target(i)) && w[PAGE / 4 - 1] == ~target(i);
    }
    printf("hostile: %u pseudo page faults (%u on the pages touched), %u ready\n", told_count, on_targets,
           ready_count);
    result("%u of %u pages told not present (%u before the first ready), %u answered by a ready with their "
           "token, %u ready unmatched, data %s", on_targets, TARGETS, told_before_ready, matched(true),
           ready_count - matched(false), intact == TARGETS ? "intact" : "changed");
}
