/*
 * pv_mmu_calls.c: the PV MMU's hypercalls (64-bit, VMX root; lib/pv_abi.h
 * section 5). Each reads the guest's requests through its own tables
 * (copy_from_guest), hands each to direct paging (guest/direct_paging.c),
 * which validates it, and flushes the vCPU's TLB when the call took a right
 * away (pv_tlb_after_update), before the guest runs again.
 *
 * mmu_update and mmuext_op are batches, Xen's way of paying for one exit
 * instead of one per entry: the requests run in order, and the first that
 * fails ends the batch; the call returns its error, and *done (when the
 * guest gave a pointer) says how many were applied before it. A batch
 * longer than one exit's share goes on in parts (continuation.h: its count
 * with PV_BATCH_PREEMPTED, *done the count so far).
 */
#include "pv/pv_mmu_calls.h"
#include "guest/guest.h"
#include "pv/guest_copy.h"
#include "pv/continuation.h"
#include "pv/pv_domain.h"
#include "pv/pv_tlb.h"
#include "pv_abi.h"

/* PV_MMU_MACHPHYS_UPDATE: m2p[mfn] = pfn, for a frame of the VM's. */
static int machphys_update(struct vcpu *v, uint32_t mfn, uint32_t pfn)
{
    const struct dp_vm *dp = &v->guest->dp;
    struct pv_domain *pv = pv_of(v);
    if (mfn >= dp->m->nframes || mfn >= pv->m2p_entries || dp->m->frames[mfn].owner != dp->owner)
        return -PV_EINVAL;
    pv->m2p[mfn] = pfn;
    return 0;
}

static int mmu_update_one(struct vcpu *v, const void *request)
{
    const struct pv_mmu_update *r = request;
    switch (r->ptr & 3) {
    case PV_MMU_NORMAL_PT_UPDATE:
        return dp_mmu_update(&v->guest->dp, r->ptr & ~3u, r->val);
    case PV_MMU_MACHPHYS_UPDATE:
        return machphys_update(v, r->ptr >> 12, r->val);
    default:
        return -PV_EINVAL;
    }
}

static int mmuext_op_one(struct vcpu *v, const void *request)
{
    const struct pv_mmuext_op *op = request;
    struct dp_vm *dp = &v->guest->dp;
    switch (op->cmd) {
    case PV_MMUEXT_PIN_L1_TABLE:
        return dp_pin(dp, op->arg1, DP_L1);
    case PV_MMUEXT_PIN_L2_TABLE:
        return dp_pin(dp, op->arg1, DP_L2);
    case PV_MMUEXT_UNPIN_TABLE:
        return dp_unpin(dp, op->arg1);
    case PV_MMUEXT_NEW_BASEPTR:
        return pv_new_baseptr(v, op->arg1);
    case PV_MMUEXT_TLB_FLUSH_LOCAL:
        pv_tlb_flush(v, true);
        return 0;
    case PV_MMUEXT_INVLPG_LOCAL:
        /* One address: the whole TLB, globals too (INVLPG drops a global
           entry, SDM 4.10.4.1), which is never too much. */
        pv_tlb_flush(v, false);
        return 0;
    default:
        return -PV_EINVAL;
    }
}

/* A batch of count requests of size bytes at the guest's list (args[0],
 * args[1]); args[2] the done pointer (0: none), args[3] the domid. */
static int32_t run_batch(struct vcpu *v, const uint32_t *args, uint32_t op, uint32_t size,
                         int (*one)(struct vcpu *, const void *))
{
    uint32_t list = args[0], count = args[1], done_at = args[2];
    if (args[3] != PV_DOMID_SELF)
        return -PV_ESRCH;
    uint32_t done = 0, before = 0;      /* this part's requests, and the parts' before it */
    int32_t rc = 0;
    bool cut = false;
    if (count & PV_BATCH_PREEMPTED) {   /* a continuation: *done holds the count so far */
        count &= ~PV_BATCH_PREEMPTED;
        if (done_at && copy_from_guest(v, &before, done_at, sizeof(before)))
            return -PV_EFAULT;
    }
    struct guest_list requests;
    guest_list_start(&requests, v, list, count, size);
    for (; done < count; done++) {
        if (!pv_work(v)) {
            cut = true;
            break;
        }
        const void *request = guest_list_next(&requests);
        if (!request) {
            rc = -PV_EFAULT;
            break;
        }
        if ((rc = one(v, request)))
            break;
    }
    pv_tlb_after_update(v);
    pv_of(v)->stats[op].requests += done;
    uint32_t total = before + done;
    if (done_at && copy_to_guest(v, done_at, &total, sizeof(total)))
        return -PV_EFAULT;
    if (cut) {
        uint32_t next[PV_CONTINUE_ARGS] = { (uint32_t)(list + done * size),
                                             (count - done) | PV_BATCH_PREEMPTED, done_at, args[3],
                                             args[4] };
        pv_continue(v, next);
    }
    return rc;
}

int32_t pv_mmu_update(struct vcpu *v, const uint32_t *args)
{
    return run_batch(v, args, PV_mmu_update, sizeof(struct pv_mmu_update), mmu_update_one);
}

int32_t pv_mmuext_op(struct vcpu *v, const uint32_t *args)
{
    return run_batch(v, args, PV_mmuext_op, sizeof(struct pv_mmuext_op), mmuext_op_one);
}

/* update_va_mapping(va, pte, flags): the entry mapping va in the current
 * tables, then what the guest asks flushed on top of what the rules flush. */
int32_t pv_update_va_mapping(struct vcpu *v, const uint32_t *args)
{
    uint32_t va = args[0], pte = args[1], flags = args[2];
    if (flags != PV_UVMF_NONE && flags != PV_UVMF_TLB_FLUSH && flags != PV_UVMF_INVLPG)
        return -PV_EINVAL;
    int rc = dp_update_va(&v->guest->dp, pv_of(v)->base, va, pte);
    if (rc)
        return rc;
    if (flags != PV_UVMF_NONE)
        pv_tlb_flush(v, flags == PV_UVMF_TLB_FLUSH);
    pv_tlb_after_update(v);
    return 0;
}
