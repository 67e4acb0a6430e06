/*
 * attacks_bt_gate.c: INT n from ring 3 under bt=1 goes through the real
 * IDT into the trampoline (hv/bt/bt_gate.h, hv/depriv/depriv_bt_gate.c),
 * without a VM exit, once the hypervisor has checked the guest's gate and
 * TSS.SS0 at the vector's first INT (its #GP). Each attack here makes the
 * INT go through that path (three INTs first: the first opens the vector,
 * the others take the gate), then changes what the trampoline relies on
 * without telling the hypervisor (the IDT entry, TSS.ESP0, TSS.SS0 in
 * memory; no LIDT or LTR) or with a table load that must close every
 * vector (LIDT), and INTs again: the guest must see what the bare CPU
 * gives. Natively, and in the other modes, the same steps are plain IA-32
 * (SDM vol. 3, 6.12.1: the gate's checks and the stack switch at every
 * INT n, from the tables in memory then).
 * Vectors 0x82-0x86: 0x81 is run_user's way back (user.c), already
 * through the gate under bt.
 * An unpatched ring 1 (mode depriv) shows itself where a handler reads SS
 * or CS (RPL 1) or PUSHF (its real IF): ring compression's documented
 * limits (hv/depriv/depriv.h), which patch=1 and bt=1 hide. Those
 * attacks say what depriv gives, or leave depriv out (bt-gate-frame).
 */
#include "attack.h"
#include "fmt.h"
#include "string.h"

#define V_A    0x82              /* the counting handlers' vector */
#define V_TRAP 0x83              /* bt-gate-frame's trap gate */
#define V_INTR 0x84              /* and its interrupt gate */
#define V_IDT  0x86              /* the LIDT attacks' */
#define DPL3_INTR 0xEE           /* P, DPL 3, 32-bit interrupt gate */
#define DPL3_TRAP 0xEF
#define DPL0_INTR 0x8E
#define ABSENT_DPL3_INTR 0x6E

/* Two handlers that count (A also notes its ESP, SS, EFLAGS and the
 * frame's CS), and return; no register or flag changes the interrupted code sees (IRET
 * reloads the flags). Every access through SS: DS is the caller's. */
uint32_t btg_count_a, btg_count_b, btg_esp_a, btg_ss_a, btg_cs_a, btg_flags_a, btg_eflags_a;
void btg_handler_a(void);
void btg_handler_b(void);
__asm__(".globl btg_handler_a, btg_handler_b\n"
        "btg_handler_a:\n"
        "    incl %ss:btg_count_a\n"
        "    movl %esp, %ss:btg_esp_a\n"
        "    movw %ss, %ss:btg_ss_a\n"
        "    pushfl\n"
        "    popl %ss:btg_flags_a\n"
        "    pushl %eax\n"
        "    movl 8(%esp), %eax\n"
        "    movl %eax, %ss:btg_cs_a\n"
        "    movl 12(%esp), %eax\n"
        "    movl %eax, %ss:btg_eflags_a\n"
        "    popl %eax\n"
        "    iret\n"
        "btg_handler_b:\n"
        "    incl %ss:btg_count_b\n"
        "    iret\n");

/* Ring 3: INT three times (the vector opened, then twice through the
 * gate), or once, expected to fault. */
static void int_a_thrice(void)
{
    __asm__ volatile("int $0x82\n\tint $0x82\n\tint $0x82" : : : "memory");
}
static void int_a_once(void)
{
    __asm__ volatile(EXPECT_AT("int $0x82") : : : "memory");
}

/* Handler A's gate at vector, and thrice (three INTs to it) at ring 3:
 * each must have reached it. */
static void open_vector(unsigned vector, uint8_t type_attr, void (*thrice)(void))
{
    set_gate(vector, (uint32_t)btg_handler_a, KCODE, type_attr);
    run_user(thrice);
    if (btg_count_a != 3)
        result("the first three INTs reached the handler %u times", btg_count_a);
}

static void open_a(uint8_t type_attr)
{
    open_vector(V_A, type_attr, int_a_thrice);
}

