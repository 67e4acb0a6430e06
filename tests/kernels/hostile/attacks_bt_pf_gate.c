/*
 * attacks_bt_pf_gate.c: page faults of ring 3 under bt=1, which the
 * hypervisor injects at VM entry for the CPU to deliver through the real
 * IDT's gate 14 into the trampoline (hv/bt/bt_gate.h, error stubs;
 * depriv_bt_gate_inject), once it has checked the guest's gate 14 and TSS.
 * The trampoline compares them with the guest's tables at every fault, and
 * pushes the CPU's error code below the frame. Each attack faults at ring 3
 * a few times through that path (the first fault opens the vector), then
 * changes what the trampoline relies on (the gate in memory, its P bit,
 * TSS.ESP0) or not, and faults again: the guest must see what the bare CPU
 * gives (SDM vol. 3, 6.12.1: the gate read at every delivery; 6.13: the
 * error code pushed last; 4.7: the error code's bits; CR2 the address).
 * Natively and in the other modes the same steps are plain IA-32. The
 * handler's reports come from its frame and CR2, but for its own IF
 * (PUSHF: an unpatched ring 1's documented limit, hv/depriv/depriv.h),
 * which only bt-pf-gate-type reports, without depriv; user mode runs with
 * IF 1 (run_user gives it the kernel's, STI'd: at an unpatched ring 1 the
 * kernel's PUSHF would show 1 anyway). `injected`: under bt the run must
 * show page faults injected.
 */
#include "attack.h"
#include "fmt.h"

#define HOLE 0x00800000u         /* past the 4 MiB paging_on maps: not present */
#define FAULTS 6
#define DPL0_INTR 0x8E
#define DPL0_TRAP 0x8F           /* the attacks' gate 14: an unpatched ring 1's IRET to ring 3 sets no
                                    virtual IF, which an interrupt gate would leave 0 (hv/depriv/depriv.h) */
#define DPL3_INTR 0xEE

/* What each fault's handler saw, and how many ran (handler A, B). */
struct pf_seen { uint32_t error, eip, cs, eflags, esp, ss, cr2; };
struct pf_seen pf_seen[16];
uint32_t pf_handler_flags[16];   /* the handler's own EFLAGS (PUSHF) */
uint32_t pf_count_a, pf_count_b;

/* Handlers A and B: the frame and CR2 into pf_seen[pf_count_a + pf_count_b],
 * the faulting instruction (2 bytes: 8B 08 or 89 08) skipped. Every access
 * through SS: DS is the user's. No register or flag the user sees changes
 * (IRET reloads the flags). */
void pf_handler_a(void);
void pf_handler_b(void);
__asm__(".globl pf_handler_a, pf_handler_b\n"
        "pf_handler_a:\n"
        "    incl %ss:pf_count_a\n"
        "    jmp pf_record\n"
        "pf_handler_b:\n"
        "    incl %ss:pf_count_b\n"
        "pf_record:\n"
        "    pushl %eax\n"
        "    pushl %ebx\n"
        "    movl %ss:pf_count_a, %ebx\n"
        "    addl %ss:pf_count_b, %ebx\n"
        "    decl %ebx\n"
        "    andl $15, %ebx\n"
        "    imull $28, %ebx, %ebx\n"
        "    addl $pf_seen, %ebx\n"
        "    movl 8(%esp), %eax\n    movl %eax, %ss:0(%ebx)\n"     /* error code */
        "    movl 12(%esp), %eax\n   movl %eax, %ss:4(%ebx)\n"     /* EIP */
        "    movl 16(%esp), %eax\n   movl %eax, %ss:8(%ebx)\n"     /* CS */
        "    movl 20(%esp), %eax\n   movl %eax, %ss:12(%ebx)\n"    /* EFLAGS */
        "    movl 24(%esp), %eax\n   movl %eax, %ss:16(%ebx)\n"    /* ESP */
        "    movl 28(%esp), %eax\n   movl %eax, %ss:20(%ebx)\n"    /* SS */
        "    movl %cr2, %eax\n       movl %eax, %ss:24(%ebx)\n"
        "    movl %ss:pf_count_a, %ebx\n"                         /* the record's index again */
        "    addl %ss:pf_count_b, %ebx\n"
        "    decl %ebx\n"
        "    andl $15, %ebx\n"
        "    pushfl\n"
        "    popl %ss:pf_handler_flags(,%ebx,4)\n"
        "    addl $2, 12(%esp)\n"
        "    popl %ebx\n"
        "    popl %eax\n"
        "    addl $4, %esp\n"                                      /* the error code */
        "    iret\n");

