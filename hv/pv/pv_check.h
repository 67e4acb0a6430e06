/*
 * pv_check.h: the hypervisor's recount of direct paging (cpu=pv, lab 5;
 * 64-bit, VMX root): dp_check (guest/direct_paging.h) over the machine's
 * frame table and every PV VM's base pointer, with dpcheck=N (a test
 * option) after every Nth hypercall and at each PV guest's shutdown (a
 * recount walks every frame of the machine: some 1.7 s of Bochs's time for
 * 256 MiB, which would hold up the other VMs at every shutdown). A count
 * that does not add up is the hypervisor's bug, whatever the guest did:
 * the check panics with the first broken count.
 */
#pragma once
#include "guest/vcpu.h"

/* The VM's base pointer joins the recount; every is dpcheck=N (0: none). */
void pv_check_setup(struct vm *vm, unsigned every);

/* One hypercall done: the recount if it is the Nth. */
void pv_check_after_hypercall(struct vcpu *v);

/* The recount now (when: "after a hypercall", for the panic). */
void pv_check_counts(struct vcpu *v, const char *when);

/* With dpcheck=N, the recount at the guest's shutdown and one line saying
 * how many were made. */
void pv_check_at_shutdown(struct vcpu *v);