ATTACK(gate_dpl0, "bt-gate-rewritten-dpl0", "all gated", "native",
       "INT 0x82 from ring 3 through its gate, then the gate's DPL rewritten to 0 in memory (no LIDT): #GP(0x412)")
{
    open_a(DPL3_INTR);
    set_gate(V_A, (uint32_t)btg_handler_a, KCODE, DPL0_INTR);
    run_user(int_a_once);
}

ATTACK(gate_moved, "bt-gate-handler-moved", "all gated", "native",
       "INT 0x82 from ring 3 through its gate, then its offset rewritten to another handler (no LIDT)")
{
    open_a(DPL3_INTR);
    set_gate(V_A, (uint32_t)btg_handler_b, KCODE, DPL3_INTR);
    run_user(int_a_once);
    result("handler a ran %u times, b %u", btg_count_a, btg_count_b);
}

/* One vector's gate pointed in memory (no LIDT) at one handler after
 * another, three INTs each: the first finds the gate changed and goes to
 * the hypervisor, which opens the vector again; the second, through the
 * gate, finds a new handler's translation by a lookup that names it to
 * the trampoline (gate_direct_vector), for the third to jump to. Each
 * rewrite must end that: the bare CPU reads the gate at every INT.
 * Handlers C and D run nowhere else, so that each is new when its turn
 * comes; then C again, whose translation is known. */
#define V_MOVED 0x87
uint32_t btg_count_c, btg_count_d;
void btg_handler_c(void);
void btg_handler_d(void);
__asm__(".globl btg_handler_c, btg_handler_d\n"
        "btg_handler_c:\n"
        "    incl %ss:btg_count_c\n"
        "    iret\n"
        "btg_handler_d:\n"
        "    incl %ss:btg_count_d\n"
        "    iret\n");

static void int_moved_thrice(void)
{
    __asm__ volatile("int $0x87\n\tint $0x87\n\tint $0x87" : : : "memory");
}

ATTACK(gate_moved_again, "bt-gate-handler-moved-again", "all gated", "native",
       "INT 0x87 from ring 3 three times through its gate after each rewrite of its offset in memory (no LIDT): "
       "to C, D, C, B")
{
    void (*const handlers[])(void) = { btg_handler_c, btg_handler_d, btg_handler_c, btg_handler_b };
    char line[160];
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
        set_gate(V_MOVED, (uint32_t)handlers[i], KCODE, DPL3_INTR);
        btg_count_b = btg_count_c = btg_count_d = 0;
        run_user(int_moved_thrice);
        n += (unsigned)snprintf(line + n, sizeof(line) - n, " b %u c %u d %u;", btg_count_b, btg_count_c,
                                btg_count_d);
    }
    result("handlers ran:%s", line);
}

ATTACK(gate_absent, "bt-gate-absent", "all gated", "native",
       "INT 0x82 from ring 3 through its gate, then its P bit cleared in memory: #NP(0x412)")
{
    open_a(DPL3_INTR);
    set_gate(V_A, (uint32_t)btg_handler_a, KCODE, ABSENT_DPL3_INTR);
    run_user(int_a_once);
}

ATTACK(gate_trap_to_interrupt, "bt-gate-type-changed", "all gated",
       "native; depriv: result IF=1 in the handler through the trap gate (frame IF=1), then IF=1 (frame IF=1) (4 INTs)",
       "INT 0x82 from ring 3 (IF 1) through a trap gate, then the gate made an interrupt gate in memory: IF 0 in the handler")
{
    __asm__ volatile("sti");                    /* ring 3 with IF 1 (the PICs masked: user.c) */
    open_a(DPL3_TRAP);
    uint32_t first = btg_flags_a, first_frame = btg_eflags_a;
    set_gate(V_A, (uint32_t)btg_handler_a, KCODE, DPL3_INTR);
    __asm__ volatile("sti");                    /* again: run_user came back through an interrupt gate */
    run_user(int_a_once);
    result("IF=%u in the handler through the trap gate (frame IF=%u), then IF=%u (frame IF=%u) (%u INTs)",
           (first >> 9) & 1, (first_frame >> 9) & 1, (btg_flags_a >> 9) & 1, (btg_eflags_a >> 9) & 1, btg_count_a);
}

