/*
 * fuzz.h: the hypercall fuzzer's pieces (case=fuzz; cases_fuzz.c says what
 * it does), shared by its files:
 *   cases_fuzz.c   the driver, the checking, the model of the kernel's
 *                  tables (its window, M2P, pins) and the calls on them;
 *   fuzz_args.c    what calls are given: random numbers, the arena,
 *                  pointers a call cannot use;
 *   fuzz_ports.c   event channels: the model of every port, their calls;
 *   fuzz_grants.c  grant_table_op's calls and what each must answer;
 *   fuzz_peer.c    two VMs (peer=1): vm0's side of the meeting with the
 *                  partner and of its report;
 *   cases_fuzz_partner.c  the partner (vm1, case=fuzz-partner).
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
#define SPARE_SLOT (FUZZ_SLOT + 1)   /* peer=1: the second window, the spare L1 hooked there or not */
#define ARENA_PAGES 8u
#define ARENA_BYTES (ARENA_PAGES * 4096u)
#define FRAME_NOT_OURS 1u           /* machine frame 1: the BIOS's, never a VM's */
#define GNT_DOMIDS 8u               /* the domids a VM may have (hv/pv/grant_table.h) */
#define SELF_ID 0u                  /* the fuzz runs as vm0, domid 0 (section 10) */
#define PEER_ID 1u                  /* its partner, with peer=1: vm1 */

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

/* ---- two VMs: what the partner offers, and its report ----
 * With peer=1 the fuzz (vm0) meets a partner (vm1, case=fuzz-partner,
 * cases_fuzz_partner.c) that stays still after its start, so that every
 * call between them can be predicted from what each offered. In order:
 *   vm0: its usual start (ports 1 console, 2 timer); grants to vm1 refs
 *        28 (spare_l1, writable: while vm1 maps it, it cannot be pinned),
 *        29 (a page of its own, writable), 30 (ro_page, read-only),
 *        31 (the report page, writable; the fuzz never ends it); offers
 *        ports 3 (the control channel: the fuzz never closes or sends on
 *        it) and 4 to vm1; waits for READY in the report page.
 *   vm1: grants vm0 refs 0 and 1 writable, 2 and 3 read-only (pages of
 *        word 0 its frame number, word i partner_word(ref, i)); 4 writable,
 *        a page it then pins as an L1 (zeros; a writable map of it is
 *        bad_page); 5 writable, a page that then leaves it
 *        (decrease_reservation: every map of it bad_page); 6 writable,
 *        ref 0's page again (two mappings of one frame); no other ref.
 *        Offers vm0 ports 2..5, itself port 6; binds 7 to vm0's 3 (its
 *        pending bit cleared) and 8 to vm0's 4 (left pending). Maps vm0's
 *        refs 28..31 at its window's entries 0..3, 30 read-only, the
 *        others writable (28's writable type reference is what keeps the
 *        spare from becoming a table). Writes its frames' numbers and
 *        READY in the report page, masks every port but 7 and blocks
 *        until 7 has an event.
 *   At the end vm0 writes ASKED and sends on 3; vm1 fills in the report
 *   (its window's entries 0..3 and word 1 through each present one of
 *   0..2, its pages' checksums, its ports 1..PARTNER_PORTS and their
 *   pending bits), writes DONE, and powers off. vm0 checks every word
 *   against its model: the partner reports, vm0 judges. */
#define PARTNER_REFS 7u             /* refs 0..6 granted by vm1 */
#define PARTNER_PAGES 5u            /* the pages it still has: refs 0..4's */
#define PARTNER_TABLE_REF 4u
#define PARTNER_GONE_REF 5u
#define PARTNER_ALIAS_REF 6u        /* ref 0's page again */
#define LENT_REFS 4u                /* vm0's refs 28..31 mapped by vm1 */
#define FIRST_LENT_REF 28u
#define LENT_READ_ONLY_REF 30u
#define REPORT_REF 31u
#define CONTROL_PORT 3u             /* vm0's; vm1's end is PARTNER_CONTROL_PORT */
#define DATA_PORT 4u
#define PARTNER_CONTROL_PORT 7u
#define PARTNER_DATA_PORT 8u
#define PARTNER_PORTS 15u           /* ports 1..15 reported */
#define REPORT_READY 0x52454459u
#define REPORT_ASKED 0x41534B44u
#define REPORT_DONE  0x444F4E45u

struct fuzz_report {
    uint32_t magic;
    uint32_t mfn[PARTNER_REFS];             /* vm1's granted frames */
    uint32_t sum[PARTNER_PAGES];            /* at the end: each page's sum_words */
    uint32_t entry[LENT_REFS];              /* its window's entries 0..3 */
    uint32_t word[LENT_REFS];               /* word 1 read through each present one (not 31's) */
    struct pv_evtchn_status port[PARTNER_PORTS + 1];   /* [p] port p's */
    uint32_t pending;                       /* its evtchn_pending[0] */
};

