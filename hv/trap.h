/*
 * trap.h: the trap frame, the registers of an interrupted context as isr.S
 * saves them (64-bit, ring 0). panic() fills the same struct with the
 * registers of its caller, so one printer serves both.
 *
 * The layout is the stack, lowest address first: the general-purpose
 * registers isr.S pushes, then the vector number and error code, then what
 * the CPU pushed (SDM vol. 3, 6.14.2 "64-Bit Mode Stack Frame").
 */
#pragma once

/* Byte offsets for isr.S; trap.c checks them against the struct. */
#define TF_R15     0
#define TF_R14     8
#define TF_R13     16
#define TF_R12     24
#define TF_R11     32
#define TF_R10     40
#define TF_R9      48
#define TF_R8      56
#define TF_RDI     64
#define TF_RSI     72
#define TF_RBP     80
#define TF_RDX     88
#define TF_RCX     96
#define TF_RBX     104
#define TF_RAX     112
#define TF_VECTOR  120
#define TF_ERROR_CODE 128
#define TF_RIP     136
#define TF_CS      144
#define TF_RFLAGS  152
#define TF_RSP     160
#define TF_SS      168
#define TF_SIZE    176

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
    uint64_t vector;      /* pushed by the stub */
    uint64_t error_code;  /* pushed by the CPU, or 0 by the stub */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

/* Called by isr.S for every exception vector (0-31). In the base hypervisor
 * each one is fatal: it prints the PANIC report and powers off. */
void trap_handler(struct trap_frame *tf);

/* If set, trap_handler offers it #BP and #DB first; true means they were a
 * debugger's breakpoint or single step, and the trapped code resumes.
 * gdb=hv sets it (gdb_hv.c: gdb_hv_trap); null otherwise. */
extern bool (*trap_debug_hook)(struct trap_frame *tf);

/* The name and mnemonic of an exception vector ("page fault", "#PF"). */
const char *exception_name(unsigned vector);
const char *exception_mnemonic(unsigned vector);
#endif
