/*
 * sensitive.c: do=sensitive and do=interrupts: the instructions that do
 * not trap at ring 1 (lab 3's list, hv/x86/sensitive.h) must give a ring-0
 * kernel what the CPU gives it at ring 0: IF as it set it, CS and SS with
 * RPL 0, its own GDTR, IDTR, LDTR and TR, its own descriptors through LAR
 * and LSL; and interrupts must come where the CPU takes them: one
 * instruction after STI (SDM vol. 2B, STI), at once after a POPF that sets
 * IF, after the HLT of `sti; hlt`, never while IF is clear.
 */
#include "conform.h"
#include "x86io.h"

/* POPF of image, then PUSHF: the flags that stuck; the caller's own
 * around it (SDM vol. 2B, POPF: at CPL 0 every flag but VIP, VIF, VM and
 * RF changes; TF and NT left out, they would single-step or task-return). */
static uint32_t popf_pushf(uint32_t image)
{
    uint32_t out;
    __asm__ volatile("pushfl\n\tpushl %1\n\tpopfl\n\tpushfl\n\tpopl %0\n\tpopfl"
                     : "=r"(out) : "r"(image) : "cc", "memory");
    return out;
}

static uint32_t pushf(void)
{
    uint32_t f;
    __asm__ volatile("pushfl\n\tpopl %0" : "=r"(f) : : "memory");
    return f;
}

#define EFLAGS_IF 0x200u

/* CLI, STI and CLI again, PUSHF and POPF: they change no general register
 * but ESP, and CLI and STI no arithmetic flag (SDM vol. 2B): a translation
 * that borrows a register or changes the flags must put them back. */
static uint32_t kept_regs[6];
static uint8_t kept_carry;

static void registers_kept(void)
{
    static const uint32_t want[6] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666 };
    static const char *const names[6] = { "eax kept", "ebx kept", "ecx kept", "edx kept", "esi kept", "edi kept" };
    __asm__ volatile("movl $0x11111111, %%eax\n\tmovl $0x22222222, %%ebx\n\tmovl $0x33333333, %%ecx\n\t"
                     "movl $0x44444444, %%edx\n\tmovl $0x55555555, %%esi\n\tmovl $0x66666666, %%edi\n\t"
                     "stc\n\tcli\n\tsti\n\tcli\n\tpushfl\n\tpopfl\n\tsetc %6\n\t"
                     "movl %%eax, %0\n\tmovl %%ebx, %1\n\tmovl %%ecx, %2\n\t"
                     "movl %%edx, %3\n\tmovl %%esi, %4\n\tmovl %%edi, %5"
                     : "=m"(kept_regs[0]), "=m"(kept_regs[1]), "=m"(kept_regs[2]), "=m"(kept_regs[3]),
                       "=m"(kept_regs[4]), "=m"(kept_regs[5]), "=m"(kept_carry)
                     : : "eax", "ebx", "ecx", "edx", "esi", "edi", "cc", "memory");
    for (unsigned i = 0; i < 6; i++)
        check(names[i], kept_regs[i], want[i]);
    check("carry kept", kept_carry, 1);
}

static void flags(void)
{
    begin_test("flags-cli-sti");
    __asm__ volatile("cli" : : : "memory");
    check("if after cli", pushf() & EFLAGS_IF, 0);
    __asm__ volatile("sti" : : : "memory");      /* every PIC line masked: nothing comes */
    check("if after sti", pushf() & EFLAGS_IF, EFLAGS_IF);
    __asm__ volatile("cli" : : : "memory");
    check("if after cli again", pushf() & EFLAGS_IF, 0);
    registers_kept();
    end_test();

    begin_test("flags-popf-pushf");
    /* IOPL 3 and 1 too: at ring 0 POPF changes IOPL, and PUSHF shows it. */
    static const uint32_t images[] = { 0x00240CD7, 0x00000002, 0x00240ED7, 0x00000202, 0x000008D7,
                                       0x00003246, 0x000012D7 };
    for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        check("pushf after popf", popf_pushf(images[i]), images[i]);
    end_test();
}

