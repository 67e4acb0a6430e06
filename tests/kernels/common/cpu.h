/* cpu.h: the CPU as the kit's 32-bit test kernels reach it at ring 0
 * (SDM vol. 3, 2.5 control registers, 4.3 32-bit paging); long64, in 64-bit
 * mode, uses its MSR and TSC helpers only. */
#pragma once
#include <stdint.h>

/* Page-directory and page-table entries (SDM 4.3, tables 4-4 to 4-6). */
#define PG_P      0x001u
#define PG_W      0x002u
#define PG_U      0x004u
#define PG_A      0x020u
#define PG_D      0x040u
#define PG_PS     0x080u
#define PG_G      0x100u

#define CR0_NE    (1u << 5)
#define CR0_WP    (1u << 16)
#define CR0_PG    0x80000000u
#define CR4_PSE   (1u << 4)
#define CR4_PGE   (1u << 7)
#define CR4_VMXE  (1u << 13)

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* RDMSR and WRMSR (SDM vol. 2B), in 32-bit and 64-bit code alike. */
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
