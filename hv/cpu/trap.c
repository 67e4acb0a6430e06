/*
 * trap.c: what happens on a CPU exception (64-bit mode, ring 0, interrupts
 * off: the IDT uses interrupt gates).
 *
 * The hypervisor itself should never fault, so every exception is a bug:
 * the handler names it, says where it happened, and panics. The VM-exit
 * handlers of the later labs are where guest faults are dealt with. One
 * exception: with gdb=hv, #BP and #DB are the debugger's breakpoints and
 * single steps, and the interrupted code resumes. The debugger sits above
 * this layer: it registers trap_debug_hook (gdb_hv.c), so the CPU layer
 * never names gdb, and every module that can panic does not depend on it.
 */
#include "cpu/trap.h"
#include "cpu/ksyms.h"
#include "cpu/panic.h"
#include "printf.h"
#include "x86/x86.h"

/* SDM vol. 3, Table 6-1 "Protected-Mode Exceptions and Interrupts"; 28-30
 * are AMD's. */
static const struct {
    const char *mnemonic;
    const char *name;
} exceptions[32] = {
    [0] = { "#DE", "divide error" },
    [1] = { "#DB", "debug" },
    [2] = { "NMI", "non-maskable interrupt" },
    [3] = { "#BP", "breakpoint" },
    [4] = { "#OF", "overflow" },
    [5] = { "#BR", "bound range exceeded" },
    [6] = { "#UD", "invalid opcode" },
    [7] = { "#NM", "device not available" },
    [8] = { "#DF", "double fault" },
    [9] = { "CSO", "coprocessor segment overrun" },
    [10] = { "#TS", "invalid TSS" },
    [11] = { "#NP", "segment not present" },
    [12] = { "#SS", "stack-segment fault" },
    [13] = { "#GP", "general protection" },
    [14] = { "#PF", "page fault" },
    [16] = { "#MF", "x87 floating-point error" },
    [17] = { "#AC", "alignment check" },
    [18] = { "#MC", "machine check" },
    [19] = { "#XM", "SIMD floating-point exception" },
    [20] = { "#VE", "virtualization exception" },
    [21] = { "#CP", "control protection" },
    [28] = { "#HV", "hypervisor injection" },
    [29] = { "#VC", "VMM communication" },
    [30] = { "#SX", "security exception" },
};

const char *exception_mnemonic(unsigned vector)
{
    if (vector < 32 && exceptions[vector].mnemonic)
        return exceptions[vector].mnemonic;
    return "#??";
}

const char *exception_name(unsigned vector)
{
    if (vector < 32 && exceptions[vector].name)
        return exceptions[vector].name;
    return "reserved vector";
}

/* Decode a page-fault error code (SDM vol. 3, 4.7 "Page-Fault Exceptions"). */
static void print_page_fault_cause(uint64_t cr2, uint64_t error)
{
    const char *access = (error & (1 << 4)) ? "instruction fetch from"
                       : (error & (1 << 1)) ? "write to" : "read of";
    const char *what = (error & (1 << 3)) ? "a page with a reserved bit set"
                     : (error & (1 << 0)) ? "a page that forbids it" : "a not-present page";
    printf("  cr2=0x%016lx: %s %s, in %s mode\n", cr2, access, what,
           (error & (1 << 2)) ? "user" : "supervisor");
}

bool (*trap_debug_hook)(struct trap_frame *tf);

void trap_handler(struct trap_frame *tf)
{
    /* Read CR2 first: a fault while reporting would overwrite it. */
    uint64_t cr2 = read_cr2();
    char where[96];

    if ((tf->vector == VEC_BP || tf->vector == VEC_DB) && trap_debug_hook && trap_debug_hook(tf))
        return;   /* back through isr.S's IRETQ */

    panic_start();
    printf("exception %s (%s, vector %lu) error=0x%lx at rip=0x%016lx %s\n",
           exception_mnemonic(tf->vector), exception_name(tf->vector),
           tf->vector, tf->error_code,
           tf->rip, ksyms_format(&hv_ksyms, tf->rip, where, sizeof(where)));
    if (tf->vector == VEC_PF)
        print_page_fault_cause(cr2, tf->error_code);
    panic_finish(tf, 0);
}
