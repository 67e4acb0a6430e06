/*
 * pv_domain.h: what the hypervisor keeps for a PV guest (cpu=pv, lab 5;
 * 64-bit, VMX root), beside its struct vm: vm->pv, made by the PV domain
 * builder (pv_build.c), NULL for every other guest. Its frames' types and
 * counts are the machine's frame table's (guest/machine_frames.h), its side
 * of it vm->guest.dp (guest/direct_paging.h).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vm.h"
#include "pv/evtchn_ports.h"
#include "pv/grant_table.h"
#include "pv/pv_time_scale.h"
#include "pv_abi.h"

struct pv_domain {
    uint32_t base;              /* the current base pointer (CR3)'s frame: an L2 of the VM's */
    uint32_t *m2p;              /* its M2P (lib/pv_abi.h section 4), hypervisor pages, m2p_entries long */
    uint32_t m2p_entries;       /* one per machine frame of the frame table */
    uint32_t m2p_l1;            /* the hypervisor's L1 that maps it at PV_M2P_VIRT (dp_vm.hv_pde) */
    uint32_t nr_pages;          /* pseudo-physical pages it has (start_info.nr_pages) */
    uint32_t max_pages;         /* what its balloon may grow back to */
    uint32_t first_mfn;         /* machine frame of pseudo-physical 0 at build time (contiguous RAM) */
    uint32_t start_info_pfn, shared_info_pfn, console_pfn, p2m_pfn, pt_pfn;
    uint32_t start_info_mfn, shared_info_mfn, console_mfn;   /* kept (DP_KEEP): never move */
    uint32_t p2m_frames, nr_pt_frames, first_free_pfn;
    uint32_t hypercall_mfn;     /* the hypercall page (PV_INVALID_MFN: none yet) */
    unsigned multicall_depth;   /* 1 inside a multicall: a nested one is refused */
    struct pv_hypercall_stats {     /* per call number, printed at the end (hypercall.c) */
        uint64_t calls;             /* made by VMCALL (a continued one counts once per exit) */
        uint64_t in_multicalls;     /* made as a multicall's entry */
        uint64_t requests;          /* a batch's requests done (mmu_update, mmuext_op) */
        uint64_t cycles;            /* the VMCALL ones' time in the handler (TSC) */
    } stats[PV_NR_HYPERCALLS];
    uint32_t work_left;         /* requests this exit may still do (PV_WORK_PER_EXIT) */
    uint64_t owed_flushes;      /* TLB flushes for what calls took away (pv_tlb.c), printed at the end */
    bool continued;             /* the call stopped part-way: the same VMCALL goes on ... */
    uint32_t continue_args[5];  /* ... with these arguments (EBX, ECX, EDX, ESI, EDI) */
    /* Time, events, console ring, balloon (pv_events.c, pv_time.c, evtchn.c, balloon.c): */
    struct pv_shared_info *shared;  /* the hypervisor's pointer to its shared-info page */
    struct pv_console *console;     /* ... and to its console page */
    struct evtchn_ports evtchn;     /* its event channels */
    uint32_t console_port;          /* the console ring's port (start_info.console_evtchn) */
    bool blocked;                   /* in sched_op block, until an event is pending */
    struct pv_time_scale time_scale;  /* the guest's TSC to ns */
    uint64_t time0_tsc;             /* the guest's TSC at system time 0: the VM's start */
    uint64_t timer_tsc;             /* the guest's TSC at set_timer_op's deadline (UINT64_MAX: none) */
    uint64_t periodic_ns;           /* vcpu_op's periodic timer's period (0: none) ... */
    uint64_t periodic_next_ns;      /* ... its next event in system time ... */
    uint64_t periodic_tsc;          /* ... and in the guest's TSC (UINT64_MAX: none) */
    uint32_t balloon_target;        /* pages asked for (shared_info.balloon_target) */
    unsigned balloon_vm;            /* its row of balloon= (the VM's id) */
    unsigned balloon_next_ms;       /* system time of its next balloon= step (UINT_MAX: none) */
    const struct balloon_targets *balloon_steps;   /* balloon= */
    struct gnt_domain grants;       /* its grant table (grant_table.c), by ref */
};

/* The PV domain of v's VM (NULL outside cpu=pv). */
static inline struct pv_domain *pv_of(const struct vcpu *v)
{
    return v->vm->pv;
}

/* A pseudo-physical page's virtual address in the builder's direct map. */
static inline uint32_t pv_pfn_virt(uint32_t pfn)
{
    return PV_VIRT_BASE + pfn * PV_PAGE_SIZE;
}
