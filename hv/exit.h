/*
 * exit.h: the VM-exit path (64-bit, VMX root operation). A student follows
 * one exit from vmx_entry.S (vmx_exit) to on_exit (exit.c), through the
 * dispatcher's switch on the basic exit reason, to one handler (handlers.h),
 * and back to vmx_exit's VMRESUME. This header is the dispatcher's own API,
 * for main.c; a handler includes vcpu.h for what it may do to the vCPU
 * (guest_stop, guest_gpr, advance_rip), never this file.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"
#include "vmx/vmx_caps.h"

/* Run the vCPU, its VMCS current (vcpu_load), until its guest stops, or
 * (several VMs, sched.c) until it yields the CPU (v->yield, v->stopped
 * still false); returns its power-off status. A vCPU with v->depriv.active runs its kernel at
 * ring 1 (cpu=deprivileged, depriv.h). */
int vcpu_run(struct vcpu *v);

/* vmcs_break=NAME vmcs_break_at=N: make the breakage while handling v's VM
 * exit N, so that the VMRESUME after it is the entry that fails. */
struct vmcs_break;
void vcpu_break_at_exit(const struct vcpu *v, const struct vmcs_break *b, unsigned n);
/* vmcheck=2: the VM-entry checker before every VM entry, not only the first. */
void vcpu_check_every_entry(void);
/* run_for=s: each VM stopped, with status 0, `seconds` after its first VM
 * entry (the TSC runs at tsc_hz), at the first exit after that. */
void vcpu_limit_time(unsigned seconds, uint64_t tsc_hz);
/* Whether HOST_RIP is vmx_exit, where every VM exit must land (SDM 28.5.3);
 * if not, one line saying so, after `prefix` (vmcheck=1, and panics). */
bool host_rip_check(const char *prefix);