/* ---- The kernel stack: TSS.ESP0 and TSS.SS0 rewritten without LTR --------- */

static uint8_t other_stack[4096] __attribute__((aligned(4096)));   /* a page of its own (bt-gate-stack-fault) */
#define OTHER_TOP ((uint32_t)other_stack + sizeof(other_stack))

ATTACK(gate_esp0, "bt-gate-esp0-moved", "all gated", "native",
       "INT 0x82 from ring 3 through its gate, then TSS.ESP0 pointed at another stack (no LTR): the frame there")
{
    uint32_t first_top = tss[1];
    open_a(DPL3_INTR);
    uint32_t first = btg_esp_a;
    tss[1] = OTHER_TOP;
    run_user(int_a_once);
    result("frame at esp0-%u, then at the new esp0-%u (%u INTs)", first_top - first, OTHER_TOP - btg_esp_a,
           btg_count_a);
}

#define KDATA2 (GDT_FREE * 8)    /* another flat DPL-0 data segment */

ATTACK(gate_ss0, "bt-gate-ss0-moved", "all gated", "native; depriv: result ss=0x11, then ss=0x31 (4 INTs)",
       "INT 0x82 from ring 3 through its gate, then TSS.SS0 another flat ring-0 data segment (no LTR): SS that one")
{
    gdt_set(GDT_FREE, seg_desc(0, 0xFFFFF, 0x93, 0xC));
    gdt_reload();                               /* before the INTs: the hypervisor sees it at LGDT */
    open_a(DPL3_INTR);
    uint32_t first = btg_ss_a;
    tss[2] = KDATA2;
    run_user(int_a_once);
    result("ss=0x%x, then ss=0x%x (%u INTs)", first, btg_ss_a, btg_count_a);
}

/* ESP0 in a page not present: the frame's first push faults (#PF), the
 * #PF's delivery from ring 3 needs the same stack (#DF), and so does the
 * #DF's: the CPU shuts down (SDM 6.15, table 6-5). */
ATTACK(gate_stack_fault, "bt-gate-stack-fault", "all gated", "stop triple fault",
       "INT 0x82 from ring 3 through its gate, then TSS.ESP0 in a page not present: #PF, #DF, a triple fault")
{
    paging_on(1);
    open_a(DPL3_INTR);
    low_pt[(uint32_t)other_stack >> 12] &= ~PG_P;
    invlpg((uint32_t)other_stack);
    tss[1] = OTHER_TOP;
    run_user(int_a_once);
    result("the INT came back (%u INTs)", btg_count_a);
}

/* ---- The IDT moved or cut by LIDT ---------------------------------------
 * A table of this file's (SIDT at an unpatched ring 1 gives the
 * hypervisor's): the exceptions and run_user's way back as user.c has
 * them, and gate 0x86 the attack's. */
extern const uint32_t exception_stubs[32];   /* ../common/entry.S */
void back_from_user(void);                   /* user.c */
static uint64_t btg_idt[256] __attribute__((aligned(8)));

static uint64_t gate_desc(uint32_t handler, uint8_t type_attr)
{
    return (handler & 0xFFFF) | (uint64_t)KCODE << 16 | (uint64_t)type_attr << 40 | (uint64_t)(handler >> 16) << 48;
}

static void lidt_own(uint32_t handler_86, uint16_t limit)
{
    for (unsigned v = 0; v < 32; v++)
        btg_idt[v] = gate_desc(exception_stubs[v], DPL0_INTR);
    btg_idt[0x81] = gate_desc((uint32_t)back_from_user, DPL3_INTR);
    btg_idt[V_IDT] = gate_desc(handler_86, DPL3_INTR);
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) t = { limit, (uint32_t)btg_idt };
    __asm__ volatile("lidt %0" : : "m"(t) : "memory");
}

static void int_idt_thrice(void)
{
    __asm__ volatile("int $0x86\n\tint $0x86\n\tint $0x86" : : : "memory");
}
static void int_idt_once(void)
{
    __asm__ volatile(EXPECT_AT("int $0x86") : : : "memory");
}

