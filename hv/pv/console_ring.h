/*
 * console_ring.h: the PV console's ring (lab 5; lib/pv_abi.h section 7,
 * Xen's io/console.h): the hypervisor's side of the guest's console page,
 * out[] taken as output, in[] filled with input.
 *
 * Pure (any mode, also the host unit tests and the fuzzer). The page is
 * the guest's, so every index in it is what the guest wrote: the indexes
 * are read once, and a ring whose producer claims more than the ring holds
 * is taken as full, never read past its end.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "pv_abi.h"

/* Take up to max bytes of out[out_cons .. out_prod) into buf, in order,
 * and move out_cons past them. Returns how many; *broken is set when the
 * guest's indexes claimed more than the ring's size (what it holds is
 * taken, from out_cons, and the rest is skipped: out_cons = out_prod). */
size_t console_ring_take(struct pv_console *c, char *buf, size_t max, int *broken);

/* Input the guest's kernel reads by console_io rather than from the ring
 * itself: up to max bytes of in[in_cons .. in_prod) copied into buf
 * (nothing from a ring the guest broke), in_cons left alone; then
 * console_ring_consume moves in_cons past n of them. Two steps, so that a
 * read whose copy to the guest fails takes nothing. */
size_t console_ring_peek(const struct pv_console *c, char *buf, size_t max);
void console_ring_consume(struct pv_console *c, size_t n);

/* Put up to n bytes into in[] at in_prod (as many as there is room for)
 * and move in_prod; returns how many. A ring the guest broke (in_prod -
 * in_cons beyond in[]'s size) has no room. */
size_t console_ring_put(struct pv_console *c, const char *bytes, size_t n);
