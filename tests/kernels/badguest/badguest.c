/*
 * badguest.c: a guest kernel that misbehaves on purpose, one way per run, so
 * that each of the hypervisor's exit handlers is seen at work by a real guest
 * (tests/integration/hv_cases.py). CPU mode: 32-bit protected mode, paging
 * off (so linear = physical), its own GDT (../common/entry.S) and IDT (here).
 *
 * The Multiboot command line says what to do: do=NAME, one of the actions
 * in the table at the end (cpuid, ioport, msr-allowed, ... poweroff=N). Lines:
 *   badguest: cmdline '<the whole command line>'
 *   badguest: do=NAME
 *   ... what the action saw ...
 *   badguest: done                  (then POWEROFF 0), or
 *   badguest: FAIL <why>            (then POWEROFF 1), or
 *   badguest: exception <vector> error=0x<code> eip=0x<eip> (<where>)   (then POWEROFF 0)
 * An exception, typically one the hypervisor injected, always ends the run
 * that way. <where> is "at the <instruction>" when EIP is the instruction
 * the action expected to fault: a fault leaves EIP on the faulting
 * instruction, so a hypervisor that skipped it before injecting shows here.
 */
#include <stdbool.h>
#include <stdint.h>
#include "multiboot.h"
#include "poweroff.h"
#include "printf.h"
#include "serial.h"
#include "string.h"
#include "x86io.h"
#include "challenge.h"
#include "recover.h"

void kernel_main(uint32_t magic, const struct multiboot_info *mbi);
#include "badguest.h"
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs);

/* ---- Interrupts: the IDT, and what an exception prints ---------------- */

extern const uint32_t exception_stubs[32];   /* entry.S */
extern char timer_stub[];
extern volatile uint32_t timer_ticks;        /* entry.S's timer_stub counts */

#define CODE_SEL    0x08
#define TIMER_VEC   0x20                     /* IRQ 0 after the PIC remap */
#define IDT_ENTRIES 48

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type;                      /* 0x8E: present, DPL 0, 32-bit interrupt gate */
    uint16_t offset_high;
} __attribute__((packed));

static struct idt_gate idt[IDT_ENTRIES];

static void set_gate(unsigned vector, uint32_t handler)
{
    idt[vector] = (struct idt_gate){ handler & 0xFFFF, CODE_SEL, 0, 0x8E, handler >> 16 };
}

/* A gate that ring 3 may use with INT n (DPL 3). */
void set_user_gate(unsigned vector, uint32_t handler)
{
    idt[vector] = (struct idt_gate){ handler & 0xFFFF, CODE_SEL, 0, 0xEE, handler >> 16 };
}

static void load_idt(const void *base, uint16_t limit)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) p = { limit, (uint32_t)base };
    __asm__ volatile("lidt %0" : : "m"(p));
}

/* The instruction expected to fault next. AT("insn") stores the address of
 * insn in expect_eip just before executing it. */
uint32_t expect_eip;
static const char *expect_what;
#define AT(insn) "movl $1f, expect_eip\n1: " insn "\n"


void exception_handler(uint32_t vector, uint32_t error, uint32_t eip, uint32_t cs)
{
    (void)cs;
    if (vector == 14)
        printf("badguest: page fault cr2=0x%08x\n", read_cr2());
    if (expect_what && eip == expect_eip) {
        printf("badguest: exception %u error=0x%x eip=0x%08x (at the %s)\n", vector, error, eip,
               expect_what);
        poweroff(POWEROFF_OK);
    }
    /* Anything else is a failure, whatever the test looks for: the run
     * must not end as a success (issue 14). */
    if (!expect_what)
        printf("badguest: exception %u error=0x%x eip=0x%08x (unexpected)\n", vector, error, eip);
    else
        printf("badguest: exception %u error=0x%x eip=0x%08x (not at the %s, which is at 0x%08x)\n",
               vector, error, eip, expect_what, expect_eip);
    poweroff(POWEROFF_FAIL);
}

static _Noreturn void fail(const char *why)
{
    printf("badguest: FAIL %s\n", why);
    poweroff(POWEROFF_FAIL);
}

/* ---- Instructions ------------------------------------------------------- */

struct cpuid_regs { uint32_t a, b, c, d; };

static struct cpuid_regs cpuid(uint32_t leaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
    return r;
}


static uint16_t smsw(void)
{
    uint16_t v;
    __asm__ volatile("smsw %0" : "=r"(v));
    return v;
}


/* ---- The actions -------------------------------------------------------- */

/* The hypervisor bit and leaf 0x40000000 (exit_cpuid.c). */
static void do_cpuid(const char *arg)
{
    (void)arg;
    struct cpuid_regs r = cpuid(1);
    printf("badguest: cpuid.1:ecx hypervisor=%u vmx=%u\n", r.c >> 31, (r.c >> 5) & 1);
    r = cpuid(0x40000000);
    char sig[13];
    memcpy(sig, &r.b, 4);
    memcpy(sig + 4, &r.c, 4);
    memcpy(sig + 8, &r.d, 4);
    for (int i = 0; i < 12; i++)
        if (sig[i] < 0x20 || sig[i] > 0x7E)
            sig[i] = '.';
    sig[12] = 0;
    printf("badguest: cpuid.0x40000000 eax=0x%08x signature '%s'\n", r.a, sig);
    r = cpuid(0x40000001);
    printf("badguest: cpuid.0x40000001 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
           r.a, r.b, r.c, r.d);
}

/* CPUID and IN polled at one RIP each, many more times in a row than the
 * hypervisor's stuck-guest watch (exit.c, STUCK_EXITS): each exit repeats
 * the one before exactly, and each handler advances RIP, so the guest is
 * never taken for stuck. */
