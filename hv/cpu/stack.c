/*
 * stack.c: the hypervisor's stacks (64-bit, ring 0). See stack.h.
 * They live in .bss; 16-byte alignment is what the SysV ABI expects of RSP
 * at a call, and what the CPU itself does before pushing an interrupt frame.
 */
#include "cpu/stack.h"

uint8_t boot_stack[BOOT_STACK_SIZE] __attribute__((aligned(16)));
uint8_t fault_stack[FAULT_STACK_SIZE] __attribute__((aligned(16)));

static bool range_inside(uint64_t addr, uint64_t len, const uint8_t *base, uint64_t size)
{
    uint64_t start = (uint64_t)(uintptr_t)base;
    return addr >= start && len <= size && addr - start <= size - len;
}

bool stack_contains(uint64_t addr, uint64_t len)
{
    return range_inside(addr, len, boot_stack, sizeof(boot_stack)) ||
           range_inside(addr, len, fault_stack, sizeof(fault_stack));
}
