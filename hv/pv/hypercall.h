/*
 * hypercall.h: a PV guest's hypercalls (cpu=pv, lab 5; 64-bit, VMX root):
 * VMCALL's exit, the table of calls by number, and multicall
 * (lib/pv_abi.h sections 2 and 9; handouts/hypercalls.md).
 *
 * Each call's handler lives in the file of its concept (pv_console.c,
 * pv_sched.c, ...: its header declares it) and has one shape: the vCPU that called and its five arguments
 * (EBX, ECX, EDX, ESI, EDI, Xen's 32-bit order; a multicall entry's first
 * five), returning the call's result for EAX: >= 0, or -PV_E*.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

#define PV_HYPERCALL_ARGS 5

typedef int32_t (*pv_hypercall_fn)(struct vcpu *v, const uint32_t *args);

/* The VMCALL exit of a cpu=pv guest: from CPL 0 the call EAX names, its
 * result in EAX, RIP past the VMCALL (unless the call stopped the guest or
 * made it wait); from ring 3, -PV_EPERM. */
void handle_hypercall(struct vcpu *v);

/* Call number op with args, as VMCALL or a multicall entry makes it:
 * -PV_ENOSYS for a number with no call. */
int32_t pv_hypercall(struct vcpu *v, uint32_t op, const uint32_t *args);

/* The calls' counts per number (VMCALLs, multicall entries, a batch's
 * requests, the VMCALLs' cycles in their handlers): "hv: hypercalls:"
 * lines at the end of a run, which make bench reads. */
void pv_hypercall_print_stats(const struct vcpu *v, const char *tag);
