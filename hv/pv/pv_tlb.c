/*
 * pv_tlb.c: the PV vCPU's TLB and base pointer (64-bit, VMX root). See
 * pv_tlb.h.
 */
#include "pv/pv_tlb.h"
#include "cpu/panic.h"
#include "guest/guest.h"
#include "guest/vmcs_setup_direct.h"
#include "printf.h"
#include "pv/pv_domain.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

void pv_tlb_flush(struct vcpu *v, bool keep_globals)
{
    if (!direct_paging_vpid())
        return;                 /* every VM entry flushes (SDM 29.4.3.1) */
    uint64_t type = keep_globals && (v->caps->ept_vpid & VPID_CAP_SINGLE_CONTEXT_GLOBALS)
                    ? INVVPID_SINGLE_CONTEXT_GLOBALS : INVVPID_SINGLE_CONTEXT;
    if (invvpid(type, v->vpid) != VMX_OK)
        panic("INVVPID type %lu of VPID %u failed: IA32_VMX_EPT_VPID_CAP 0x%lx said it exists",
              type, v->vpid, v->caps->ept_vpid);
}

void pv_tlb_after_update(struct vcpu *v)
{
    if (!v->guest->dp.flush)
        return;
    pv_of(v)->owed_flushes++;
    pv_tlb_flush(v, false);
    v->guest->dp.flush = false;
}

int pv_new_baseptr(struct vcpu *v, uint32_t mfn)
{
    struct pv_domain *pv = pv_of(v);
    int r = dp_set_base(&v->guest->dp, &pv->base, mfn);
    if (r)
        return r;
    vmcs_write(VMCS_GUEST_CR3, (uint64_t)pv->base << 12);
    pv->owed_flushes += v->guest->dp.flush;
    pv_tlb_flush(v, !v->guest->dp.flush);
    v->guest->dp.flush = false;
    return 0;
}

void pv_tlb_print_stats(const struct vcpu *v, const char *tag)
{
    printf("hv: %stlb: %lu flushes owed by calls that took a mapping away\n", tag, pv_of(v)->owed_flushes);
}