static uint32_t lar(uint32_t sel)
{
    uint32_t v = 0;
    __asm__ volatile("larl %1, %0" : "+r"(v) : "r"(sel) : "cc");
    return v;
}

static uint32_t lsl(uint32_t sel)
{
    uint32_t v = 0;
    __asm__ volatile("lsll %1, %0" : "+r"(v) : "r"(sel) : "cc");
    return v;
}

/* ZF of VERR or VERW: 1 if the segment is readable (writable). */
static uint32_t verr(uint16_t sel)
{
    uint8_t z;
    __asm__ volatile("verr %1\n\tsetz %0" : "=r"(z) : "r"(sel) : "cc");
    return z;
}

static uint32_t verw(uint16_t sel)
{
    uint8_t z;
    __asm__ volatile("verw %1\n\tsetz %0" : "=r"(z) : "r"(sel) : "cc");
    return z;
}

static void segments(void)
{
    uint32_t cs, ss, ds, es, fs, gs, pushed_cs, pushed_ss;
    begin_test("segment-reads");
    /* MOV r32, Sreg: the selector, zero-extended (SDM vol. 2B, MOV). */
    __asm__ volatile("movl $0xFFFFFFFF, %0\n\tmovl %%cs, %0" : "=r"(cs));
    __asm__ volatile("movl $0xFFFFFFFF, %0\n\tmovl %%ss, %0" : "=r"(ss));
    __asm__ volatile("movl %%ds, %0\n\tmovl %%es, %1\n\tmovl %%fs, %2\n\tmovl %%gs, %3"
                     : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    __asm__ volatile("pushl %%cs\n\tpopl %0\n\tpushl %%ss\n\tpopl %1" : "=r"(pushed_cs), "=r"(pushed_ss) : : "memory");
    check("cs", cs, KCODE);
    check("ss", ss, KDATA);
    check("ds", ds, KDATA);
    check("es", es, KDATA);
    check("fs", fs, KDATA);
    check("gs", gs, KDATA);
    check("pushed cs", pushed_cs & 0xFFFF, KCODE);
    check("pushed ss", pushed_ss & 0xFFFF, KDATA);
    end_test();

    begin_test("descriptor-tables");
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g, i;
    uint32_t ldtr = 0xFFFFFFFF, tr = 0xFFFFFFFF;
    __asm__ volatile("sgdt %0\n\tsidt %1" : "=m"(g), "=m"(i));
    __asm__ volatile("sldt %0\n\tstr %1" : "+r"(ldtr), "+r"(tr));
    check("gdtr base", g.base, (uint32_t)gdt);
    check("gdtr limit", g.limit, sizeof(gdt) - 1);
    check("idtr base", i.base, (uint32_t)idt);
    check("idtr limit", i.limit, sizeof(idt) - 1);
    check("ldtr", ldtr, 0);                       /* SLDT, STR r32: zero-extended (P6 on, vol. 2B) */
    check("tr", tr, TSS_SEL);
    end_test();

    /* LAR: the descriptor's second dword masked with 0x00FxFF00, bits 19:16
     * (the limit's) undefined: QEMU clears them, Bochs keeps them; the TSS
     * busy since LTR (SDM vol. 2A, LAR; vol. 3, 8.2.2). */
    begin_test("segment-probes");
    check("lar cs", lar(KCODE) & ~0xF0000u, 0x00C09B00);
    check("lar ds", lar(KDATA) & ~0xF0000u, 0x00C09300);
    check("lar tss", lar(TSS_SEL) & ~0xF0000u, 0x00008B00);
    check("lsl ds", lsl(KDATA), 0xFFFFFFFF);
    check("verr cs", verr(KCODE), 1);
    check("verw cs", verw(KCODE), 0);
    check("verw ds", verw(KDATA), 1);
    end_test();
}

void do_sensitive(void)
{
    flags();
    segments();
}

/* ---- Interrupts ------------------------------------------------------------ */

/* IRQ 0's handler: counts, keeps the EIP the first one returns to, EOI.
 * Only the first interrupt after a test arms it says where the CPU took
 * it: a virtual PIT may then deliver ticks it held while IF was clear (a
 * missed-tick policy, lab 4), which a PC's PIT would have merged. */
volatile uint32_t irq_count, irq_eip;
extern char irq_stub[], sti_next[], popf_next[], hlt_next[], hlt_idle_next[];
__asm__(".globl irq_stub\n"
        "irq_stub:\n"
        "    pushl %eax\n"
        "    cmpl $0, irq_count\n"
        "    jne 1f\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, irq_eip\n"
        "1:  incl irq_count\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"
        "    popl %eax\n"
        "    iret\n");

/* The 8254's counter 0 at about 1 kHz, the 8259As at 0x20/0x28 with IRQ 0
 * alone open (as badguest's ticks.c). */
static void timer_on(void)
{
    set_gate(TIMER_VEC, (uint32_t)irq_stub);
    load_idt();
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xFF);
    outb(0x40, 1193 >> 8);
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFE); outb(0xA1, 0xFF);
}