static void do_poll(const char *arg)
{
    (void)arg;
    enum { POLLS = 25000 };
    uint32_t n = POLLS, in = 0;
    __asm__ volatile("1: xorl %%eax, %%eax\n\t"
                     "cpuid\n\t"
                     "decl %%esi\n\t"
                     "jnz 1b" : "+S"(n) : : "eax", "ebx", "ecx", "edx");
    for (n = POLLS; n; n--) {
        uint8_t v;
        __asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(0x1234));
        in += v == 0xFF;
    }
    printf("badguest: %u CPUID at one rip, %u IN from port 0x1234 read 0xff\n", POLLS, in);
}

/* A port with no device (exit_io.c): all ones, of the access's width only. */
static void do_ioport(const char *arg)
{
    (void)arg;
    uint32_t b = 0x12345600, w = 0x12340000, l = 0x12345678;
    __asm__ volatile("inb %%dx, %%al" : "+a"(b) : "d"(0x1234));
    __asm__ volatile("inw %%dx, %%ax" : "+a"(w) : "d"(0x1234));
    __asm__ volatile("inl %%dx, %%eax" : "+a"(l) : "d"(0x1234));
    printf("badguest: in from port 0x1234: inb eax=0x%08x inw eax=0x%08x inl eax=0x%08x\n", b, w, l);
    outb(0x1234, 0x55);
    outw(0x1234, 0x5555);
    outl(0x1234, 0x55555555);
    printf("badguest: out to port 0x1234 done\n");
    printf("badguest: inb from port 0x9abc: 0x%02x\n", inb(0x9ABC));   /* I/O bitmap B */
    outb(0x1236, 0xAA);
    printf("badguest: outb to port 0x1236 done\n");
}

/* The MSR allow-list's emulated MSRs (exit_msr.c). */
static void write_read(const char *name, uint32_t msr, uint64_t value)
{
    uint64_t before = rdmsr(msr);
    wrmsr(msr, value);
    printf("badguest: %s was 0x%llx, wrote 0x%llx, reads 0x%llx\n", name,
           (unsigned long long)before, (unsigned long long)value, (unsigned long long)rdmsr(msr));
}

static void do_msr_allowed(const char *arg)
{
    (void)arg;
    uint64_t t1 = rdmsr(0x10), t2 = rdmsr(0x10);
    printf("badguest: IA32_TSC advances: %s\n", t2 > t1 ? "yes" : "no");
    printf("badguest: IA32_APIC_BASE=0x%llx\n", (unsigned long long)rdmsr(0x1B));
    printf("badguest: IA32_MISC_ENABLE=0x%llx\n", (unsigned long long)rdmsr(0x1A0));
    write_read("IA32_SYSENTER_CS", 0x174, 0x0008);
    write_read("IA32_SYSENTER_ESP", 0x175, 0x00123450);
    write_read("IA32_SYSENTER_EIP", 0x176, 0x00106789);
    write_read("IA32_PAT", 0x277, 0x0007010600070106ull);
    write_read("IA32_EFER", 0xC0000080, 0x801);                      /* SCE, NXE */
}

/* IA32_TSC_AUX: CPUID hides RDTSCP (exit_cpuid.c), so the guest's CPU has
 * no such MSR. */
static void do_msr_refused(const char *arg)
{
    (void)arg;
    uint32_t lo, hi;
    expect_what = "rdmsr";
    __asm__ volatile(AT("rdmsr") : "=a"(lo), "=d"(hi) : "c"(0xC0000103) : "memory");
    fail("rdmsr 0xc0000103 raised no exception");
}

/* EFER bit 1: reserved (only SCE, LME, LMA and NXE exist). */
static void do_msr_refused_write(const char *arg)
{
    (void)arg;
    expect_what = "wrmsr";
    __asm__ volatile(AT("wrmsr") : : "c"(0xC0000080), "a"(0x2), "d"(0) : "memory");
    fail("wrmsr 0xc0000080 (EFER bit 1) raised no exception");
}

/* CR4: VMXE hidden from the guest, and setting it faults (exit_cr.c). */
static void do_cr4_vmxe(const char *arg)
{
    (void)arg;
    uint32_t cr4 = read_cr4();
    printf("badguest: cr4=0x%08x vmxe=%u\n", cr4, (cr4 & CR4_VMXE) ? 1 : 0);
    write_cr4(cr4 | CR4_PSE);
    printf("badguest: cr4=0x%08x after setting PSE\n", read_cr4());
    expect_what = "mov to cr4";
    __asm__ volatile(AT("mov %0, %%cr4") : : "r"(read_cr4() | CR4_VMXE) : "memory");
    fail("setting CR4.VMXE raised no exception");
}

/* CR0: NE hidden from the guest, which may set and clear it in its view. */
static void print_cr0(const char *when)
{
    uint32_t cr0 = read_cr0();
    printf("badguest: cr0=0x%08x smsw=0x%04x ne=%u%s\n", cr0, smsw(), (cr0 & CR0_NE) ? 1 : 0, when);
}

static void do_cr0_shadow(const char *arg)
{
    (void)arg;
    uint32_t cr0 = read_cr0();
    print_cr0("");
    write_cr0(cr0 | CR0_NE);
    print_cr0(" after setting NE");
    write_cr0(cr0 & ~CR0_NE);
    print_cr0(" after clearing NE");
}

/* VMX instructions are undefined to a guest told it has no VMX (exit_exception.c). */
static void do_vmcall(const char *arg)
{
    (void)arg;
    expect_what = "vmcall";
    __asm__ volatile(AT("vmcall") : : : "memory");
    fail("vmcall raised no exception");
}

static void do_vmxon(const char *arg)
{
    (void)arg;
    static uint64_t region;
    expect_what = "vmxon";
    __asm__ volatile(AT("vmxon %0") : : "m"(region) : "memory");
    fail("vmxon raised no exception");
}

