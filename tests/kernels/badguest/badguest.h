/* badguest.h: what badguest.c's action table finds in the other files. */
#pragma once
#include <stdint.h>

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
