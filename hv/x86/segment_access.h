/*
 * segment_access.h: may an instruction touch [offset, offset + size) in a
 * segment, and at which linear address? The checks the CPU makes on every
 * data access through a segment (a pure module: any mode, and the host unit
 * tests in tests/unit/test_segment_access.c), for the hypervisor's
 * emulation of string I/O (exit/exit_io_string.c), which makes in software
 * the accesses INS and OUTS make.
 *
 * SDM vol. 3, 5.3 "Limit Checking" (expand-up: the last byte at or below
 * the limit; expand-down: every byte above it, up to 0xFFFF or, with B,
 * 0xFFFFFFFF), 5.4.1 "Checking Caller Access Privileges"'s type rules
 * (vol. 3, 3.4.5.1: a write needs a writable data segment, a read a data
 * segment or a readable code segment), 3.4.2 (a null selector's segment
 * is unusable); in 64-bit mode none of these apply, but the address must
 * be canonical (3.3.7.1). A violation is #GP(0), or #SS(0) through SS.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* A segment register as the VMCS holds it (SDM vol. 3, 25.4.1): the
 * access rights in the VMCS's format (bits 3:0 type, 4 S, 6:5 DPL, 7 P,
 * 13 L, 14 D/B, 15 G, 16 unusable). */
struct segment {
    uint64_t base;
    uint32_t limit;          /* in bytes, G already applied */
    uint32_t access_rights;
    bool is_ss;              /* faults through it are #SS, not #GP */
};

#define SEG_AR_WRITABLE    0x2u      /* data: writable; code: readable */
#define SEG_AR_EXPAND_DOWN 0x4u      /* data */
#define SEG_AR_CODE        0x8u
#define SEG_AR_S           0x10u
#define SEG_AR_DB          0x4000u
#define SEG_AR_UNUSABLE    0x10000u

struct segment_access {
    uint64_t linear;         /* when fault is 0 */
    unsigned fault;          /* 0, or the vector: VEC_GP or VEC_SS, error code 0 */
};

/* size bytes at offset (already cut to the address size) for a read or a
 * write; long_mode: the CPU is in 64-bit mode (CS.L in IA-32e mode); real:
 * real-address or virtual-8086 mode (limits only, no types). */
struct segment_access segment_access(const struct segment *s, uint64_t offset, unsigned size,
                                     bool write, bool long_mode, bool real);
