/*
 * sched.h: several VMs on one CPU (lab 4: devices=virtual with vms=N;
 * 64-bit, VMX root operation). See sched.c.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vm.h"

/* Run the n VMs in turns of quantum_tsc TSC ticks until every one has
 * stopped; ended(vm) is called as each stops. Each VM's devices are
 * started (vm_interrupts_start) at its first turn. Then the schedule's
 * lines: with trace (sched_trace=1) one per turn, "hv: turn vmN from
 * <TSC> to <TSC>"; the switches between VMs and what one cost; each VM's
 * turns and the TSC charged to it. */
void sched_run(struct vm *const *vms, unsigned n, uint64_t quantum_tsc, uint64_t tsc_hz, bool trace,
               void (*ended)(struct vm *vm));
