/*
 * fuzz.h: the hypercall fuzzer's pieces (case=fuzz; cases_fuzz.c says what
 * it does), shared by its files:
 *   cases_fuzz.c   the driver, the checking, the model of the kernel's
 *                  tables (its window, M2P, pins) and the calls on them;
 *   fuzz_args.c    what calls are given: random numbers, the arena,
 *                  pointers a call cannot use;
 *   fuzz_ports.c   event channels: the model of every port, their calls;
 *   fuzz_grants.c  grant_table_op's calls and what each must answer.
 * A generator fills a struct call (its registers, the result it must
 * give, the memory it must leave) and updates the model as the call, if
 * it does what it must, will change it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pv_abi.h"

#define P   0x001u
#define RW  0x002u
#define US  0x004u
#define A   0x020u
#define D   0x040u
#define CPU_SET (A | D)             /* what the CPU writes into entries itself (SDM 4.8) */
#define FUZZ_SLOT 20u               /* the window: 0x05000000, below the direct map */
#define WINDOW ((volatile uint32_t *)(FUZZ_SLOT << 22))
#define WINDOW_ENTRIES 64u
#define ARENA_PAGES 8u
#define ARENA_BYTES (ARENA_PAGES * 4096u)
#define FRAME_NOT_OURS 1u           /* machine frame 1: the BIOS's, never a VM's */
#define GNT_DOMIDS 8u               /* the domids a VM may have (hv/pv/grant_table.h) */
#define SELF_ID 0u                  /* the fuzz runs as vm0, domid 0 (section 10) */

/* A result the prediction does not pin down. */
#define ANY     0x7FFFFFF0
#define ANY_ERR 0x7FFFFFF1

/* One call: its registers and what it must answer. */
struct call {
    uint32_t op, arg[5];
    int32_t want;
    struct {                        /* what the guest's memory must hold after it: */
        uint32_t *done, done_want;  /* a batch's *done in the arena, */
        const uint32_t *out, *out_want;     /* words it writes back (or must leave), in the arena */
        uint32_t out_words;
    } after;
};

/* ---- fuzz_args.c ---- */
extern uint8_t region[ARENA_PAGES + 1][4096];      /* the arena, then the guard (unmapped) */
#define ARENA ((uint8_t *)region)
#define GUARD ((uint32_t)region[ARENA_PAGES])
extern uint32_t ro_page[1024];                     /* read-only; no table validates it */

void fuzz_seed(uint32_t seed);
uint32_t rnd(void);
uint32_t below(uint32_t n);
bool one_in(uint32_t n);
/* Each top-level call's lists and structs: bump-allocated, from empty. */
void arena_reset(void);
void *arena_alloc(uint32_t bytes);
uint8_t *tail_in_guard(uint32_t readable, uint32_t size);
uint32_t bad_pointer(void);
uint32_t read_only_pointer(void);
uint32_t read_only_struct(uint32_t bytes);

/* ---- cases_fuzz.c ---- */
extern uint32_t dir_mfn, l1_mfn, spare_mfn, ro_mfn, arena_mfn[ARENA_PAGES], guard_mfn;
/* A call's result or memory not as predicted: a "pvtest: FAILED fuzz" line. */
void wrong(const char *what, const struct call *c, uint32_t want, uint32_t got);

/* ---- fuzz_ports.c ---- */
extern uint32_t loopbacks, statuses;
/* The ports the kernel has bound before the fuzz: the console's, the timer's. */
void ports_start(uint32_t console_port, uint32_t timer);
void event_call(struct call *c);
/* Every port's status and pending bit against the model (the deep check). */
void check_ports(void);
uint32_t bound_ports(void);

/* ---- fuzz_grants.c ---- */
extern uint32_t grant_ops;
void grant_call(struct call *c);
