/*
 * canonical.h: canonical linear addresses (SDM vol. 1, 3.3.7.1): with
 * 48-bit linear addresses, bits 63:47 all equal. VM entry checks the
 * guest's address fields for it (SDM 27.3.1.2), and WRMSR refuses a
 * non-canonical address in an MSR that holds one. Pure: host tests use it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

static inline bool canonical(uint64_t address)
{
    return (uint64_t)((int64_t)(address << 16) >> 16) == address;
}
