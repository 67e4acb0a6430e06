/*
 * continuation.c: a hypercall in parts (64-bit, VMX root). See
 * continuation.h. The state is the PV domain's: one vCPU, one call at a
 * time.
 */
#include "pv/continuation.h"
#include "pv/pv_domain.h"
#include "pv_abi.h"
#include "string.h"

_Static_assert(sizeof(((struct pv_domain *)0)->continue_args) == PV_CONTINUE_ARGS * sizeof(uint32_t),
               "a continuation keeps every argument");

void pv_work_begin(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    pv->work_left = PV_WORK_PER_EXIT;
    pv->continued = false;
}

bool pv_work(struct vcpu *v)
{
    struct pv_domain *pv = pv_of(v);
    if (!pv->work_left)
        return false;
    pv->work_left--;
    return true;
}

void pv_continue(struct vcpu *v, const uint32_t *args)
{
    struct pv_domain *pv = pv_of(v);
    pv->continued = true;
    memcpy(pv->continue_args, args, sizeof(pv->continue_args));
}

const uint32_t *pv_continuation(struct vcpu *v)
{
    const struct pv_domain *pv = pv_of(v);
    return pv->continued ? pv->continue_args : NULL;
}

void pv_continuation_taken(struct vcpu *v)
{
    pv_of(v)->continued = false;
}