/* Ring 3: FAULTS accesses to the hole, reads and writes in turn, each with
 * chosen registers and flags, checked after it (a changed one counts). */
extern char pf_at_read[], pf_at_write[];
uint32_t pf_user_bad;

static void fault_once(unsigned i)
{
    uint32_t at = HOLE + i * 0x1234, c = 0xC0DE0000 + i, b = ~i, s = i * 3, d = i << 7, c2, b2, s2, d2, flags,
             want;
    if (i & 1)
        __asm__ volatile("stc\n\tpushfl\n\tpopl %[want]\n\t"
                         "pf_at_write: movl %%ecx, (%%eax)\n\t"
                         "pushfl\n\tpopl %[flags]"
                         : "=c"(c2), "=b"(b2), "=S"(s2), "=D"(d2), [flags] "=m"(flags), [want] "=m"(want)
                         : "a"(at), "c"(c), "b"(b), "S"(s), "D"(d) : "memory", "cc");
    else
        __asm__ volatile("clc\n\tpushfl\n\tpopl %[want]\n\t"
                         "pf_at_read: movl (%%eax), %%ecx\n\t"
                         "pushfl\n\tpopl %[flags]"
                         : "=c"(c2), "=b"(b2), "=S"(s2), "=D"(d2), [flags] "=m"(flags), [want] "=m"(want)
                         : "a"(at), "c"(c), "b"(b), "S"(s), "D"(d) : "memory", "cc");
    if (c2 != c || b2 != b || s2 != s || d2 != d || (flags & 0x8D5) != (want & 0x8D5))
        pf_user_bad++;
}

static unsigned user_faults;     /* how many fault_body makes */

static void fault_body(void)
{
    for (unsigned i = 0; i < user_faults; i++)
        fault_once(i);
}

static void faults(unsigned n)
{
    user_faults = n;
    __asm__ volatile("sti");                    /* the user's IF (run_user's INT 0x81 back clears it) */
    run_user(fault_body);
    __asm__ volatile("cli");
}

/* " e:EIP-label/cs/eflags/esp-top/ss/cr2-HOLE" for each of the handlers'
 * records from..to. */
static const char *reported(unsigned from, unsigned to)
{
    extern uint8_t user_stack[];
    static char line[900];
    unsigned n = 0;
    for (unsigned i = from; i < to && i < 16; i++) {
        const struct pf_seen *p = &pf_seen[i];
        uint32_t label = (uint32_t)((p->error & 2) ? pf_at_write : pf_at_read);
        n += (unsigned)snprintf(line + n, sizeof(line) - n, " %x:%s%x/%x/%x/%x/%x/%x", p->error,
                                p->eip == label ? "at+" : "?", p->eip - label, p->cs, p->eflags & ~0x10000u,
                                (uint32_t)user_stack + 8192 - p->esp, p->ss, p->cr2 - HOLE);
    }
    return line;
}

static void start(void)
{
    paging_on(1);
    set_gate(14, (uint32_t)pf_handler_a, KCODE, DPL0_TRAP);
}

ATTACK(bt_pf_gate_frame, "bt-pf-gate-frame", "all injected", "native",
       "page faults of ring 3 (reads and writes, not present): error code, EIP, CS, EFLAGS, ESP, SS, CR2, "
       "registers and flags kept")
{
    start();
    faults(FAULTS);
    result("%u faults, %u changed a register or flag:%s", pf_count_a, pf_user_bad, reported(0, FAULTS));
}

ATTACK(bt_pf_gate_moved, "bt-pf-gate-moved", "all injected", "native",
       "page faults of ring 3 through gate 14, then its offset rewritten to another handler in memory (no LIDT)")
{
    start();
    faults(3);
    set_gate(14, (uint32_t)pf_handler_b, KCODE, DPL0_TRAP);
    faults(3);
    result("handler a ran %u times, b %u; %u changed a register or flag", pf_count_a, pf_count_b, pf_user_bad);
}

ATTACK(bt_pf_gate_type, "bt-pf-gate-type", "ept shadow patch injected", "native",
       "page faults of ring 3 through an interrupt gate 14, then a trap gate in memory (no LIDT): IF 0, then 1, "
       "in the handler")
{
    start();
    set_gate(14, (uint32_t)pf_handler_a, KCODE, DPL0_INTR);
    faults(2);
    set_gate(14, (uint32_t)pf_handler_a, KCODE, DPL0_TRAP);
    faults(2);
    result("%u faults, handler IF %u %u %u %u:%s", pf_count_a, pf_handler_flags[0] >> 9 & 1,
           pf_handler_flags[1] >> 9 & 1, pf_handler_flags[2] >> 9 & 1, pf_handler_flags[3] >> 9 & 1,
           reported(0, 4));
}

