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
    printf("  rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx\n",
           tf->rax, tf->rbx,
           tf->rcx, tf->rdx);
    printf("  rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx rsp=0x%016lx\n",
           tf->rsi, tf->rdi,
           tf->rbp, tf->rsp);
    printf("  r8 =0x%016lx r9 =0x%016lx r10=0x%016lx r11=0x%016lx\n",
           tf->r8, tf->r9,
           tf->r10, tf->r11);
    printf("  r12=0x%016lx r13=0x%016lx r14=0x%016lx r15=0x%016lx\n",
           tf->r12, tf->r13,
           tf->r14, tf->r15);
    printf("  rip=0x%016lx rflags=0x%08lx cs=0x%lx ss=0x%lx\n",
           tf->rip, tf->rflags,
           tf->cs, tf->ss);
    printf("  cr0=0x%08lx cr2=0x%016lx cr3=0x%08lx cr4=0x%08lx efer=0x%lx\n",
           read_cr0(), read_cr2(),
           read_cr3(), read_cr4(),
           rdmsr(MSR_EFER));
}

/* A return address points after the call, which may already be the next
 * function when the call was the last instruction (a call to a _Noreturn
 * function): look up the byte before it instead. */
static void print_frame(unsigned n, uint64_t addr, int is_return_address)
{
    uint64_t offset;
    const char *name = ksyms_lookup(&hv_ksyms, addr - (is_return_address ? 1 : 0), &offset);
    if (name)
        printf("  #%u 0x%016lx <%s+0x%lx>\n", n, addr, name,
               offset + (is_return_address ? 1 : 0));
    else
        printf("  #%u 0x%016lx <?>\n", n, addr);
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
            printf("  (rbp=0x%lx is not on a hypervisor stack: end of the trace)\n",
                   rbp);
            return;
        }
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        print_frame(n, frame[1], 1);
        if (frame[0] != 0 && frame[0] <= rbp) {
            printf("  (saved rbp=0x%lx does not go up the stack: end of the trace)\n",
                   frame[0]);
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
