/* badguest.h: what badguest's files share: the actions the table in
 * badguest.c finds in the others (the CPU itself: ../common/cpu.h). */
#pragma once
#include <stdint.h>
#include "cpu.h"

/* Load a new GDT: the three descriptors of entry.S's (null, code 0x08, data
 * 0x10) copied into gdt[0..2], then the n in extra from selector 0x18 on. */
void load_gdt_with(uint64_t *gdt, const uint64_t *extra, unsigned n);
/* The descriptor of an available 32-bit TSS of size bytes at tss (SDM 8.2.2). */
uint64_t tss_descriptor(const void *tss, uint32_t size);

unsigned parse_uint(const char *s);   /* badguest.c: a decimal number */
void set_user_gate(unsigned vector, uint32_t handler);   /* badguest.c: an IDT gate INT n reaches from ring 3 */
void do_fuzz(const char *arg);        /* fuzz.c: do=fuzz=SEED */
void do_refused(const char *arg);     /* fuzz.c: do=refused */
void do_ptfuzz(const char *arg);      /* ptfuzz.c: do=ptfuzz=SEED */

/* xorshift32: the same seed, the same run (natively and under the hypervisor). */
static inline uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}
