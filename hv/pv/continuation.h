/*
 * continuation.h: a hypercall in parts (cpu=pv, lab 5; 64-bit, VMX root;
 * lib/pv_abi.h section 5, Xen's hypercall_create_continuation).
 *
 * A call with a list (mmu_update, mmuext_op, multicall) takes pv_work()
 * before each of its requests: false once this exit's PV_WORK_PER_EXIT are
 * spent. It then calls pv_continue with the arguments that do the rest, and
 * returns: handle_hypercall (hypercall.c) gives the guest's registers those
 * arguments and leaves RIP on the VMCALL, so that the guest runs (an event
 * or another VM's turn may come) before the same VMCALL goes on. No guest
 * holds the CPU in the hypervisor for longer than one part of a call,
 * whatever count it passes.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"

#define PV_CONTINUE_ARGS 5      /* EBX, ECX, EDX, ESI, EDI */

/* At the start of each VMCALL: this exit's share of work, no continuation. */
void pv_work_begin(struct vcpu *v);

/* One request's share: false once the exit's are spent. */
bool pv_work(struct vcpu *v);

/* The call stops here; the same VMCALL goes on with args. */
void pv_continue(struct vcpu *v, const uint32_t *args);

/* The arguments of a call that stopped part-way, or NULL; taking them ends
 * the continuation (a multicall takes its entry's, then makes its own). */
const uint32_t *pv_continuation(struct vcpu *v);
void pv_continuation_taken(struct vcpu *v);
