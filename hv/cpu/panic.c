/*
 * panic.c: the report of a fatal error (64-bit, ring 0, interrupts off).
 *
 * The backtrace follows the chain of saved frame pointers: with
 * -fno-omit-frame-pointer every C function starts with "push %rbp; mov %rsp,
 * %rbp", so [rbp] holds the caller's rbp and [rbp + 8] the return address.
 * boot.S sets rbp = 0 before calling hv_main, which ends the chain.
 */
#include "cpu/panic.h"
#include "cpu/ksyms.h"
#include "poweroff.h"
#include "printf.h"
#include "cpu/stack.h"
#include "x86/x86.h"
#include "x86io.h"

enum { MAX_FRAMES = 32 };

/* Filled by panic's entry in isr.S with the registers of panic's caller. */
struct trap_frame panic_frame;

/* How many panics are in progress: a fault while printing a report must not
 * start an endless chain of reports. */
static volatile int panic_depth;

/* Last resort when even a recursive report faulted: the power-off ports of
 * lib/poweroff.c, without printing anything. */
static _Noreturn void stop_silently(void)
{
    outb(0xF4, POWEROFF_PANIC);
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (unsigned char)*s);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void panic_start(void)
{
    disable_interrupts();
    panic_depth++;
    if (panic_depth > 2)
        stop_silently();
    if (panic_depth == 2)
        printf("\nPANIC hv: recursive panic (while reporting another one): ");
    else
        printf("PANIC hv: ");
}

static void print_registers(const struct trap_frame *tf)
{
    printf("registers:\n");
    printf("  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n",
           (unsigned long long)tf->rax, (unsigned long long)tf->rbx,
           (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
    printf("  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx rsp=0x%016llx\n",
           (unsigned long long)tf->rsi, (unsigned long long)tf->rdi,
           (unsigned long long)tf->rbp, (unsigned long long)tf->rsp);
    printf("  r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx\n",
           (unsigned long long)tf->r8, (unsigned long long)tf->r9,
           (unsigned long long)tf->r10, (unsigned long long)tf->r11);
    printf("  r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx\n",
           (unsigned long long)tf->r12, (unsigned long long)tf->r13,
           (unsigned long long)tf->r14, (unsigned long long)tf->r15);
    printf("  rip=0x%016llx rflags=0x%08llx cs=0x%llx ss=0x%llx\n",
           (unsigned long long)tf->rip, (unsigned long long)tf->rflags,
           (unsigned long long)tf->cs, (unsigned long long)tf->ss);
    printf("  cr0=0x%08llx cr2=0x%016llx cr3=0x%08llx cr4=0x%08llx efer=0x%llx\n",
           (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
           (unsigned long long)read_cr3(), (unsigned long long)read_cr4(),
           (unsigned long long)rdmsr(MSR_EFER));
}

/* A return address points after the call, which may already be the next
 * function when the call was the last instruction (a call to a _Noreturn
 * function): look up the byte before it instead. */
static void print_frame(unsigned n, uint64_t addr, int is_return_address)
{
    uint64_t offset;
    const char *name = ksyms_lookup(&hv_ksyms, addr - (is_return_address ? 1 : 0), &offset);
    if (name)
        printf("  #%u 0x%016llx <%s+0x%llx>\n", n, (unsigned long long)addr, name,
               (unsigned long long)(offset + (is_return_address ? 1 : 0)));
    else
        printf("  #%u 0x%016llx <?>\n", n, (unsigned long long)addr);
}

/* Follow saved frame pointers only while they stay on a hypervisor stack
 * and move up it: a corrupt RBP then ends the backtrace, not the report. */
static void print_backtrace(const struct trap_frame *tf, int rip_is_return_address)
{
    printf("backtrace:\n");
    print_frame(0, tf->rip, rip_is_return_address);
    uint64_t rbp = tf->rbp;
    for (unsigned n = 1; rbp != 0; n++) {
        if (n == MAX_FRAMES) {
            printf("  ... (stopped after %u frames)\n", MAX_FRAMES);
            return;
        }
        if ((rbp & 7) || !stack_contains(rbp, 16)) {
            printf("  (rbp=0x%llx is not on a hypervisor stack: end of the trace)\n",
                   (unsigned long long)rbp);
            return;
        }
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        print_frame(n, frame[1], 1);
        if (frame[0] != 0 && frame[0] <= rbp) {
            printf("  (saved rbp=0x%llx does not go up the stack: end of the trace)\n",
                   (unsigned long long)frame[0]);
            return;
        }
        rbp = frame[0];
    }
}

void (*panic_context_hook)(void);

_Noreturn void panic_finish(const struct trap_frame *tf, int rip_is_return_address)
{
    if (panic_depth == 1) {
        print_registers(tf);
        print_backtrace(tf, rip_is_return_address);
        if (panic_context_hook)
            panic_context_hook();
    }
    poweroff(POWEROFF_PANIC);
}

/* panic() continues here from isr.S, with panic_frame filled in. Not in
 * panic.h: nothing else should call it. */
_Noreturn void panic_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

_Noreturn void panic_report(const char *fmt, ...)
{
    va_list ap;
    panic_start();
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    panic_finish(&panic_frame, 1);
}
