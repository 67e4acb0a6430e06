/*
 * overcommit.h: the hypervisor pages part of a VM's memory out to a backing
 * store of its own (64-bit, VMX root operation; issue 20, lab 6; the
 * option resident=). Lecture slides 8-9: the VMM's own paging under the
 * guest's, and the pseudo page fault that lets an agreeing guest run
 * another process while a page comes in (exit/async_pf.c).
 *
 * At most `limit` of the VM's guest-physical pages are in memory after each
 * VM exit (guest/resident_set.h: the clock on the EPT's accessed flags
 * picks the page to go). A page that goes out is copied into a page of the
 * store (one that is all zeros is only marked: it needs none, as KVM's and
 * ESX's zero pages), its EPT entry made not present (the INVEPT that must
 * follow: SDM 29.4.3.1), and its frame filled with a pattern, so that
 * anything that read it behind the hypervisor's back would show in the
 * guests' checksums. What is modelled is the residency, not the frame's
 * reuse: the VM's RAM stays one block (guest_ptr stays one addition), and
 * the page comes back to its own frame. The store is "slow": a page-in is
 * done `latency` TSC cycles after it starts (pagein=), which is what keeps
 * a run exact under Bochs.
 *
 * Every access the hypervisor itself makes to the VM's memory goes through
 * guest_ptr, which brings the pages it names in at once (the hypervisor's
 * own access waits for no store; counted apart); nothing goes out until
 * the next VM entry (overcommit_trim), so no pointer guest_ptr gave during
 * an exit is left to a page that went out.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/ept.h"
#include "guest/pageins.h"
#include "guest/resident_set.h"

struct overcommit_stats {
    uint64_t outs;              /* pages written to the store */
    uint64_t zero_outs;         /* of them, all zeros: marked, not written */
    uint64_t faults;            /* EPT violations on a page that was out */
    uint64_t stalls;            /* faults that held the vCPU until the page came in */
    uint64_t stall_cycles;      /* TSC cycles the vCPU was held */
    uint64_t ins;               /* pages brought back */
    uint64_t hv_ins;            /* of them, for the hypervisor's own access */
};

/* What the guest agreed to (exit/async_pf.c keeps it: the pseudo page
 * fault protocol, lib/apf_abi.h), and what came of it. */
struct overcommit_apf {
    uint64_t en, intr;          /* MSR_HVL_APF_EN and _INT as accepted */
    bool ready_unacked;         /* a "page ready" was told and not acknowledged yet */
    uint64_t not_present;       /* pseudo page faults ("page not present") injected */
    uint64_t ready;             /* "page ready" told */
    uint64_t stalled_agreed;    /* faults of an agreeing guest that stalled all the same */
    uint64_t dropped;           /* done page-ins not told: the protocol was turned off */
    uint64_t refused;           /* WRMSRs refused (#GP) */
    uint64_t swap_hints;        /* frames the guest said it writes to its own swap (MSR_HVL_PAGEOUT_HINT) */
    uint64_t written_twice;     /* of them, pages out in the hypervisor's store then: double paging */
};

struct overcommit {
    struct resident_set rs;
    struct pageins pageins;
    struct ept *ept;
    uint64_t eptp;              /* for INVEPT */
    uint64_t ram_hpa;
    uint64_t latency;           /* TSC cycles a page-in takes */
    uint32_t *slot_of;          /* per page: its store slot + 1, 0 for none (all zeros, or in) */
    uint64_t *store;            /* the store's pages (host-physical), one per slot */
    uint32_t *free_slots;       /* a stack of free slot numbers */
    uint32_t free_count;
    bool trimmed;               /* the first trim (at the first entry) is done */
    struct overcommit_stats stats;
    struct overcommit_apf apf;
};

/* Page the RAM [ram_hpa, + pages * 4 KiB) mapped through ept at most
 * `limit` pages resident, each page-in `latency` TSC cycles; the store is
 * allocated now (enough for every page the limit leaves out, and those
 * coming in: they keep their slots until they are in). The EPT
 * pointer gets its accessed-flags bit where the CPU has them (ept_vpid_cap,
 * IA32_VMX_EPT_VPID_CAP): the caller writes ept_pointer() to the VMCS. */
struct overcommit *overcommit_create(struct ept *ept, uint64_t ram_hpa, uint32_t pages, uint32_t limit,
                                     uint64_t latency, uint64_t ept_vpid_cap);

/* Whether page p is out (in the store, or coming in). */
bool overcommit_is_out(const struct overcommit *oc, uint32_t p);

/* Bring page p in now (the hypervisor's own access, or a stall's end). */
void overcommit_page_in(struct overcommit *oc, uint32_t p);

/* A stall: hold the CPU until page p's page-in (the one under way, or one
 * started now) is done, by the TSC, then bring it in. Returns the cycles
 * waited. */
uint64_t overcommit_wait_for(struct overcommit *oc, uint32_t p);

/* A stall that does not hold the CPU (another VM may run meanwhile): page
 * p's page-in under way, or one started now (not told to the guest); when
 * it is done, by the TSC, or 0 if the table of page-ins is full (then
 * overcommit_wait_for). `counted`: this fault is the stall's first. */
uint64_t overcommit_start_wait(struct overcommit *oc, uint32_t p, bool counted);

/* Every page of guest-physical [gpa, gpa + len) that is out, in now
 * (guest_ptr's hook). */
void overcommit_touch(struct overcommit *oc, uint64_t gpa, uint64_t len);

/* Before a VM entry: pages out until no more than the limit are in. */
void overcommit_trim(struct overcommit *oc);

/* "hv: <tag>paging: ..." (the figures above), once the VM has ended. */
void overcommit_print_stats(const struct overcommit *oc, const char *tag);
