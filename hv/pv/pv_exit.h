/*
 * pv_exit.h: the VM exits a PV guest's are not those of any other guest
 * (cpu=pv, lab 5; 64-bit, VMX root), which the dispatcher gives pv/ first
 * (exit.c): VMCALL (hypercall.h), the control-register exits of direct
 * paging (pv_cr.c), CPUID's hypervisor leaves and the hypercall page's MSR
 * (pv_hypercall_page.c).
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

/* True if the exit was pv/'s, handled; false for the exits every guest
 * has, and for every exit of a guest that is not PV (v->vm->pv NULL). */
bool pv_exit(struct vcpu *v);
