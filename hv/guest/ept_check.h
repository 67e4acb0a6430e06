/*
 * ept_check.h: what is wrong with an EPT (64-bit, VMX root operation): the
 * rules an entry must obey (SDM vol. 3, 29.3.3.1 "EPT Misconfigurations"),
 * the report of a VM exit for one (basic reason 49), and vmcheck=1's
 * warning about guest RAM that is not write-back (29.3.7).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/ept.h"
#include "guest/vcpu.h"

#define EPT_LEVELS 4    /* PML4E, PDPTE, PDE, PTE: level 4 down to 1 */

/* Why a present EPT entry at `level` (4 PML4E ... 1 PTE) is a
 * misconfiguration, as one phrase ("write permission without read ..."),
 * or NULL if it is none (or not present). */
const char *ept_entry_misconfiguration(uint64_t entry, unsigned level, unsigned maxphyaddr,
                                       uint64_t ept_vpid_cap);

/* The entries the CPU reads to translate gpa (SDM 29.3.2), PML4E first,
 * down to a leaf or a non-present entry; returns how many (1-4). */
unsigned ept_walk(const struct ept *e, uint64_t gpa, uint64_t entries[EPT_LEVELS]);

/* Every page e maps and every table it is made of: leaf(ctx, gpa, hpa,
 * size) for each present leaf (4 KiB, 2 MiB or 1 GiB), lowest guest-physical
 * address first, and table(ctx, table_pa) for each table, the PML4 first.
 * For the check that VMs share no memory (vm.c). */
struct ept_visitor {
    void (*leaf)(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size);
    void (*table)(void *ctx, uint64_t table_pa);
    void *ctx;
};
void ept_visit(const struct ept *e, const struct ept_visitor *visit);

/* An EPT-misconfiguration exit: print the walk to the guest-physical
 * address, and stop the guest naming the entry and the rule it breaks. */
void ept_misconfiguration_stop(struct vcpu *v);

/* vmcheck=1: one "hv: VM-entry check: warning: ..." line per range of guest
 * RAM whose EPT memory type is not write-back; returns how many. */
unsigned ept_warn_memory_types(const struct ept *e, uint64_t ram_size);
