/*
 * panic.c: the kernel's last words. Prints "PANIC guestos: <cause>", the
 * registers that explain it and a backtrace, then powers off with status 3
 * so a run never hangs.
 */
#include <stdarg.h>
#include "defs.h"
#include "mmu.h"
#include "plat.h"
#include "../../lib/printf.h"
#include "../../lib/poweroff.h"

/* Return addresses up the EBP chain (the kernel keeps frame pointers). */
static void print_backtrace(void)
{
    uint32_t *ebp;
    __asm__ volatile("mov %%ebp, %0" : "=r"(ebp));
    printf("  backtrace:");
    for (int i = 0; i < 8 && (uint32_t)ebp >= KERNBASE && (uint32_t)ebp < KERNTOP; i++) {
        printf(" 0x%08x", ebp[1]);
        ebp = (uint32_t *)ebp[0];
    }
    printf("\n");
}

_Noreturn void panic(const char *fmt, ...)
{
    irq_save();     /* never restored: nothing runs after a panic */
    va_list ap;
    va_start(ap, fmt);
    printf("PANIC guestos: ");
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n  pid=%d cr0=0x%08x cr2=0x%08x cr3=0x%08x eflags=0x%08x\n", current ? current->pid : 0,
           read_cr0(), read_cr2(), read_cr3(), read_eflags());
    print_backtrace();
    poweroff(POWEROFF_PANIC);
}
