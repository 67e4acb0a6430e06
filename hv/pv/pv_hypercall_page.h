/*
 * pv_hypercall_page.h: CPUID's hypervisor leaves and the hypercall page's
 * MSR under cpu=pv (lib/pv_abi.h section 1). Each true if the exit was
 * its own (then handled), false for another leaf or MSR.
 */
#pragma once
#include <stdbool.h>
#include "guest/vcpu.h"

bool pv_cpuid(struct vcpu *v);              /* leaves 0x40000000-0x40000002 */
bool pv_msr(struct vcpu *v, bool write);    /* PV_MSR_HYPERCALL_PAGE */