/* INVD exits unconditionally (SDM vol. 3, 26.1.2) and lab 1 gives it no
 * handler: the hypervisor must say so, with the guest's state (exit.c). */
/* INVD exits unconditionally; the hypervisor must complete it (as WBINVD:
 * exit_unconditional.c), never let the guest discard its cache lines. */
static void do_invd(const char *arg)
{
    (void)arg;
    __asm__ volatile("invd" : : : "memory");
    printf("badguest: invd completed\n");
}

/* A hardware task switch (a JMP to a TSS) exits unconditionally; hvlab does
 * not emulate one and stops the guest (exit_unconditional.c). The CPU checks
 * the TSS descriptor before the exit (SDM 26.4.2), so it is a valid one: a
 * copy of the GDT with an available 32-bit TSS at selector 0x18. */
static uint8_t tss[104];
static uint64_t task_gdt[4];

static void do_task_switch(const char *arg)
{
    (void)arg;
    uint64_t tss_desc = tss_descriptor(tss, sizeof(tss));
    load_gdt_with(task_gdt, &tss_desc, 1);
    printf("badguest: jumping to the TSS at selector 0x18\n");
    __asm__ volatile("ljmp $0x18, $0" : : : "memory");
    fail("the task switch came back");
}

/* HLT with interrupts off: nothing can wake it; the hypervisor stops it (exit_hlt.c).
 * do=hlt-cli=timer takes a timer interrupt first, and masks none: under
 * cpu=deprivileged the real IF is then 1 for good and only the guest's own,
 * virtual, IF is clear (lab 3). */
extern char hlt_cli_insn[];
static void start_timer(uint32_t handler);

static void do_hlt_cli(const char *arg)
{
    if (strcmp(arg, "timer") == 0) {
        start_timer((uint32_t)timer_stub);
        __asm__ volatile("sti" : : : "memory");
        while (timer_ticks < 1)
            ;
        printf("badguest: a timer interrupt taken, the timer left on\n");
    }
    printf("badguest: hlt with interrupts off at 0x%08x\n", (uint32_t)hlt_cli_insn);
    __asm__ volatile("cli\n.globl hlt_cli_insn\nhlt_cli_insn: hlt" : : : "memory");
    fail("hlt with interrupts off returned");
}

/* do=spin=N: N million turns of a loop with interrupts off: a CPU-bound guest that never exits and never lets an interrupt
 * in (lab 4: two of them share one CPU, and neither starves the other). */
static void do_spin(const char *arg)
{
    uint32_t millions = 0;
    for (const char *p = arg; *p >= '0' && *p <= '9'; p++)
        if ((millions = millions * 10 + (uint32_t)(*p - '0')) > 4000)
            break;
    if (!millions || millions > 4000)
        fail("do=spin=N wants N from 1 to 4000 (millions of turns)");
    uint32_t turns = millions * 1000000u;
    __asm__ volatile("cli\n"
                     "1: dec %0\n\t"
                     "jnz 1b"
                     : "+r"(turns) : : "cc", "memory");
    printf("badguest: spun %u million turns with interrupts off\n", (unsigned)millions);
}

/* do=zeroed-ram: a guest's RAM starts zeroed, whatever the machine's held
 * (the hypervisor scrubs it: hv/mem/scrub.c; fill_free= fills the
 * machine's free RAM with a byte first). Its RAM from 2 MiB up, above its
 * image and what the loader put there, up to mem_upper's end, read. */
static const struct multiboot_info *boot_mbi;

static void do_zeroed_ram(const char *arg)
{
    (void)arg;
    if (!(boot_mbi->flags & MULTIBOOT_INFO_MEMORY))
        fail("do=zeroed-ram: the loader gave no mem_upper");
    uint32_t end = 0x100000u + boot_mbi->mem_upper * 1024u, nonzero = 0;
    for (const volatile uint32_t *p = (const uint32_t *)0x200000u; (uint32_t)p < end; p++)
        nonzero += *p != 0;
    printf("badguest: %u nonzero words in its RAM from 2 MiB to %u MiB\n", (unsigned)nonzero,
           (unsigned)(end >> 20));
}

#define PIT_HZ 1193182
#define TICKS  5

/* The PIC and the PIT for do=hlt-sti and do=irq-masking: IRQ 0 only, at
 * vector TIMER_VEC, 100 Hz. */
static void start_timer(uint32_t handler)
{
    set_gate(TIMER_VEC, handler);
    /* 8259A: ICW1 (edge, cascade, ICW4), ICW2 (vector bases 0x20, 0x28),
     * ICW3 (slave on IRQ 2), ICW4 (8086 mode); then unmask IRQ 0 only. */
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFE); outb(0xA1, 0xFF);
    /* 8254 channel 0, lobyte/hibyte, mode 2 (rate generator): 100 Hz. */
    uint16_t divisor = PIT_HZ / 100;
    outb(0x43, 0x34);
    outb(0x40, divisor & 0xFF);
    outb(0x40, divisor >> 8);
}

/* Wait for `periods` of the PIT's channel 0 to pass, by its count (latched
 * and read: it counts down and reloads), never by its interrupts: the
 * clock this measures runs whether interrupts come or not. With a counter,
 * stop early once it reaches `target`, and say whether it did: a wait for
 * interrupts that may never come (a hypervisor that lost the guest's IF)
 * ends all the same. */
static bool wait_pit_periods_for(unsigned periods, volatile uint32_t *counter, uint32_t target)
{
    uint16_t last = 0xFFFF;
    while (periods && !(counter && *counter >= target)) {
        outb(0x43, 0x00);                   /* latch channel 0 */
        uint16_t now = inb(0x40);
        now |= (uint16_t)(inb(0x40) << 8);
        if (now > last)                     /* reloaded: a period ended */
            periods--;
        last = now;
    }
    return counter && *counter >= target;
}

