/*
 * x86.h: x86-64 architectural constants and the privileged instructions C
 * cannot express, as one-line inline functions. Used by the hypervisor
 * (64-bit, ring 0); the constants are also visible to assembly files.
 */
#pragma once

#include "x86/control_regs.h"


/* IA32_EFER (SDM vol. 3, 2.2.1 "Extended Feature Enable Register"). */
#define MSR_EFER 0xC0000080

/* Paging-structure entry bits (SDM vol. 3, 4.5 "4-Level Paging"). */
#define PTE_PRESENT (1 << 0)
#define PTE_WRITE   (1 << 1)
#define PTE_LARGE   (1 << 7) /* PS: a PDE maps a 2 MiB page */

#define PAGE_SIZE 4096

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Exception vectors (SDM vol. 3, 6.3.1, table 6-1): the hypervisor's own
 * and the ones it injects into its guest are the same architecture's. */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_UD = 6, VEC_DF = 8,
    VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MC = 18,
};

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The low half of the TSC: enough to time anything shorter than 2^32
 * cycles, since the difference of two readings is exact modulo 2^32. */
static inline uint32_t rdtsc_low(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* 64 bits wide, as the registers: CPUID reads EAX and ECX only and writes
 * 32-bit values, which in 64-bit mode clear the upper halves (SDM vol. 1,
 * 3.4.1.1), so a guest's registers go in and out as they are. */
struct cpuid_regs { uint64_t eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid(uint64_t leaf, uint64_t subleaf)
{
    struct cpuid_regs r;
    /* CPUID writes RBX, which the caller must keep (callee-saved): kept in
     * another register across it, two instructions, so that a caller need
     * not save RBX itself nor set up a frame on its way (handle_cpuid, on
     * every CPUID exit: four instructions fewer). */
    __asm__ volatile("mov %%rbx, %1; cpuid; xchg %%rbx, %1"
                     : "=a"(r.eax), "=&r"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

static inline void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
/* The host never uses CR2, so the register carries the guest's value. */
static inline void write_cr2(uint64_t v) { __asm__ volatile("mov %0, %%cr2" : : "r"(v)); }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

/* The operand of LGDT and LIDT: a 16-bit limit then a 64-bit base
 * (SDM vol. 3, 3.5.1 "Segment Descriptor Tables"). */
struct descriptor_table_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static inline void lgdt(const struct descriptor_table_pointer *p) { __asm__ volatile("lgdt %0" : : "m"(*p)); }
static inline void lidt(const struct descriptor_table_pointer *p) { __asm__ volatile("lidt %0" : : "m"(*p)); }
static inline void ltr(uint16_t selector) { __asm__ volatile("ltr %0" : : "r"(selector)); }

static inline void sgdt(struct descriptor_table_pointer *p) { __asm__ volatile("sgdt %0" : "=m"(*p)); }
static inline void sidt(struct descriptor_table_pointer *p) { __asm__ volatile("sidt %0" : "=m"(*p)); }

static inline void disable_interrupts(void) { __asm__ volatile("cli"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
#endif
