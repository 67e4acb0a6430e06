/* vmx_on.h: discover VMX and enter VMX root operation (see vmx_on.c). */
#pragma once
#include "vmx/vmx_caps.h"

/* Check that VMX exists and may be used, and read its capabilities; panics
 * with the reason and the remedy if not. */
void vmx_detect(struct vmx_caps *caps);

/* Panic, naming what is missing, unless mem=ept can work on this CPU. */
void vmx_require_ept(const struct vmx_caps *caps);

/* Set CR0/CR4 as VMX requires and execute VMXON. */
void vmx_on(const struct vmx_caps *caps);

/* The capabilities of the CPU the hypervisor runs on: filled once by
 * vmx_detect (main.c), read-only after. Code with a vCPU at hand reads them
 * as v->caps (vcpu.h); this is for the few that have none (inject.c). */
struct vmx_caps *vmx_cpu_caps(void);
