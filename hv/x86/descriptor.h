/*
 * descriptor.h: segment descriptors of the GDT (a pure module: any mode,
 * and the host unit tests in tests/unit/test_descriptor.c). The 8-byte
 * format of SDM vol. 3, 3.4.5: base in bits 16-39 and 56-63, limit in bits
 * 0-15 and 48-51 (in 4 KiB units when G is set), the access byte in bits
 * 40-47 (type, S, DPL, P), and AVL, L, D/B, G in bits 52-55.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define DESC_ACCESSED    (1ull << 40)
#define DESC_WRITABLE    (1ull << 41)    /* data; readable for code */
#define DESC_EXPAND_DOWN (1ull << 42)    /* data; conforming for code */
#define DESC_CODE        (1ull << 43)
#define DESC_S           (1ull << 44)    /* code or data, not a system descriptor */
#define DESC_DPL(d)      ((unsigned)((d) >> 45) & 3)
#define DESC_P           (1ull << 47)
#define DESC_G           (1ull << 55)

uint32_t descriptor_base(uint64_t d);
/* The limit in bytes: the last valid offset. */
uint32_t descriptor_limit(uint64_t d);

/* Ring compression (lab 3): the descriptor for a guest kernel moved to
 * ring 1. DPL 0 becomes 1; a segment that would reach above `top` ends at
 * `top` or below (in whole 4 KiB units when G is set); one that starts
 * above it, an expand-down data segment, a system descriptor (TSS, LDT,
 * gate) or an absent one becomes 0 (absent). The accessed bit is set, as
 * the CPU would set it on the first load. */
uint64_t descriptor_compress(uint64_t d, uint32_t top);

/* A code or data descriptor from its base, its limit in bytes and its
 * rights in the VMCS's format (below): the hypervisor's own (bt=1). */
uint64_t descriptor_make(uint32_t base, uint32_t limit, uint32_t access_rights);

/* The VMCS's access-rights format (SDM vol. 3, 25.4.1, table 25-2). */
uint32_t descriptor_access_rights(uint64_t d);

/* May d be loaded for CS (code) or SS (a writable data segment) at
 * privilege level rpl: present, its DPL rpl, non-conforming code? */
bool descriptor_fits(uint64_t d, unsigned rpl, bool code);
