/*
 * pv_check.h: the hypervisor's recount of direct paging (cpu=pv, lab 5;
 * 64-bit, VMX root): dp_check (guest/direct_paging.h) over the machine's
 * frame table and every PV VM's base pointer, at each PV guest's shutdown
 * and, with dpcheck=N (a test option), after every Nth hypercall. A count
 * that does not add up is the hypervisor's bug, whatever the guest did:
 * the check panics with the first broken count.
 */
#pragma once
#include "guest/vcpu.h"

/* The VM's base pointer joins the recount; every is dpcheck=N (0: only at
 * shutdown). */
void pv_check_setup(struct vm *vm, unsigned every);

/* One hypercall done: the recount if it is the Nth. */
void pv_check_after_hypercall(struct vcpu *v);

/* The recount now (when: "after a hypercall", for the panic). */
void pv_check_counts(struct vcpu *v, const char *when);

/* The recount at the guest's shutdown; with dpcheck=N, one line saying
 * how many were made. */
void pv_check_at_shutdown(struct vcpu *v);
