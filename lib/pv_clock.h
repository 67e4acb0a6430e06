/*
 * pv_clock.h: a PV guest's reading of system time (lib/pv_abi.h section 6):
 * nanoseconds since its VM started, from the shared-info page's time
 * record and the TSC, inside the record's version loop. The guest OS's PV
 * kernel and the pvtest kernel both read their clock with it.
 */
#pragma once
#include <stdint.h>
#include "pv_abi.h"

static inline uint64_t pv_clock_ns(volatile struct pv_vcpu_time_info *t)
{
    uint32_t version, mul;
    uint64_t stamp, system, tsc;
    int8_t shift;
    do {
        version = t->version;
        __asm__ volatile("" ::: "memory");
        stamp = t->tsc_timestamp;
        system = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        tsc = (uint64_t)hi << 32 | lo;
        __asm__ volatile("" ::: "memory");
    } while ((version & 1) || version != t->version);
    uint64_t d = tsc - stamp;
    d = shift < 0 ? d >> -shift : d << shift;
    /* 64 x 32 bits, the product's bits 95:32 (lib/pv_abi.h's formula). */
    uint64_t lo = (uint64_t)(uint32_t)d * mul, hi = (d >> 32) * mul;
    return system + hi + (lo >> 32);
}
