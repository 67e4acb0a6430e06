/*
 * balloon.h: a PV guest's memory reservation (lib/pv_abi.h section 8;
 * cpu=pv, lab 5; 64-bit, VMX root): memory_op's frames given back to the
 * hypervisor's page allocator and taken from it, and the balloon= target
 * the hypervisor asks the guest's balloon driver to reach.
 */
#pragma once
#include <stdint.h>
#include "boot/balloon_targets.h"
#include "guest/vm.h"

/* The VM's targets (its row of balloon=), the first written to
 * shared_info.balloon_target (the pages it has when balloon= names none).
 * After pv_events_setup has found the shared-info page. */
void pv_balloon_setup(struct vm *vm, const struct balloon_targets *targets);

/* Before a VM entry, at the guest's TSC guest_tsc: a balloon= step whose
 * time has come is written to balloon_target, with a VIRQ_BALLOON event.
 * Returns the guest TSC of the next step (UINT64_MAX: none). */
uint64_t pv_balloon_before_entry(struct vcpu *v, uint64_t guest_tsc);

/* gdb's `monitor balloon VM MiB`: the target now, with its event (the
 * next balloon= step, if any, still comes); false, and nothing done, if
 * vm is no PV guest or mib is not 1..BALLOON_MIB_MAX. A target above
 * max_pages is max_pages. */
bool pv_balloon_ask(struct vm *vm, unsigned mib);

/* memory_op(cmd, arg *): decrease_reservation, populate_physmap,
 * current_reservation, maximum_reservation; -PV_ENOSYS for another cmd
 * (increase_reservation among them: PV guests populate). */
int32_t pv_memory_op(struct vcpu *v, const uint32_t *args);
