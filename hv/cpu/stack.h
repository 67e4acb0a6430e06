/*
 * stack.h: the hypervisor's two stacks (64-bit, ring 0).
 *   boot_stack:  everything runs on it, from boot.S's call to hv_main on;
 *   fault_stack: the CPU switches to it (IST1) for #DF, NMI and #MC, so a
 *                stack overflow is reported instead of becoming a triple fault.
 */
#pragma once

#define BOOT_STACK_SIZE  (16 * 1024)
#define FAULT_STACK_SIZE (8 * 1024)

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

extern uint8_t boot_stack[BOOT_STACK_SIZE];
extern uint8_t fault_stack[FAULT_STACK_SIZE];

/* True if [addr, addr + len) lies inside one of the stacks: the backtrace
 * follows saved frame pointers only where this holds. */
bool stack_contains(uint64_t addr, uint64_t len);
#endif
