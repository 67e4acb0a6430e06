/*
 * trap_frame.h: the trap frame, the registers of an interrupted context as
 * isr.S saves them (64-bit, ring 0). panic() fills the same struct with the
 * registers of its caller, so one printer serves both (panic.c).
 *
 * The layout is the stack, lowest address first: the general-purpose
 * registers isr.S pushes, then the vector number and error code, then what
 * the CPU pushed (SDM vol. 3, 6.14.2 "64-Bit Mode Stack Frame"). A header
 * of its own, below both trap.c (which reports an exception) and panic.c
 * (which reports a panic), so that neither needs the other's header.
 */
#pragma once

/* Byte offsets for isr.S, checked against the struct below. */
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
#include <stddef.h>
#include <stdint.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
    uint64_t vector;      /* pushed by the stub */
    uint64_t error_code;  /* pushed by the CPU, or 0 by the stub */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

/* The offsets isr.S uses, checked where it takes them from. */
_Static_assert(offsetof(struct trap_frame, r15) == TF_R15, "isr.S: TF_R15");
_Static_assert(offsetof(struct trap_frame, r14) == TF_R14, "isr.S: TF_R14");
_Static_assert(offsetof(struct trap_frame, r13) == TF_R13, "isr.S: TF_R13");
_Static_assert(offsetof(struct trap_frame, r12) == TF_R12, "isr.S: TF_R12");
_Static_assert(offsetof(struct trap_frame, r11) == TF_R11, "isr.S: TF_R11");
_Static_assert(offsetof(struct trap_frame, r10) == TF_R10, "isr.S: TF_R10");
_Static_assert(offsetof(struct trap_frame, r9) == TF_R9, "isr.S: TF_R9");
_Static_assert(offsetof(struct trap_frame, r8) == TF_R8, "isr.S: TF_R8");
_Static_assert(offsetof(struct trap_frame, rdi) == TF_RDI, "isr.S: TF_RDI");
_Static_assert(offsetof(struct trap_frame, rsi) == TF_RSI, "isr.S: TF_RSI");
_Static_assert(offsetof(struct trap_frame, rbp) == TF_RBP, "isr.S: TF_RBP");
_Static_assert(offsetof(struct trap_frame, rdx) == TF_RDX, "isr.S: TF_RDX");
_Static_assert(offsetof(struct trap_frame, rcx) == TF_RCX, "isr.S: TF_RCX");
_Static_assert(offsetof(struct trap_frame, rbx) == TF_RBX, "isr.S: TF_RBX");
_Static_assert(offsetof(struct trap_frame, rax) == TF_RAX, "isr.S: TF_RAX");
_Static_assert(offsetof(struct trap_frame, error_code) == TF_ERROR_CODE, "isr.S: TF_ERROR_CODE");
_Static_assert(offsetof(struct trap_frame, cs) == TF_CS, "isr.S: TF_CS");
_Static_assert(offsetof(struct trap_frame, rflags) == TF_RFLAGS, "isr.S: TF_RFLAGS");
_Static_assert(offsetof(struct trap_frame, rsp) == TF_RSP, "isr.S: TF_RSP");
_Static_assert(offsetof(struct trap_frame, ss) == TF_SS, "isr.S: TF_SS");
_Static_assert(offsetof(struct trap_frame, vector) == TF_VECTOR, "isr.S: TF_VECTOR");
_Static_assert(offsetof(struct trap_frame, rip) == TF_RIP, "isr.S: TF_RIP");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "isr.S: TF_SIZE");
#endif