static void wait_pit_periods(unsigned periods)
{
    wait_pit_periods_for(periods, 0, 0);
}

/* The timer's handler for do=irq-masking (irq_masking_stub below): it
 * acknowledges the PIC at once, so that only the IF flag (which an
 * interrupt gate clears, SDM 6.12.1.3) keeps the next tick out while its
 * first run waits two periods (only the first: a handler that always
 * outlasted the period would leave no time between ticks); it counts a
 * tick that comes in anyway (nested) and keeps the CS its frame holds
 * (the interrupted code's: ring 0's). */
volatile uint32_t masking_ticks, masking_depth, masking_nested, masking_frame_cs, masking_waited;

void irq_masking_tick(uint32_t frame_cs)
{
    masking_frame_cs = frame_cs;
    masking_ticks++;
    outb(0x20, 0x20);                       /* non-specific EOI to the master PIC */
    if (++masking_depth > 1) {
        masking_nested++;
    } else if (!masking_waited) {
        masking_waited = 1;
        wait_pit_periods(2);
    }
    masking_depth--;
}

extern char irq_masking_stub[];
__asm__(".globl irq_masking_stub\n"
        "irq_masking_stub:\n"
        "    pushal\n"
        "    pushl 36(%esp)\n"                /* the frame's CS, above EIP and the 8 registers */
        "    call irq_masking_tick\n"
        "    addl $4, %esp\n"
        "    popal\n"
        "    iret\n");

/* What the guest's IF means: while it is clear (CLI) no interrupt comes,
 * in a handler entered through an interrupt gate none comes either, the
 * IRET that ends the handler sets it again from its frame (SDM vol. 2A,
 * IRET), so that the next tick comes, and the frame of an interrupt at
 * ring 0 holds ring 0's CS. Under cpu=deprivileged the hypervisor keeps IF
 * in software and builds the frame (lab 3): each count must read as on the
 * bare CPU. The waits for ticks with IF=1 are bounded (8 periods, where the
 * CPU needs at most 4): one whose ticks never come is counted, not waited
 * out. (Not the ticks themselves: a hypervisor acknowledges an interrupt
 * at its exit, so the PIC may latch one more than on the bare CPU.) */
static void do_irq_masking(const char *arg)
{
    (void)arg;
    start_timer((uint32_t)irq_masking_stub);
    __asm__ volatile("sti" : : : "memory");
    unsigned short_waits = !wait_pit_periods_for(8, &masking_ticks, 2);
    __asm__ volatile("cli" : : : "memory");
    uint32_t before = masking_ticks;
    wait_pit_periods(3);                    /* IRQ 0 is raised three times */
    uint32_t during = masking_ticks - before;
    __asm__ volatile("sti" : : : "memory");
    short_waits += !wait_pit_periods_for(8, &masking_ticks, before + 3);
    __asm__ volatile("cli" : : : "memory");
    outb(0x21, 0xFF);
    printf("badguest: irq-masking: %u of 2 waits with IF=1 timed out, %u delivered while IF=0, %u nested in "
           "an interrupt gate's handler, frame CS 0x%04x\n", short_waits, (unsigned)during,
           (unsigned)masking_nested, (unsigned)(masking_frame_cs & 0xFFFF));
}

/* HLT with interrupts on: the guest waits in the HLT activity state, and the
 * PIT's interrupts, through the passed-through PIC, wake it. do=hlt-sti=N
 * waits for N ticks (1 to 10000) rather than TICKS: a VM that mostly
 * waits, beside others (lab 4). */
static void do_hlt_sti(const char *arg)
{
    unsigned ticks = *arg ? parse_uint(arg) : TICKS;
    if (ticks < 1 || ticks > 10000)
        fail("do=hlt-sti=N wants N from 1 to 10000 (ticks)");
    start_timer((uint32_t)timer_stub);
    unsigned wakes = 0;
    for (;;) {
        __asm__ volatile("cli" : : : "memory");
        if (timer_ticks >= ticks)
            break;
        /* STI's one-instruction delay: no interrupt slips in before the HLT. */
        __asm__ volatile("sti; hlt" : : : "memory");
        wakes++;
    }
    outb(0x21, 0xFF);
    printf("badguest: woke from hlt %u times, %u timer interrupts\n", wakes, (unsigned)timer_ticks);
}

/* do=spin-ticks: the timer at 100 Hz, then 2 million turns of a loop with
 * interrupts on that never exits: under a hypervisor that gives the PIT's
 * ticks at VM entry, only the VMX-preemption timer brings them (lab 4). */
static void do_spin_ticks(const char *arg)
{
    (void)arg;
    start_timer((uint32_t)timer_stub);
    uint32_t turns = 2000000;
    __asm__ volatile("sti\n"
                     "1: dec %0\n\t"
                     "jnz 1b\n\t"
                     "cli"
                     : "+r"(turns) : : "cc", "memory");
    outb(0x21, 0xFF);
    printf("badguest: spin-ticks: %s timer interrupts during 2 million turns with interrupts on\n",
           timer_ticks ? "some" : "no");
}

/* do=missed-ticks: what becomes of the timer's ticks while the guest keeps
 * interrupts off (lab 4, timer_mode=). With IF = 0 for 10 of the PIT's
 * periods (by its count, wait_pit_periods: 10 rising edges of OUT0), then
 * IF = 1 for 3 more, a bare PC delivers 4 ticks: its 8259A holds one
 * request of IRQ 0, whatever the edges behind it (the 10 merge into one),
 * then one per period. A hypervisor that owes the guest every edge
 * (timer_mode=catchup) delivers all 13; one that merges what a look found
 * (merge, discard) 4, as the hardware. The 100 Hz timer leaves time for 10
 * injections, each with its exits, in the first of the 3 periods. The
 * periods with IF = 1 are counted by the TSC, in a loop that never exits. */
