/* badguest.h: what badguest's files share: the actions the table in
 * badguest.c finds in the others (the CPU itself: ../common/cpu.h). */
#pragma once
#include <stdint.h>
#include "cpu.h"

/* Load a new GDT: the three descriptors of entry.S's (null, code 0x08, data
 * 0x10) copied into gdt[0..2], then the n in extra from selector 0x18 on:
 * load_gdt_with finds them with SGDT, load_gdt_from at `from`. */
void load_gdt_with(uint64_t *gdt, const uint64_t *extra, unsigned n);
void load_gdt_from(const uint64_t *from, uint64_t *gdt, const uint64_t *extra, unsigned n);
extern const uint64_t boot_gdt[3];    /* entry.S's */
/* The descriptor of an available 32-bit TSS of size bytes at tss (SDM 8.2.2). */
uint64_t tss_descriptor(const void *tss, uint32_t size);

/* ring3.c: user mode. ring3_setup adds the user code (USER_CODE) and data
 * (USER_DATA) segments and a TSS to a copy of the GDT; run_at_ring3 calls
 * fn at CPL 3 (DS and ES USER_DATA) and returns when fn returns. */
#define USER_CODE 0x1B
#define USER_DATA 0x23
void ring3_setup(void);
void run_at_ring3(void (*fn)(void));

unsigned parse_uint(const char *s);   /* badguest.c: a decimal number */
void set_user_gate(unsigned vector, uint32_t handler);   /* badguest.c: an IDT gate INT n reaches from ring 3 */
void do_fuzz(const char *arg);        /* fuzz.c: do=fuzz=SEED */
void do_refused(const char *arg);     /* fuzz.c: do=refused */
void do_ptfuzz(const char *arg);      /* ptfuzz.c: do=ptfuzz=SEED */
void do_ticks(const char *arg);       /* ticks.c: do=ticks=HZ,... (lab 4's timer probe) */

/* xorshift32: the same seed, the same run (natively and under the hypervisor). */
static inline uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}
