/*
 * fault_inject.c: the deliberate failures of the fault= option (64-bit
 * mode, ring 0). See fault_inject.h. Each one prints a "hv: fault=..."
 * line first, so the console says what was meant to happen.
 */
#include "cpu/fault_inject.h"
#include "cpu/panic.h"
#include "printf.h"
#include "serial.h"
#include "x86/x86.h"

/* Canonical, and far above the 4 GiB that boot.S maps. */
#define UNMAPPED_ADDRESS 0x0000000400000000ULL

static _Noreturn void raise_page_fault(void)
{
    printf("hv: fault=pagefault: reading 0x%llx, above the 4 GiB the page tables map\n",
           UNMAPPED_ADDRESS);
    volatile const uint64_t *p = (volatile const uint64_t *)(uintptr_t)UNMAPPED_ADDRESS;
    (void)*p;
    panic("fault=pagefault: reading 0x%llx did not fault", UNMAPPED_ADDRESS);
}

/* In assembly: a C division by zero is undefined behaviour, which the
 * compiler may remove instead of executing. */
static _Noreturn void raise_divide_error(void)
{
    printf("hv: fault=divide: dividing by zero\n");
    __asm__ volatile("xor %%ecx, %%ecx\n\t"
                     "mov $1, %%eax\n\t"
                     "xor %%edx, %%edx\n\t"
                     "div %%ecx" ::: "rax", "rcx", "rdx");
    panic("fault=divide: the division did not fault");
}

/* With an IDT of limit 0 no vector can be delivered: the #UD becomes a #GP,
 * the #GP a double fault, and a fault while delivering #DF shuts the CPU
 * down (SDM vol. 3, 6.15 "Interrupt 8—Double Fault Exception (#DF)"). */
static _Noreturn void raise_triple_fault(void)
{
    printf("hv: fault=triplefault: loading an empty IDT and executing ud2\n");
    serial_drain();
    struct descriptor_table_pointer empty = { 0, 0 };
    lidt(&empty);
    __asm__ volatile("ud2");
    panic("fault=triplefault: the CPU survived");
}

static _Noreturn void hang(void)
{
    printf("hv: fault=hang: looping forever with interrupts off\n");
    serial_drain();
    disable_interrupts();
    for (;;)
        cpu_relax();
}

void fault_inject(enum fault_kind kind)
{
    switch (kind) {
    case FAULT_NONE:
        return;
    case FAULT_PANIC:
        panic("deliberate panic (fault=panic)");
    case FAULT_PAGEFAULT:
        raise_page_fault();
    case FAULT_DIVIDE:
        raise_divide_error();
    case FAULT_TRIPLEFAULT:
        raise_triple_fault();
    case FAULT_HANG:
        hang();
    }
    panic("fault_inject: unknown fault kind %d", (int)kind);
}