static void do_missed_ticks(const char *arg)
{
    (void)arg;
    start_timer((uint32_t)timer_stub);
    __asm__ volatile("sti" : : : "memory");
    while (timer_ticks < 2)                 /* the timer running, its interrupts coming */
        ;
    __asm__ volatile("cli" : : : "memory");
    uint32_t before = timer_ticks;
    uint64_t start = read_tsc();
    wait_pit_periods(10);
    uint64_t end = read_tsc(), period = (end - start) / 10;
    /* 3.5 periods more by the TSC, which never exits: the owed ticks must
     * come in the interrupt window, not at the next exit that happens to
     * come (then one tick per period would come, and some 4 of 13). */
    __asm__ volatile("sti" : : : "memory");
    while (read_tsc() - end < 3 * period + period / 2)
        ;
    __asm__ volatile("cli" : : : "memory");
    outb(0x21, 0xFF);
    printf("badguest: missed-ticks: %u ticks in the 3 periods after 10 with interrupts off\n",
           (unsigned)(timer_ticks - before));
}

/* No IDT at all: int3 -> #GP -> #DF -> triple fault (exit_guest_fault.c). */
static void do_triplefault(const char *arg)
{
    (void)arg;
    printf("badguest: loading an empty IDT and executing int3\n");
    load_idt(0, 0);
    __asm__ volatile("int3" : : : "memory");
    fail("int3 with an empty IDT returned");
}

/* Beyond guest RAM: EPT maps nothing there (exit_guest_fault.c). */
#define FAR_AWAY 0xF0000000u

static void do_ept(const char *arg)
{
    (void)arg;
    printf("badguest: reading 0x%08x (paging off)\n", FAR_AWAY);
    uint32_t v = *(volatile uint32_t *)FAR_AWAY;
    printf("badguest: read 0x%08x\n", v);
    fail("a read beyond guest RAM went through");
}

static void do_ept_write(const char *arg)
{
    (void)arg;
    printf("badguest: writing 0x%08x (paging off)\n", FAR_AWAY);
    *(volatile uint32_t *)FAR_AWAY = 0x12345678;
    fail("a write beyond guest RAM went through");
}

static void do_ept_fetch(const char *arg)
{
    (void)arg;
    printf("badguest: jumping to 0x%08x (paging off)\n", FAR_AWAY);
    ((void (*)(void))FAR_AWAY)();
    fail("a jump beyond guest RAM came back");
}

/* The 16550's registers as a driver sees them (uart.c). */
#define COM1 0x3F8

static void do_uart(const char *arg)
{
    (void)arg;
    serial_drain();
    outb(COM1 + 3, 0x80);                   /* LCR: DLAB on */
    outb(COM1 + 0, 0x0C);                   /* divisor 12: 9600 baud */
    outb(COM1 + 1, 0x00);
    uint8_t dll = inb(COM1 + 0), dlm = inb(COM1 + 1);
    outb(COM1 + 3, 0x03);                   /* 8N1, DLAB off */
    outb(COM1 + 2, 0xC7);                   /* FCR: FIFOs on and cleared, trigger 14 */
    outb(COM1 + 1, 0x05);                   /* IER: receive data and line status */
    uint8_t lcr = inb(COM1 + 3), ier = inb(COM1 + 1), iir = inb(COM1 + 2);
    uint8_t mcr = inb(COM1 + 4), lsr = inb(COM1 + 5), msr = inb(COM1 + 6);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 2, 0x00);                   /* FIFOs off */
    uint8_t iir_nofifo = inb(COM1 + 2);
    outb(COM1 + 7, 0x5A);
    uint8_t scr1 = inb(COM1 + 7);
    outb(COM1 + 7, 0xA5);
    uint8_t scr2 = inb(COM1 + 7);
    serial_init();                          /* back to 115200 8N1, FIFOs on */
    printf("badguest: uart dll=0x%02x dlm=0x%02x lcr=0x%02x ier=0x%02x iir=0x%02x mcr=0x%02x "
           "lsr=0x%02x msr=0x%02x\n", dll, dlm, lcr, ier, iir, mcr, lsr, msr);
    printf("badguest: uart iir=0x%02x with the FIFOs off, scratch 0x%02x then 0x%02x\n",
           iir_nofifo, scr1, scr2);
}

unsigned parse_uint(const char *s)
{
    unsigned v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned)(*s++ - '0');
    return v;
}

/* ---- The CPU's protection checks (lab 3: the deprivileged guest) --------- */

/* How the last TRY ended (recover.h), after ", what: ". */
static void print_outcome(const char *what)
{
    if (recovered_vector == NO_FAULT)
        printf(", %s: no exception", what);
    else
        printf(", %s: #%u error 0x%x", what, (unsigned)recovered_vector, (unsigned)recovered_error);
}

/* INT n from ring 3 through a gate of DPL 0 (the exceptions' own): the CPU
 * refuses it with #GP(vector * 8 + 2) (SDM vol. 3, 6.12.1.1), so that a
 * user program cannot fake a page fault to its kernel; INT3 too (vol. 2A,
 * INT n/INTO/INT3/INT1). */
static void user_int14(void) { recovered_vector = NO_FAULT; TRY("int $14", : : : "memory"); }
static void user_int3(void) { recovered_vector = NO_FAULT; TRY("int3", : : : "memory"); }

/* IRET from ring 0 with a frame that names a segment the CPU refuses: a
 * #GP(selector) at the IRET, nothing changed (SDM vol. 2A, IRET: CS must be
 * a code segment whose DPL is its RPL; returning to an outer ring, SS's RPL
 * must be that ring). ss 0: a return to the same ring, EIP CS EFLAGS only. */