/* Word i of partner ref's page as vm1 fills it (word 0: its frame). */
static inline uint32_t partner_word(uint32_t ref, uint32_t i)
{
    return ref == PARTNER_TABLE_REF ? 0 : (0x5A000000u | ref << 16 | i) * 0x9E3779B1u & ~1u;
}

/* A rotating checksum of words (masked). */
static inline uint32_t sum_words(const volatile uint32_t *p, uint32_t words, uint32_t mask)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < words; i++)
        s = (s << 5 | s >> 27) ^ (p[i] & mask);
    return s;
}

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
extern bool peer;                           /* peer=1: vm1 runs the partner */
extern uint32_t dir_mfn, l1_mfn, spare_mfn, ro_mfn, arena_mfn[ARENA_PAGES], guard_mfn;
extern uint32_t model_l1[WINDOW_ENTRIES];   /* the window's entries as they must be */
extern uint32_t spare_model[WINDOW_ENTRIES];   /* the spare's, the second window's */
extern uint32_t fuzz_l1[1024], spare_l1[1024];
bool spare_is_table(void);
bool spare_hooked(void);                    /* peer=1: the second window's L1 */
/* A page of the kernel's made read-only in its direct map; an L1 installed
 * as the window's (FUZZ_SLOT). */
void read_only(void *page);
void window_install(uint32_t *l1);
/* A frame not the VM's: the BIOS's, or (peer=1) one of the partner's. */
uint32_t not_ours(void);
/* A call's result or memory not as predicted: a "pvtest: FAILED fuzz" line. */
void wrong(const char *what, const struct call *c, uint32_t want, uint32_t got);

/* ---- fuzz_ports.c ---- */
extern uint32_t loopbacks, statuses, partner_binds;
/* The ports the kernel has bound before the fuzz: the console's, the timer's. */
void ports_start(uint32_t console_port, uint32_t timer);
/* peer=1: both VMs' ports after the meeting (above). */
void ports_meet(void);
/* The partner's ports against the model (the report's). */
void check_partner_ports(const struct fuzz_report *r);
/* A send outside the fuzz's calls (the control channel's), in the model. */
int32_t ports_send(uint32_t port);
void event_call(struct call *c);
/* Every port's status and pending bit against the model (the deep check). */
void check_ports(void);
uint32_t bound_ports(void);

/* ---- fuzz_grants.c ---- */
extern uint32_t grant_ops, grant_maps, grant_accesses, grant_status[10] /* [-status] */, window2_maps;
void grant_call(struct call *c);
/* peer=1: the grants of the meeting (above): the partner's frames (the
 * report's), the fuzz's of refs 28..31. */
void grants_meet(const struct fuzz_report *r, const uint32_t *lent_mfns);
uint32_t partner_frame(void);
/* Whether the partner maps the spare L1 writable (a pin must fail). */
bool spare_held(void);
/* The entry the partner must have for the fuzz's ref (0: none). */
uint32_t lent_entry(uint32_t ref);
/* A window entry that maps a grant: a page to give a call as a pointer
 * (the grantee's hypercalls cannot use it), 0 if there is none. */
uint32_t granted_window_page(void);
/* The spare (the second window's L1) released: the grants mapped there
 * are no longer its entries (section 10). */
void grants_released(void);
/* What word i of a page the window maps must read (false: not a grant's). */
bool grant_page_word(uint32_t mfn, uint32_t i, uint32_t *want);
/* An access through the window to a page of the partner's: reads, writes,
 * and the faults a read-only or removed mapping must give. */
void grant_access(void);
/* The fuzz's M2P says no frame of the partner's is its own (section 4). */
void check_partner_m2p(void);
/* The partner's pages as its report sums them. */
void check_partner_pages(const struct fuzz_report *r);

/* ---- fuzz_peer.c ---- */
/* The meeting's calls, either side's: a grant's or a map's status (or the
 * call's error), alloc_unbound, bind_interdomain retried while the other
 * VM has not offered yet, sched_op yield. */
int32_t meet_grant(uint32_t ref, uint32_t domid, uint32_t mfn, uint32_t flags);
int32_t meet_map(uint32_t va, uint32_t flags, uint32_t ref, uint32_t dom);
int32_t meet_offer(uint32_t remote_dom, uint32_t *port);
int32_t meet_bind(uint32_t remote_dom, uint32_t remote_port, uint32_t *port);
void meet_yield(void);
/* peer=1: the meeting (vm0's side) and, at the end, the partner's report. */
void peer_meet(void);
void peer_report(void);