ATTACK(gate_idt_limit, "bt-gate-idt-limit", "all gated", "native",
       "INT 0x86 from ring 3 through its gate, then LIDT of a table whose limit ends below its entry: #GP(0x432)")
{
    open_vector(V_IDT, DPL3_INTR, int_idt_thrice);
    lidt_own((uint32_t)btg_handler_a, V_IDT * 8 - 1);
    run_user(int_idt_once);
}

ATTACK(gate_idt_moved, "bt-gate-idt-moved", "all gated", "native",
       "INT 0x86 from ring 3 through its gate, then LIDT of another table whose gate 0x86 names another handler")
{
    open_vector(V_IDT, DPL3_INTR, int_idt_thrice);
    lidt_own((uint32_t)btg_handler_b, sizeof(btg_idt) - 1);
    run_user(int_idt_thrice);
    result("handler a ran %u times, b %u", btg_count_a, btg_count_b);
}

/* ---- The kernel's own INT n through an open vector ------------------------ */

ATTACK(gate_int_in_kernel, "bt-gate-int-in-kernel", "all gated",
       "native; depriv: result kernel INT: frame at esp-12, cs=0x8, ss=0x11 (4 INTs)",
       "INT 0x82 from ring 3 through its gate, then from the kernel: a frame of 3 words on its own stack")
{
    open_a(DPL3_INTR);
    uint32_t before;
    __asm__ volatile("movl %%esp, %0\n\tint $0x82" : "=&r"(before) : : "memory");
    result("kernel INT: frame at esp-%u, cs=0x%x, ss=0x%x (%u INTs)", before - btg_esp_a, btg_cs_a, btg_ss_a,
           btg_count_a);
}

/* ---- The frame and the state a handler starts with ------------------------
 * Ring 3 with chosen registers, arithmetic flags (and DF), DS 0x23, ES the
 * user's code segment (readable), FS 0x23, GS null, INTs through a trap
 * gate (0x83) and an interrupt gate (0x84), three times each. The handler,
 * as a kernel's entry, saves everything, then notes it (btg_frame_record):
 * the registers, its EFLAGS (IF the user's through the trap gate, 0
 * through the interrupt gate, SDM 6.12.1.3), its segment registers (DS to
 * GS unchanged, SS the TSS's SS0, CS the gate's), its ESP and the frame
 * (EIP after the INT, CS, EFLAGS with the user's IF, ESP, SS: 6.12.1,
 * figure 6-4); ring 3 notes what it has after the IRET. */
struct btg_state {               /* the handler's pushes, from its ESP up */
    uint32_t cs, ss, gs, fs, es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax, flags, vector;
    uint32_t eip, frame_cs, eflags, user_esp, user_ss;
};
struct btg_after {               /* ring 3 after the IRET (BTG_AFTER) */
    uint32_t flags, eax, ecx, edx, ebx, esi, edi, ebp, ds, es, fs, gs;
};
struct btg_state btg_state[2];
struct btg_after btg_after[2], btg_after_first[2];
uint32_t btg_states[2], btg_differs[2], btg_loops;
extern uint8_t user_stack[8192];             /* user.c: ring 3's stack */
void btg_frame_trap(void);
void btg_frame_interrupt(void);
void btg_frame_user(void);
void btg_after83(void);
void btg_after84(void);
void btg_frame_record(const struct btg_state *s);

void btg_frame_record(const struct btg_state *s)
{
    unsigned i = s->vector - V_TRAP;
    const uint32_t *a = (const uint32_t *)s, *b = (const uint32_t *)&btg_state[i];
    for (unsigned k = 0; btg_states[i] && k < sizeof(*s) / 4; k++)
        btg_differs[i] |= a[k] != b[k];
    btg_state[i] = *s;
    btg_states[i]++;
}

#define BTG_REGS(a, c, d, b, si, di, bp)                                        \
    "    movl $" #a ", %eax\n    movl $" #c ", %ecx\n    movl $" #d ", %edx\n"  \
    "    movl $" #b ", %ebx\n    movl $" #si ", %esi\n    movl $" #di ", %edi\n" \
    "    movl $" #bp ", %ebp\n"
