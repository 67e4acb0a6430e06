/*
 * apf.c: pseudo page faults, the guest's side (issue 20; lecture slide 9;
 * the protocol is lib/apf_abi.h, KVM's asynchronous page faults at
 * hvlab's MSRs). With `apf=1` on its command line, and a hypervisor that
 * offers them (CPUID leaf 0x40000003), the kernel agrees: when the
 * hypervisor must bring in a page a user process touched, the process is
 * blocked on the token the hypervisor gave ("page not present", a #PF with
 * CR2 = the token) and another runs; "page ready" (an interrupt at
 * EVENT_UPCALL_VECTOR, the vector Linux uses for it too) wakes it, and it
 * touches the page again.
 *
 * Each token's record lives in a small table (Linux's
 * kvm_async_pf_sleep_node): a process waits on it, or a "page ready" that
 * came first leaves it marked so that the "page not present" finds it and
 * does not block (KVM's "dummy" entry; hvlab's hypervisor never sends them
 * in that order, a guest must not trust that). Everything the hypervisor
 * writes is read once, and a token it never gave wakes nobody.
 *
 * Two ways to misbehave, for the hypervisor's tests (apf_cases.py), with
 * apfbug= beside apf=1: `noack`, the kernel never acknowledges a "page
 * ready" and does not block on "page not present" (the process touches its
 * page again, and waits there): the hypervisor must keep its table bounded
 * and stall the rest; `move`, at every "page ready" the protocol is turned
 * off and on again with the area at the other of two places: the
 * hypervisor must drop what it held for the old area and pin the new.
 */
#include "defs.h"
#include "plat.h"
#include "syscall.h"
#include "../../lib/apf_abi.h"
#include "../../lib/printf.h"
#include "../../lib/string.h"

#ifndef GUESTOS_PV

#define WAITS 32

enum wait_state { WAIT_FREE, WAIT_BLOCKED, WAIT_READY_FIRST, WAIT_WOKEN };

static struct {
    uint32_t token;
    enum wait_state state;
} waits[WAITS];

static struct apf_area areas[2] __attribute__((aligned(64)));
static struct apf_area *area = &areas[0];
static struct apf_stat counts;
static enum { BUG_NONE, BUG_NOACK, BUG_MOVE } bug;
static int hv_pages;        /* the hypervisor pages this VM: the hint MSR is there */

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static uint32_t cpuid_eax(uint32_t leaf, uint32_t *ebx)
{
    uint32_t a = leaf, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if (ebx)
        *ebx = b;
    return a;
}

/* CPUID.1:ECX bit 31, "hvla" in leaf 0x40000000, and the leaf's bit. */
static int offered(void)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if (!(c & (1u << 31)))
        return 0;
    uint32_t sig, max = cpuid_eax(0x40000000u, &sig);
    return sig == 0x616c7668u && max >= APF_CPUID_LEAF &&
           (cpuid_eax(APF_CPUID_LEAF, 0) & APF_CPUID_EAX_OFFERED);
}

void apf_init(void)
{
    hv_pages = offered();
    const char *v = boot_option("apf");
    if (!v || v[0] != '1')
        return;
    if (!hv_pages) {
        printf("guestos: apf=1: the hypervisor offers no pseudo page faults\n");
        return;
    }
    const char *b = boot_option("apfbug");
    bug = !b ? BUG_NONE : !strncmp(b, "noack", 5) ? BUG_NOACK : !strncmp(b, "move", 4) ? BUG_MOVE : BUG_NONE;
    extern char vector243[];
    set_interrupt_gate(EVENT_UPCALL_VECTOR, (void (*)(void))vector243);
    wrmsr(MSR_HVL_APF_INT, EVENT_UPCALL_VECTOR);
    wrmsr(MSR_HVL_APF_EN, V2P(area) | APF_EN_DELIVERY_AS_INT | APF_EN_ENABLED);
    counts.on = 1;
    printf("guestos: pseudo page faults on (area 0x%x, vector 0x%x)%s\n", V2P(area), EVENT_UPCALL_VECTOR,
           bug == BUG_NOACK ? ", apfbug=noack" : bug == BUG_MOVE ? ", apfbug=move" : "");
}

