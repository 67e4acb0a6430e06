/*
 * console_ring.c: the PV console's ring (see console_ring.h). The indexes
 * run freely (uint32_t, wrapping) and are taken modulo the ring's size, a
 * power of 2, as Xen's MASK_XENCONS_IDX does.
 */
#include "pv/console_ring.h"

#define OUT_SIZE ((uint32_t)sizeof(((struct pv_console *)0)->out))
#define IN_SIZE  ((uint32_t)sizeof(((struct pv_console *)0)->in))
_Static_assert((OUT_SIZE & (OUT_SIZE - 1)) == 0 && (IN_SIZE & (IN_SIZE - 1)) == 0,
               "the console's rings are powers of 2");

size_t console_ring_take(struct pv_console *c, char *buf, size_t max, int *broken)
{
    volatile uint32_t *cons_p = &c->out_cons, *prod_p = &c->out_prod;
    uint32_t cons = *cons_p, prod = *prod_p;
    uint32_t avail = prod - cons;
    *broken = avail > OUT_SIZE;
    if (*broken)
        avail = OUT_SIZE;
    size_t n = 0;
    for (; n < avail && n < max; n++)
        buf[n] = c->out[(cons + n) & (OUT_SIZE - 1)];
    *cons_p = *broken ? prod : cons + (uint32_t)n;
    return n;
}

size_t console_ring_put(struct pv_console *c, const char *bytes, size_t n)
{
    volatile uint32_t *cons_p = &c->in_cons, *prod_p = &c->in_prod;
    uint32_t cons = *cons_p, prod = *prod_p;
    uint32_t used = prod - cons;
    size_t room = used > IN_SIZE ? 0 : IN_SIZE - used, k = 0;
    for (; k < n && k < room; k++)
        c->in[(prod + k) & (IN_SIZE - 1)] = bytes[k];
    *prod_p = prod + (uint32_t)k;
    return k;
}

size_t console_ring_peek(const struct pv_console *c, char *buf, size_t max)
{
    const volatile uint32_t *cons_p = &c->in_cons, *prod_p = &c->in_prod;
    uint32_t cons = *cons_p, prod = *prod_p;
    uint32_t avail = prod - cons;
    if (avail > IN_SIZE)
        return 0;
    size_t n = 0;
    for (; n < avail && n < max; n++)
        buf[n] = c->in[(cons + n) & (IN_SIZE - 1)];
    return n;
}

void console_ring_consume(struct pv_console *c, size_t n)
{
    volatile uint32_t *cons_p = &c->in_cons;
    *cons_p += (uint32_t)n;
}