static void bad_iret(uint32_t cs, uint32_t ss)
{
    uint32_t esp = 0;
    recovered_vector = NO_FAULT;
    __asm__ volatile("movl %%esp, %%esi\n\t"
                     "testl %1, %1\n\t"
                     "jz 1f\n\t"
                     "pushl %1\n\t"              /* SS, ESP: an outer ring's */
                     "pushl %%esp\n"
                     "1:  pushfl\n\t"
                     "pushl %2\n\t"
                     "pushl $2f\n\t"
                     "movl $2f, recover_eip\n\t"
                     "iret\n"
                     "2:  movl $0, recover_eip\n\t"
                     "movl %%esi, %%esp"
                     : "+r"(esp) : "r"(ss), "r"(cs) : "esi", "cc", "memory");
}

/* What a user program may not do, and an IRET frame a kernel may not
 * return with, each checked as the CPU checks it. Under cpu=deprivileged the
 * hypervisor delivers INT n and emulates IRET in software (lab 3): the line
 * must read as on the bare CPU, every refusal the guest's own #GP. */
static void do_protection(const char *arg)
{
    (void)arg;
    /* Every interrupt line masked: unpatched, the hypervisor takes ring 3
     * to run with interrupts on, as every kernel's user mode does
     * (depriv_returned_to_user), and the timer's vector is still 8 here. */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    ring3_setup();
    printf("badguest: protection");
    run_at_ring3(user_int14);
    print_outcome("int 14 at ring 3");
    run_at_ring3(user_int3);
    print_outcome("int3 at ring 3");
    bad_iret(0x10, 0);
    print_outcome("iret to cs 0x10 (data)");
    bad_iret(0x0B, 0x23);
    print_outcome("iret to cs 0x0b (dpl 0)");
    bad_iret(0x80, 0);
    print_outcome("iret to cs 0x80 (past the gdt)");
    bad_iret(USER_CODE, 0x10);
    print_outcome("iret to ring 3 with ss 0x10");
    bad_iret(USER_CODE, 0x1B);
    print_outcome("iret to ring 3 with ss 0x1b (code)");
    printf("\n");
}

/* POPF of image, then PUSHF: the flags that stuck. The caller's own flags
 * are kept around it (DF and IF above all). */
static uint32_t popf_pushf(uint32_t image)
{
    uint32_t out;
    __asm__ volatile("pushfl\n\t"
                     "pushl %1\n\t"
                     "popfl\n\t"
                     "pushfl\n\t"
                     "popl %0\n\t"
                     "popfl" : "=r"(out) : "r"(image) : "cc", "memory");
    return out;
}

/* At ring 0 POPF changes every flag but VIP, VIF and VM, PUSHF reads them
 * all (SDM vol. 2B, POPF, PUSHF): CF PF AF ZF SF DF OF AC ID, and IF. Left
 * out: TF, which would single-step, NT, which would make the next IRET a
 * task return, and IOPL, which the hypervisor keeps 0. With patch=1 both
 * are INT3s the hypervisor emulates (lab 3): the flags must read as on the
 * bare CPU, not only IF. */
static void do_flags(const char *arg)
{
    (void)arg;
    static const uint32_t images[] = { 0x00240CD7, 0x00000002, 0x00240ED7, 0x00000202 };
    outb(0x21, 0xFF);                       /* no interrupt while IF is set */
    outb(0xA1, 0xFF);
    printf("badguest: flags");
    for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        printf(", popf 0x%08x pushf 0x%08x", images[i], popf_pushf(images[i]));
    printf("\n");
}

/* ---- Page tables of its own (lab 2: shadow paging) ---------------------- */

/* The first 4 MiB (this kernel, its stack, the boot information) identity-
 * mapped, and one probe page at PROBE_VA whose PDE each action chooses. */
#define PROBE_VA  0x00800000u

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));
static uint32_t probe_pt[1024] __attribute__((aligned(4096)));
static uint8_t probe_page[4096] __attribute__((aligned(4096)));

static void paging_on(uint32_t probe_pde)
{
    for (uint32_t i = 0; i < 1024; i++)
        low_pt[i] = i << 12 | PG_P | PG_W;
    page_dir[0] = (uint32_t)low_pt | PG_P | PG_W;
    page_dir[PROBE_VA >> 22] = probe_pde;
    __asm__ volatile("mov %0, %%cr3" : : "r"(page_dir) : "memory");
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}


/* A PTE that maps a page outside guest RAM (shadow.c never maps it). */
static void do_paging_outside(const char *arg)
{
    (void)arg;
    probe_pt[0] = FAR_AWAY | PG_P | PG_W;
    paging_on((uint32_t)probe_pt | PG_P | PG_W);
    printf("badguest: reading 0x%08x, which its PTE maps to 0x%08x\n", PROBE_VA, FAR_AWAY);
    uint32_t v = *(volatile uint32_t *)PROBE_VA;
    printf("badguest: read 0x%08x\n", v);
    fail("a read through a PTE beyond guest RAM went through");
}

/* A PDE whose page table is outside guest RAM. */
static void do_paging_outside_pt(const char *arg)
{
    (void)arg;
    paging_on(FAR_AWAY | PG_P | PG_W);
    printf("badguest: writing 0x%08x, whose page table is at 0x%08x\n", PROBE_VA, FAR_AWAY);
    *(volatile uint32_t *)PROBE_VA = 1;
    fail("a write through a page table beyond guest RAM went through");
}

/* A write to a read-only page: the guest's own #PF, error code P|W, CR2. */
static void do_paging_pf(const char *arg)
{
    (void)arg;
    probe_pt[0] = (uint32_t)probe_page | PG_P;
    paging_on((uint32_t)probe_pt | PG_P | PG_W);
    printf("badguest: writing 0x%08x (read-only, CR0.WP set)\n", PROBE_VA);
    expect_what = "write";
    __asm__ volatile(AT("movl $1, (%0)") : : "r"(PROBE_VA) : "memory");
    fail("a write to a read-only page raised no exception");
}