/* With IF clear, until IRQ 0 waits in the IRR (OCW3: read the IRR);
 * the count of interrupts taken starts again from 0. */
static bool irq_pending(void)
{
    irq_count = 0;
    irq_eip = 0;
    for (unsigned i = 0; i < 50000000; i++) {
        outb(0x20, 0x0A);
        if (inb(0x20) & 1)
            return true;
    }
    return false;
}

void do_interrupts(void)
{
    __asm__ volatile("cli" : : : "memory");
    timer_on();

    /* IF clear: an interrupt waits, however long. */
    begin_test("cli-holds");
    check("pending", irq_pending(), 1);
    for (volatile unsigned i = 0; i < 20000; i++)
        ;
    check("taken with if clear", irq_count, 0);
    end_test();

    /* STI: the interrupt after the next instruction, not before (blocking
     * by STI, SDM vol. 2B, STI; vol. 3, 6.8.3). */
    begin_test("sti-shadow");
    check("pending", irq_pending(), 1);
    uint32_t n = 0;
    __asm__ volatile("sti\n\t"
                     "incl %0\n"
                     ".globl sti_next\n"
                     "sti_next:\n\t"
                     "incl %0\n\t"
                     "cli" : "+r"(n) : : "memory");
    check("taken", irq_count != 0, 1);
    check("eip", irq_eip, (uint32_t)sti_next);
    check("count", n, 2);
    end_test();

    /* POPF that sets IF has no such shadow: the interrupt right after it. */
    begin_test("popf-sets-if");
    check("pending", irq_pending(), 1);
    __asm__ volatile("pushl $0x202\n\t"
                     "popfl\n"
                     ".globl popf_next\n"
                     "popf_next:\n\t"
                     "nop\n\t"
                     "cli" : : : "memory");
    check("taken", irq_count != 0, 1);
    check("eip", irq_eip, (uint32_t)popf_next);
    end_test();

    /* sti; hlt with the interrupt pending: HLT runs (STI's shadow), the
     * interrupt wakes it at once, returning after it. */
    begin_test("sti-hlt-pending");
    check("pending", irq_pending(), 1);
    __asm__ volatile("sti\n\thlt\n.globl hlt_next\nhlt_next:\n\tcli" : : : "memory");
    check("taken", irq_count != 0, 1);
    check("eip", irq_eip, (uint32_t)hlt_next);
    end_test();

    /* sti; hlt with nothing pending yet: the next tick wakes it. */
    begin_test("sti-hlt-idle");
    irq_count = 0;
    irq_eip = 0;
    __asm__ volatile("sti\n\thlt\n.globl hlt_idle_next\nhlt_idle_next:\n\tcli" : : : "memory");
    check("taken", irq_count != 0, 1);
    check("eip", irq_eip, (uint32_t)hlt_idle_next);
    end_test();
    outb(0x21, 0xFF);
}