ATTACK(bt_pf_gate_absent, "bt-pf-gate-absent", "all injected", "native",
       "page faults of ring 3 through gate 14, then its P bit cleared in memory: #NP(0x72)")
{
    start();
    faults(3);
    set_gate(14, (uint32_t)pf_handler_a, KCODE, DPL0_TRAP & 0x7F);
    faults(1);
    result("the fault came back (%u faults)", pf_count_a);
}

/* ESP0 in a page not present: the frame's first push faults (#PF), whose
 * delivery needs the same stack (#DF), and so does the #DF's: the CPU shuts
 * down (SDM 6.15, table 6-5). */
static uint8_t pf_other_stack[4096] __attribute__((aligned(4096)));

ATTACK(bt_pf_gate_stack_fault, "bt-pf-gate-stack-fault", "all injected", "stop triple fault",
       "page faults of ring 3 through gate 14, then TSS.ESP0 in a page not present: #PF, #DF, a triple fault")
{
    start();
    faults(3);
    low_pt[(uint32_t)pf_other_stack >> 12] &= ~PG_P;
    invlpg((uint32_t)pf_other_stack);
    tss[1] = (uint32_t)pf_other_stack + sizeof(pf_other_stack);
    faults(1);
    result("the fault came back (%u faults)", pf_count_a);
}

ATTACK(bt_pf_gate_esp0, "bt-pf-gate-esp0-moved", "all injected", "native",
       "page faults of ring 3 through gate 14, then TSS.ESP0 pointed at another stack (no LTR): the frame there")
{
    start();
    faults(2);
    tss[1] = (uint32_t)pf_other_stack + sizeof(pf_other_stack);
    faults(1);
    result("%u faults, then one on the other stack:%s", pf_count_a, reported(2, 3));
}

/* INT 14 of ring 3: the gate's DPL is checked and no error code pushed;
 * the hypervisor keeps it (an error stub could not tell it from a fault). */
uint32_t int14_eip;
void int14_handler(void);
__asm__(".globl int14_handler\n"
        "int14_handler:\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, %ss:int14_eip\n"
        "    popl %eax\n"
        "    iret\n");
extern char int14_after[];

static void int14_body(void)
{
    __asm__ volatile("int $14\nint14_after:\n" : : : "memory");
}

ATTACK(bt_pf_gate_int14, "bt-pf-gate-int14", "all injected", "native",
       "page faults of ring 3 through gate 14, then INT 14 at ring 3 through a DPL-3 gate (no error code), "
       "then a fault again")
{
    start();
    faults(2);
    set_gate(14, (uint32_t)int14_handler, KCODE, DPL3_INTR);
    run_user(int14_body);
    uint32_t int_eip = int14_eip;
    set_gate(14, (uint32_t)pf_handler_a, KCODE, DPL3_INTR);
    faults(1);
    result("INT 14 returned %s; then:%s (%u faults)", int_eip == (uint32_t)int14_after ? "after it" : "elsewhere",
           reported(2, 3), pf_count_a);
}

/* The timer at 200 Hz while ring 3 faults 3000 times: an interrupt that
 * exits inside the trampoline puts the user back at its faulting
 * instruction, which faults again after the interrupt's handler (as the
 * bare CPU may take the interrupt before the instruction). Each fault's
 * record is checked as it comes: its error code, EIP and CR2, and the
 * user's registers and flags (attacks_bt_gate_timer.c says why 200 Hz). */
extern volatile uint32_t timer_ticks;   /* ../common/entry.S's timer_stub */
#define TIMED_FAULTS 3000u

static void timed_body(void)
{
    for (unsigned i = 0; i < TIMED_FAULTS; i++) {
        unsigned k = i % 16;
        fault_once(k);
        const struct pf_seen *p = &pf_seen[(pf_count_a - 1) & 15];
        uint32_t label = (uint32_t)((k & 1) ? pf_at_write : pf_at_read);
        if (p->error != ((k & 1) ? 6u : 4u) || p->eip != label || p->cr2 != HOLE + k * 0x1234)
            pf_user_bad++;
    }
}

ATTACK(bt_pf_gate_timer, "bt-pf-gate-timer", "all timed injected", "native",
       "3000 page faults of ring 3 through gate 14, the timer at 200 Hz: every frame, CR2 and the user's "
       "registers and flags as the fault left them")
{
    start();
    timer_on(200);
    __asm__ volatile("sti");
    run_user(timed_body);
    __asm__ volatile("cli");
    timer_off();
    result("%u faults, %u wrong, ticks %s", pf_count_a, pf_user_bad, timer_ticks ? "came" : "none");
}
