/*
 * pv_update_va_weak.c: TEMPORARY weak update_va_mapping (see
 * pv_update_va_weak.h): dp_update_va validates the entry, then the TLB is
 * flushed as the rules (a mapping removed or weakened) and the guest's
 * flags ask (INVLPG done as a flush of the whole VPID: more than asked,
 * never less).
 */
#include "pv/pv_update_va_weak.h"
#include "guest/guest.h"
#include "pv/pv_domain.h"
#include "pv/pv_tlb.h"

__attribute__((weak)) int32_t pv_update_va_mapping(struct vcpu *v, const uint32_t *args)
{
    uint32_t va = args[0], pte = args[1], flags = args[2];
    if (flags & ~(uint32_t)(PV_UVMF_TLB_FLUSH | PV_UVMF_INVLPG))
        return -PV_EINVAL;
    int r = dp_update_va(&v->guest->dp, pv_of(v)->base, va, pte);
    if (r)
        return r;
    if (flags)
        v->guest->dp.flush = true;
    pv_tlb_after_update(v);
    return 0;
}
