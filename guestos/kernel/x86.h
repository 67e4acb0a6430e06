/*
 * x86.h: the privileged instructions the kernel uses, one inline each. The
 * kernel reaches most of them through plat.h, whose PV versions make
 * hypercalls instead; irq_save()/irq_restore() (plat.h) are THE way it
 * protects a critical section.
 */
#pragma once
#include <stdint.h>

static inline uint32_t read_eflags(void)
{
    uint32_t f;
    __asm__ volatile("pushf; pop %0" : "=r"(f));
    return f;
}

static inline void load_cr3(uint32_t pa) { __asm__ volatile("mov %0, %%cr3" : : "r"(pa) : "memory"); }

static inline uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint32_t read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

/* CPUID leaf 1's feature flags in EDX. */
static inline uint32_t cpuid1_edx(void)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Page-sized zeroing and copying, 4 bytes a step (lib's memset and memcpy
 * go a byte at a time, which would dominate every page-fault figure). */
static inline void zero_page(void *dst)
{
    uint32_t n = 1024;
    __asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
}

static inline void copy_page(void *dst, const void *src)
{
    uint32_t n = 1024;
    __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