#define BTG_AFTER(i)                                                            \
    "    pushfl\n    popl btg_after+48*" #i "\n"                                \
    "    movl %eax, btg_after+48*" #i "+4\n    movl %ecx, btg_after+48*" #i "+8\n" \
    "    movl %edx, btg_after+48*" #i "+12\n    movl %ebx, btg_after+48*" #i "+16\n" \
    "    movl %esi, btg_after+48*" #i "+20\n    movl %edi, btg_after+48*" #i "+24\n" \
    "    movl %ebp, btg_after+48*" #i "+28\n    movw %ds, btg_after+48*" #i "+32\n" \
    "    movw %es, btg_after+48*" #i "+36\n    movw %fs, btg_after+48*" #i "+40\n" \
    "    movw %gs, btg_after+48*" #i "+44\n"

__asm__(".globl btg_frame_trap, btg_frame_interrupt, btg_frame_user, btg_after83, btg_after84\n"
        "btg_frame_trap:\n"
        "    pushl $0x83\n"
        "    jmp 1f\n"
        "btg_frame_interrupt:\n"
        "    pushl $0x84\n"
        "1:  pushfl\n"
        "    cld\n"                             /* after the PUSHF: C wants DF 0 */
        "    pushal\n"
        "    pushl %ds\n    pushl %es\n    pushl %fs\n    pushl %gs\n"
        "    movl %ss, %eax\n    pushl %eax\n"
        "    movl %cs, %eax\n    pushl %eax\n"
        "    movl $0x10, %eax\n    movl %eax, %ds\n    movl %eax, %es\n"
        "    pushl %esp\n"
        "    call btg_frame_record\n"
        "    addl $12, %esp\n"                  /* the argument, CS and SS */
        "    popl %gs\n    popl %fs\n    popl %es\n    popl %ds\n"
        "    popal\n"
        "    popfl\n"
        "    addl $4, %esp\n"                   /* the vector */
        "    iret\n"
        /* Ring 3 (run_user: DS ES FS GS 0x23). */
        "btg_frame_user:\n"
        "    pushal\n    pushl %es\n    pushl %gs\n"
        "    movl $3, btg_loops\n"
        "    movl $0x1B, %eax\n    movl %eax, %es\n"
        "    xorl %eax, %eax\n    movl %eax, %gs\n"
        "2:  movl $0xFFFFFFFF, %eax\n    addl $1, %eax\n"   /* CF ZF AF PF */
        BTG_REGS(0xA0A0A0A0, 0xC1C1C1C1, 0xD2D2D2D2, 0xB3B3B3B3, 0x51515151, 0xD1D1D1D1, 0xB9B9B9B9)
        "    int $0x83\n"
        "btg_after83:\n"
        BTG_AFTER(0)
        "    movl $0x7FFFFFFF, %eax\n    addl $1, %eax\n    std\n"   /* OF SF AF PF, DF */
        BTG_REGS(0x0A0A0A0A, 0x1C1C1C1C, 0x2D2D2D2D, 0x3B3B3B3B, 0x15151515, 0x1D1D1D1D, 0x9B9B9B9B)
        "    int $0x84\n"
        "btg_after84:\n"
        BTG_AFTER(1)
        "    cld\n"
        "    decl btg_loops\n"
        "    jnz 2b\n"
        "    popl %gs\n    popl %es\n    popal\n"
        "    ret\n");

/* One line (the result), both gates in it. */
static char line[1024];