/* The accessed and dirty flags, as the CPU sets them (SDM 4.8), also after
 * the guest clears them and invalidates the page. */
static void do_paging_ad(const char *arg)
{
    (void)arg;
    probe_pt[0] = (uint32_t)probe_page | PG_P | PG_W;
    paging_on((uint32_t)probe_pt | PG_P | PG_W);
    volatile uint32_t *p = (volatile uint32_t *)PROBE_VA;
    uint32_t f[4];
    (void)*p;
    f[0] = probe_pt[0] & (PG_A | PG_D);
    *p = 1;
    f[1] = probe_pt[0] & (PG_A | PG_D);
    probe_pt[0] &= ~(PG_A | PG_D);
    invlpg(PROBE_VA);
    (void)*p;
    f[2] = probe_pt[0] & (PG_A | PG_D);
    *p = 2;
    f[3] = probe_pt[0] & (PG_A | PG_D);
    printf("badguest: pde A=%u; pte after a read 0x%02x, a write 0x%02x; cleared and "
           "invalidated: after a read 0x%02x, a write 0x%02x\n", !!(page_dir[PROBE_VA >> 22] & PG_A),
           f[0], f[1], f[2], f[3]);
}

/* What a fault leaves behind, one access at a time (TRY, recover.h): the
 * value read, or the exception's vector and error code. */
static void print_access(const char *what, uint32_t value)
{
    if (recovered_vector == NO_FAULT)
        printf("%s: read 0x%08x", what, value);
    else
        printf("%s: #%u error 0x%x", what, recovered_vector, recovered_error);
}

/* A page fault invalidates the TLB entries of its linear address (SDM vol.
 * 3, 4.10.4.1), whatever the guest left stale: the PTE is cleared without an
 * INVLPG, so the CPU may go on reading the page through the translation it
 * holds (4.10.4.2), but a write, which must set the D flag the entry lacks
 * (4.8), walks the tables, faults, and from then on the page is gone for
 * reads too. Under shadow paging (lab 2) the shadow entry is that
 * translation: the guest's fault must drop it. */
static void do_paging_stale(const char *arg)
{
    (void)arg;
    uint32_t v = 0;
    *(volatile uint32_t *)probe_page = 0x5EE0F00Du;
    probe_pt[0] = (uint32_t)probe_page | PG_P | PG_W;      /* D clear */
    paging_on((uint32_t)probe_pt | PG_P | PG_W);
    (void)*(volatile uint32_t *)PROBE_VA;                  /* the translation, read-only */
    probe_pt[0] = 0;                                       /* no INVLPG */
    recovered_vector = NO_FAULT;
    TRY("movl $1, (%0)", : : "r"(PROBE_VA) : "memory");
    printf("badguest: paging-stale: ");
    print_access("write to the cleared page", 0);
    recovered_vector = NO_FAULT;
    TRY("movl (%1), %0", : "=r"(v) : "r"(PROBE_VA) : "memory");
    print_access(", read after that fault", v);
    printf("\n");
}

/* do=paging-event's #DB handler: it counts the trap, keeps its EIP (the
 * instruction after the one stepped) and clears TF in the frame, so that
 * one trap is all. Frame: EIP, CS, EFLAGS (SDM 6.12.1). */
volatile uint32_t step_traps, step_eip;
extern char step_stub[], step_first[], step_second[];
__asm__(".globl step_stub\n"
        "step_stub:\n"
        "    incl step_traps\n"
        "    pushl %eax\n"
        "    movl 4(%esp), %eax\n"
        "    movl %eax, step_eip\n"
        "    andl $~0x100, 12(%esp)\n"         /* TF */
        "    popl %eax\n"
        "    iret\n");

/* An IDT alone on its page: nothing but an event's delivery reads it. */
static struct idt_gate event_idt[4096 / sizeof(struct idt_gate)] __attribute__((aligned(4096)));

/* An event whose delivery faults: the single-step #DB after an instruction,
 * delivered through an IDT whose page the shadow does not hold (a MOV to CR3
 * dropped it). The #PF exits before the guest sees it, and the IDT-vectoring
 * information holds the #DB (SDM vol. 3, 28.2.4): once the page is in the
 * shadow the hypervisor must inject it again (27.6), or it is lost, for
 * a trap is not raised again when the guest resumes: its instruction has
 * completed. On the bare CPU the trap comes after the first instruction
 * after the POPF that set TF (SDM vol. 3, 18.3.1.4; vol. 2B, POPF). */
static void do_paging_event(const char *arg)
{
    (void)arg;
    for (unsigned i = 0; i < IDT_ENTRIES; i++)
        event_idt[i] = idt[i];
    event_idt[1] = (struct idt_gate){ (uint32_t)step_stub & 0xFFFF, CODE_SEL, 0, 0x8E, (uint32_t)step_stub >> 16 };
    paging_on(0);
    load_idt(event_idt, sizeof(idt) - 1);
    __asm__ volatile("mov %%cr3, %%eax\n\t"
                     "mov %%eax, %%cr3\n\t"             /* the shadow drops the IDT's page */
                     "pushfl\n\t"
                     "orl $0x100, (%%esp)\n\t"
                     "popfl\n\t"                         /* TF: a trap after the next instruction */
                     "incl %%eax\n"
                     ".globl step_first\n"
                     "step_first:\n\t"
                     "incl %%eax\n"
                     ".globl step_second\n"
                     "step_second:\n\t"
                     "nop"
                     : : : "eax", "cc", "memory");
    load_idt(idt, sizeof(idt) - 1);
    const char *where = step_eip == (uint32_t)step_first ? "the first" : step_eip == (uint32_t)step_second
                        ? "the second" : "another";
    printf("badguest: paging-event: single-step through an IDT page out of the shadow: %u #DB, after %s "
           "instruction\n", (unsigned)step_traps, step_traps ? where : "no");
}