/* The record of token, or a free one taken for it; -1 if the table is full. */
static int record_of(uint32_t token)
{
    int free = -1;
    for (int i = 0; i < WAITS; i++) {
        if (waits[i].state != WAIT_FREE && waits[i].token == token)
            return i;
        if (waits[i].state == WAIT_FREE && free < 0)
            free = i;
    }
    if (free >= 0)
        waits[free].token = token;
    return free;
}

int apf_pseudo_fault(void)
{
    if (!counts.on || area->flags != APF_FLAG_NOT_PRESENT)
        return 0;
    uint32_t token = read_cr2();
    area->flags = 0;                 /* taken: the hypervisor may send the next */
    counts.not_present++;
    if (bug == BUG_NOACK)
        return 1;
    int i = record_of(token);
    if (i < 0)
        return 1;                   /* no room to wait: touch the page again (it waits there) */
    if (waits[i].state == WAIT_READY_FIRST) {
        waits[i].state = WAIT_FREE;
        return 1;
    }
    waits[i].state = WAIT_BLOCKED;
    while (waits[i].state == WAIT_BLOCKED)
        sleep_on(&waits[i]);        /* interrupts are off: the gate cleared IF */
    waits[i].state = WAIT_FREE;
    return 1;
}

/* The protocol went off: no "page ready" will come for what waits, so
 * every blocked process wakes and touches its page again (Linux's
 * kvm_async_pf_task_wake(~0)). */
static void wake_all(void)
{
    for (int i = 0; i < WAITS; i++)
        if (waits[i].state == WAIT_BLOCKED) {
            waits[i].state = WAIT_WOKEN;
            wake_up(&waits[i]);
        } else if (waits[i].state == WAIT_READY_FIRST) {
            waits[i].state = WAIT_FREE;
        }
}

void apf_page_ready(void)
{
    if (!counts.on)
        return;
    uint32_t token = area->token;
    counts.ready++;
    int i = token ? record_of(token) : -1;
    if (i >= 0 && waits[i].state == WAIT_BLOCKED) {
        waits[i].state = WAIT_WOKEN;
        wake_up(&waits[i]);
        counts.woken++;
    } else if (i >= 0 && waits[i].state == WAIT_FREE) {
        waits[i].state = WAIT_READY_FIRST;
    }
    area->token = 0;
    if (bug == BUG_NOACK)
        return;
    if (bug == BUG_MOVE) {          /* off, and on again elsewhere: no ACK needed after */
        wrmsr(MSR_HVL_APF_EN, 0);
        wake_all();
        area = area == &areas[0] ? &areas[1] : &areas[0];
        area->flags = area->token = 0;
        wrmsr(MSR_HVL_APF_EN, V2P(area) | APF_EN_DELIVERY_AS_INT | APF_EN_ENABLED);
        return;
    }
    wrmsr(MSR_HVL_APF_ACK, APF_ACK_DONE);
}

/* swap.c is about to write frame pa to the kernel's swap: tell the
 * hypervisor, which counts the pages written twice (apf_abi.h). */
void apf_pageout_hint(uint32_t pa)
{
    if (hv_pages)
        wrmsr(MSR_HVL_PAGEOUT_HINT, pa);
}

#else   /* the PV kernel: no EPT under it, nothing to agree to */

void apf_pageout_hint(uint32_t pa) { (void)pa; }

void apf_init(void) {}
int apf_pseudo_fault(void) { return 0; }
void apf_page_ready(void) {}
static struct apf_stat counts;

#endif

void apf_stat(struct apf_stat *out)
{
    *out = counts;
    swap_stat(out);
}
