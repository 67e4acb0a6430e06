/*
 * trap.c: the IDT, and what the kernel does with each interrupt and
 * exception. Every entry arrives through trapentry.S at trap(tf).
 *
 *   vectors 0-31    CPU exceptions: in a user process, a page fault may be
 *                   a page to fill in (vm.c); anything else kills the
 *                   process. In the kernel, any exception is a panic.
 *   vectors 32-47   the PIC's IRQs: the timer preempts user processes.
 *   vector 0x40     the local APIC's timer (timer=lapic): the same tick.
 *   vector 0x80     system calls (syscall.c).
 *   vector 0xF3     the PV kernel's event upcall (plat.h, pv/events.c);
 *                   natively, the hypervisor's "page ready" (apf=1, apf.c).
 *   vector 0xFF     the local APIC's spurious vector: nothing to do.
 */
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/printf.h"
#include "../../lib/poweroff.h"

#define T_PGFLT   14
#define IRQ_BASE  32
#define T_SYSCALL 0x80
#define IRQ_TIMER 0
#define IRQ_COM1  4

extern uint32_t trap_vectors[48];
extern char vector64[], vector128[], vector255[];
static uint64_t idt[256];

/* An IDT gate (SDM vol. 3, 6.11). Interrupt gates clear IF on entry; the
 * system-call gate is a trap gate (IF stays as the user had it, so the
 * kernel takes interrupts during system calls) that ring 3 may use. */
static uint64_t make_gate(uint32_t handler, uint8_t type_attr)
{
    return (uint64_t)(handler & 0xFFFF) | (uint64_t)SEG_KCODE << 16 |
           (uint64_t)type_attr << 40 | (uint64_t)(handler >> 16) << 48;
}

void init_traps(void)
{
    for (int v = 0; v < 48; v++)
        idt[v] = make_gate(trap_vectors[v], 0x8E);             /* present, DPL 0, 32-bit interrupt gate */
    idt[LAPIC_TIMER_VECTOR] = make_gate((uint32_t)vector64, 0x8E);
    idt[LAPIC_SPURIOUS_VECTOR] = make_gate((uint32_t)vector255, 0x8E);
    idt[T_SYSCALL] = make_gate((uint32_t)vector128, 0xEF);    /* present, DPL 3, 32-bit trap gate */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = {sizeof idt - 1, (uint32_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* An interrupt gate for one more vector (the PV kernel's upcall). */
void set_interrupt_gate(int vector, void (*entry)(void))
{
    idt[vector] = make_gate((uint32_t)entry, 0x8E);
}

uint32_t idt_address(void) { return (uint32_t)idt; }

const char *trap_name(uint32_t trapno)
{
    static const char *const names[] = {
        "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
        "invalid opcode", "device not available", "double fault", "coprocessor overrun",
        "invalid TSS", "segment not present", "stack fault", "general protection fault",
        "page fault", "reserved", "x87 error", "alignment check", "machine check", "SIMD error",
    };
    return trapno < sizeof names / sizeof names[0] ? names[trapno] : "exception";
}

void dump_trapframe(const struct trapframe *tf)
{
    printf("  trap %u (%s) err=0x%x eip=0x%08x cs=0x%x eflags=0x%08x cr2=0x%08x\n",
           tf->trapno, trap_name(tf->trapno), tf->err, tf->eip, tf->cs, tf->eflags, read_cr2());
    printf("  eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", tf->eax, tf->ebx, tf->ecx, tf->edx);
    printf("  esi=0x%08x edi=0x%08x ebp=0x%08x esp=0x%08x cr3=0x%08x\n", tf->esi, tf->edi, tf->ebp,
           (tf->cs & 3) == 3 ? tf->esp : (uint32_t)&tf->esp, read_cr3());
}

static void handle_irq(int irq)
{
    if (irq == 7 || irq == 15) {    /* spurious: the PIC that raised it wants no EOI */
        if (irq == 15)
            ack_irq(2);             /* ... but the master saw a real cascade IRQ */
        return;
    }
    if (irq == IRQ_TIMER)
        handle_tick();
    else if (irq == IRQ_COM1)
        handle_uart_irq();
    ack_irq(irq);
}

/* Every vector from 32 up but the system call's: the IDT has gates for
 * the PIC's 16 and the local APIC's two (timer=lapic) only. */
static void handle_interrupt(uint32_t vector)
{
    if (vector < IRQ_BASE + 16) {
        handle_irq(vector - IRQ_BASE);
    } else if (vector == LAPIC_TIMER_VECTOR) {
        handle_tick();              /* what IRQ 0 does, ended at the APIC */
        lapic_eoi();
    } else if (vector == EVENT_UPCALL_VECTOR) {
        handle_event_upcall();      /* PV only: no native gate has it */
    }
    /* LAPIC_SPURIOUS_VECTOR: nothing to do, and no EOI: the APIC put
     * nothing in service (SDM vol. 3, 11.9). */
}

static void handle_exception(struct trapframe *tf, int from_user)
{
    uint32_t cr2 = read_cr2();
    if (!from_user && tf->trapno == T_PGFLT && foreign_page_fault(cr2))
        return;     /* PV: a granted page taken back, replaced (plat.h) */
    if (!from_user) {
        printf("PANIC guestos: %s in the kernel at eip=0x%08x (cr2=0x%08x)\n",
               trap_name(tf->trapno), tf->eip, cr2);
        dump_trapframe(tf);
        poweroff(POWEROFF_PANIC);
    }
    if (tf->trapno == T_PGFLT) {
        if (apf_pseudo_fault())     /* the hypervisor's, not the process's */
            return;
        if (handle_user_fault(current, cr2, tf->err & 2) == 0)
            return;
        kill_process(current, tf->trapno, "page fault at 0x%08x (%s %s) eip=0x%08x", cr2,
                     tf->err & 2 ? "write to" : "read of",
                     tf->err & 1 ? "a protected page" : "an unmapped page", tf->eip);
    }
    kill_process(current, tf->trapno, "%s (error 0x%x) eip=0x%08x", trap_name(tf->trapno), tf->err, tf->eip);
}

/* Preempt only on the way back to user code: the kernel is interruptible
 * but not preemptible. A tick that came during a system call counts too,
 * or a process that makes many calls gets more CPU. */
static inline void preempt_if_due(int from_user)
{
    if (from_user && preempt_due && current) {
        preempt_due = 0;
        yield_cpu();
    }
}

/* The C side of every trap. "From user" is RPL 3: under the hypervisor's
 * deprivileged mode the kernel itself runs at ring 1, which is not user.
 * A system call comes through a trap gate, which leaves IF as the caller
 * had it (SDM vol. 3, 6.12.1.2): there is nothing to move to the PV
 * kernel's upcall mask, so its path tests nothing of the kind and costs the
 * same in both kernels (the null system call's goal: within 10% of native
 * under cpu=pv). */
void trap(struct trapframe *tf)
{
    int from_user = (tf->cs & 3) == 3;
    if (tf->trapno == T_SYSCALL) {
        handle_syscall(tf);
        preempt_if_due(from_user);
        return;
    }
    uint32_t masked = trap_irq_enter();     /* PV: the gate's IF=0 becomes the mask */
    if (tf->trapno >= IRQ_BASE)
        handle_interrupt(tf->trapno);
    else
        handle_exception(tf, from_user);
    preempt_if_due(from_user);
    trap_irq_exit(masked);
}