static void do_poweroff(const char *arg)
{
    unsigned status = parse_uint(arg);
    printf("badguest: powering off with status %u\n", status);
    poweroff((int)status);
}

static const struct action {
    const char *name;
    void (*run)(const char *arg);   /* arg: what follows "NAME=" in do=NAME=ARG */
} actions[] = {
    { "cpuid", do_cpuid },
    { "ioport", do_ioport },
    { "poll", do_poll },
    { "msr-allowed", do_msr_allowed },
    { "msr-refused", do_msr_refused },
    { "msr-refused-write", do_msr_refused_write },
    { "cr4-vmxe", do_cr4_vmxe },
    { "cr0-shadow", do_cr0_shadow },
    { "vmcall", do_vmcall },
    { "vmxon", do_vmxon },
    { "invd", do_invd },
    { "task-switch", do_task_switch },
    { "hlt-cli", do_hlt_cli },
    { "hlt-sti", do_hlt_sti },
    { "missed-ticks", do_missed_ticks },
    { "spin-ticks", do_spin_ticks },
    { "irq-masking", do_irq_masking },
    { "triplefault", do_triplefault },
    { "ept", do_ept },
    { "ept-write", do_ept_write },
    { "ept-fetch", do_ept_fetch },
    { "uart", do_uart },
    { "paging-outside", do_paging_outside },
    { "paging-outside-pt", do_paging_outside_pt },
    { "paging-pf", do_paging_pf },
    { "paging-ad", do_paging_ad },
    { "paging-stale", do_paging_stale },
    { "paging-event", do_paging_event },
    { "poweroff", do_poweroff },
    { "fuzz", do_fuzz },
    { "refused", do_refused },
    { "protection", do_protection },
    { "flags", do_flags },
    { "ptfuzz", do_ptfuzz },
    { "spin", do_spin },
    { "zeroed-ram", do_zeroed_ram },
    { "ticks", do_ticks },
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

/* ---- Descriptor tables of other shapes (task-switch here, ptfuzz.c) ------ */

struct table_pointer { uint16_t limit; uint32_t base; } __attribute__((packed));

void load_gdt_from(const uint64_t *from, uint64_t *gdt, const uint64_t *extra, unsigned n)
{
    struct table_pointer p = { (uint16_t)((3 + n) * sizeof(uint64_t) - 1), (uint32_t)gdt };
    memcpy(gdt, from, 3 * sizeof(uint64_t));
    memcpy(gdt + 3, extra, n * sizeof(uint64_t));
    __asm__ volatile("lgdt %0" : : "m"(p) : "memory");
}

void load_gdt_with(uint64_t *gdt, const uint64_t *extra, unsigned n)
{
    struct table_pointer p;
    __asm__ volatile("sgdt %0" : "=m"(p));
    load_gdt_from((const uint64_t *)p.base, gdt, extra, n);
}

uint64_t tss_descriptor(const void *tss, uint32_t size)
{
    uint64_t base = (uint32_t)tss, limit = size - 1;
    return (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 | (base >> 24) << 56;
}

/* ---- Entry -------------------------------------------------------------- */

/* The value of the first "do=" word of the command line, in out. */
static bool find_do(const char *cmdline, char *out, size_t size)
{
    for (const char *p = cmdline; *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && strncmp(p, "do=", 3) == 0) {
            size_t n = 0;
            for (p += 3; *p && *p != ' ' && n + 1 < size; p++)
                out[n++] = *p;
            out[n] = 0;
            return true;
        }
    }
    return false;
}

static void print_known(void)
{
    printf("badguest: known:");
    for (unsigned i = 0; i < NACTIONS; i++)
        printf(" %s", actions[i].name);
    printf(" (poweroff=N)\n");
}

void kernel_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, exception_stubs[v]);
    load_idt(idt, sizeof(idt) - 1);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("PANIC badguest: bad magic 0x%08x in EAX: not entered by a Multiboot v1 loader\n",
               magic);
        poweroff(POWEROFF_PANIC);
    }
    boot_mbi = mbi;
    const char *cmdline = (mbi->flags & MULTIBOOT_INFO_CMDLINE) ? (const char *)mbi->cmdline : "";
    char what[32];
    bool found = find_do(cmdline, what, sizeof(what));
    /* do=ticks: the BIOS's PIT (counter 0, mode 2 at 18.2 Hz) is held
     * first of all, before the boot's lines: a control word alone stops
     * the count, OUT0 staying high (8254 data sheet, mode 2: counting
     * starts once the count is written), so no edge of the BIOS's rate
     * comes before the probe's own count, however long the boot takes
     * (ticks.c; timer_cases.py counts the edges from the probe's load). */
    if (found && strncmp(what, "ticks", 5) == 0 && (what[5] == 0 || what[5] == '='))
        outb(0x43, 0x34);
    challenge_start(cmdline);   /* the grader's nonce: lib/challenge.h */
    printf("badguest: cmdline '%s'\n", cmdline);

    if (!found) {
        print_known();
        fail("no do=NAME on the command line");
    }
    char *arg = strchr(what, '=');
    if (arg)
        *arg++ = 0;
    for (unsigned i = 0; i < NACTIONS; i++) {
        if (strcmp(what, actions[i].name) == 0) {
            printf("badguest: do=%s%s%s\n", what, arg ? "=" : "", arg ? arg : "");
            actions[i].run(arg ? arg : "");
            printf("badguest: done\n");
            poweroff(POWEROFF_OK);
        }
    }
    print_known();
    fail("unknown do= action");
}
