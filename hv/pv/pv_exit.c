/*
 * pv_exit.c: the exits that are a PV guest's own (64-bit, VMX root). See
 * pv_exit.h. By exit reason, after one test of v->vm->pv, so that every
 * other guest pays one load and branch for it, on these reasons only.
 */
#include "pv/pv_exit.h"
#include "guest/vm.h"
#include "pv/hypercall.h"
#include "pv/pv_cr.h"
#include "pv/pv_hypercall_page.h"
#include "vmx/exit_reasons.h"

bool pv_exit(struct vcpu *v)
{
    if (!v->vm->pv)
        return false;
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_VMCALL:     handle_hypercall(v); return true;
    case EXIT_CR_ACCESS:  pv_cr_access(v); return true;
    case EXIT_CPUID:      return pv_cpuid(v);
    case EXIT_RDMSR:      return pv_msr(v, false);
    case EXIT_WRMSR:      return pv_msr(v, true);
    default:              return false;
    }
}
