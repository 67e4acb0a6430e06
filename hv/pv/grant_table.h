/*
 * grant_table.h: grants, frames shared between VMs by reference (lab 6,
 * issue 20; Xen's grant tables; lib/pv_abi.h section 10). Each VM's table
 * of PV_NR_GRANT_REFS entries is the hypervisor's (the granter asks by
 * hypercall), and each entry also records where its grantee maps it, so
 * that ending the grant removes the mapping.
 *
 * Pure: it works on the VMs' direct paging (guest/direct_paging.h: the
 * mapping is an L1 entry of the grantee's, validated there) and touches no
 * hardware, so that the host unit test (tests/unit/test_grant_table.c) and
 * the fuzzer run it as it is. The caller (pv/grant_table_op.c) copies the
 * guest's ops in and out and flushes the TLB of every VM whose dp.flush a
 * call set (a mapping removed: the grantee's, on the granter's call).
 * Every call returns a PV_GNTST_* status; one that fails changed nothing.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/direct_paging.h"
#include "pv_abi.h"

#define GNT_DOMAINS_MAX 8u          /* domids 0 .. 7: VM ids */

struct gnt_entry {
    bool granted, readonly;
    bool mapped;                    /* by its grantee, at host_addr's entry_ma */
    uint8_t grantee;                /* its domid */
    uint32_t mfn;                   /* the granter's frame */
    uint32_t host_addr, entry_ma, pte;   /* the mapping (mapped): where, and the entry written */
};

/* One VM's side: its direct paging, its current base pointer (where a map
 * looks host_addr up), its grants. */
struct gnt_domain {
    struct dp_vm *dp;
    const uint32_t *base;
    struct gnt_entry refs[PV_NR_GRANT_REFS];
};

/* Every VM's, by domid (NULL: no such PV VM). */
struct gnt_machine {
    struct gnt_domain *dom[GNT_DOMAINS_MAX];
};

/* The four ops, for the VM whose domid is self (lib/pv_abi.h section 10). */
int32_t gnt_grant(struct gnt_machine *m, uint32_t self, uint32_t ref, uint32_t domid, uint32_t mfn,
                  uint32_t flags);
int32_t gnt_end(struct gnt_machine *m, uint32_t self, uint32_t ref);
int32_t gnt_map(struct gnt_machine *m, uint32_t self, uint32_t host_addr, uint32_t flags, uint32_t ref,
                uint32_t dom, uint32_t *handle);
int32_t gnt_unmap(struct gnt_machine *m, uint32_t self, uint32_t host_addr, uint32_t handle);