static void print_state(const char *gate, unsigned i, uint32_t after_int)
{
    size_t used = strlen(line);
    const struct btg_state *s = &btg_state[i];
    const struct btg_after *a = &btg_after[i];
    uint32_t user_top = (uint32_t)user_stack + sizeof(user_stack);
    snprintf(line + used, sizeof(line) - used, "%s x%u%s: eax=%x ecx=%x edx=%x ebx=%x esi=%x edi=%x ebp=%x esp=esp0-%u flags=%x"
           " ds=%x es=%x fs=%x gs=%x ss=%x cs=%x frame: eip=%s+%d cs=%x eflags=%x esp=top-%u ss=%x;"
           " after: flags=%x eax=%x ecx=%x edx=%x ebx=%x esi=%x edi=%x ebp=%x ds=%x es=%x fs=%x gs=%x; ",
           gate, btg_states[i], btg_differs[i] ? " (not all alike)" : "", s->eax, s->ecx, s->edx, s->ebx,
           s->esi, s->edi, s->ebp, tss[1] - (s->esp + 8), s->flags, s->ds & 0xFFFF, s->es & 0xFFFF,
           s->fs & 0xFFFF, s->gs & 0xFFFF, s->ss, s->cs, "after", (int)(s->eip - after_int), s->frame_cs,
           s->eflags, user_top - s->user_esp, s->user_ss, a->flags, a->eax, a->ecx, a->edx, a->ebx, a->esi,
           a->edi, a->ebp, a->ds & 0xFFFF, a->es & 0xFFFF, a->fs & 0xFFFF, a->gs & 0xFFFF);
}

static void frame_attack(void)
{
    set_gate(V_TRAP, (uint32_t)btg_frame_trap, KCODE, DPL3_TRAP);
    set_gate(V_INTR, (uint32_t)btg_frame_interrupt, KCODE, DPL3_INTR);
    run_user(btg_frame_user);
    print_state("trap", 0, (uint32_t)btg_after83);
    print_state("interrupt", 1, (uint32_t)btg_after84);
    line[strlen(line) - 2] = 0;                 /* the last "; " */
    result("%s", line);
}

ATTACK(gate_frame, "bt-gate-frame", "ept shadow patch gated", "native",
       "INT through a trap and an interrupt gate from ring 3 (IF 1), chosen registers, flags, DS to GS: the state and frame the handler gets")
{
    __asm__ volatile("sti");
    frame_attack();
}

ATTACK(gate_frame_if0, "bt-gate-frame-if0", "ept shadow patch gated", "native",
       "the same from a ring 3 whose IF is 0 (as the kernel's IRET left it)")
{
    __asm__ volatile("cli");
    frame_attack();
}

/* ---- TF over the gate ------------------------------------------------------ */

/* TF set by POPF just before an INT through the open gate: the INT clears
 * TF for the handler (SDM 6.12.1.3) and its frame keeps it; the IRET
 * brings it back, and single_step_stub (attacks_events.c) notes where
 * the #DB came and clears TF in its frame. */
void btg_tf_user(void);
void btg_tf_int(void);
void btg_tf_after(void);
void btg_tf_after_nop(void);
__asm__(".globl btg_tf_user, btg_tf_int, btg_tf_after, btg_tf_after_nop\n"
        "btg_tf_user:\n"
        "    pushfl\n    orl $0x100, (%esp)\n    popfl\n"
        "btg_tf_int:\n"
        "    int $0x82\n"
        "btg_tf_after:\n"
        "    nop\n"
        "btg_tf_after_nop:\n"
        "    nop\n"
        "    ret\n");

static const char *tf_where(uint32_t eip)
{
    static char other[16];
    if (eip == (uint32_t)btg_tf_int)
        return "the INT";
    if (eip == (uint32_t)btg_tf_after)
        return "after the INT";
    if (eip == (uint32_t)btg_tf_after_nop)
        return "after the NOP";
    if (eip == (uint32_t)btg_handler_a)
        return "the handler";
    snprintf(other, sizeof(other), "0x%08x", eip);
    return other;
}

ATTACK(gate_tf, "bt-gate-tf", "all gated", "native",
       "TF set at ring 3, then INT 0x82 through its open gate: TF 0 in the handler, 1 in its frame, one #DB after the IRET")
{
    set_gate(1, (uint32_t)single_step_stub, KCODE, DPL0_INTR);
    open_a(DPL3_INTR);
    run_user(btg_tf_user);
    result("%u #DB, at %s; the handler ran %u times, TF=%u in it, TF=%u in its frame", db_count, tf_where(db_eip),
           btg_count_a, (btg_flags_a >> 8) & 1, (btg_eflags_a >> 8) & 1);
}
