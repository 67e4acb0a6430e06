/*
 * direct_paging_weak.c: TEMPORARY (branch pvhv), until direct_paging.c
 * (branch pvmmu) is merged: weak stand-ins that let the PV builder and the
 * hypercall path link and boot. They validate NOTHING; the real module's
 * strong definitions replace them at link time. Delete this file when
 * direct_paging.c is in the tree.
 */
#include "guest/direct_paging.h"
#include "pv_abi.h"

#define WEAK __attribute__((weak))

static struct dp_frame *frame_of(struct dp_vm *vm, uint32_t mfn)
{
    return mfn < vm->m->nframes ? &vm->m->frames[mfn] : NULL;
}

WEAK int dp_claim(struct dp_vm *vm, uint32_t mfn)
{
    struct dp_frame *f = frame_of(vm, mfn);
    if (!f || f->owner != DP_OWNER_NONE)
        return -PV_EBUSY;
    f->owner = vm->owner;
    return 0;
}

WEAK int dp_release(struct dp_vm *vm, uint32_t mfn) { (void)vm, (void)mfn; return -PV_ENOSYS; }
WEAK int dp_keep(struct dp_vm *vm, uint32_t mfn)
{
    struct dp_frame *f = frame_of(vm, mfn);
    if (!f || f->owner != vm->owner)
        return -PV_EINVAL;
    if ((f->type == DP_L1 || f->type == DP_L2) && f->type_count)
        return -PV_EINVAL;
    f->flags |= DP_KEEP;
    return 0;
}
WEAK int dp_unkeep(struct dp_vm *vm, uint32_t mfn)
{
    struct dp_frame *f = frame_of(vm, mfn);
    if (f)
        f->flags &= (uint16_t)~DP_KEEP;
    return 0;
}
WEAK int dp_mmu_update(struct dp_vm *vm, uint32_t ptr, uint32_t val) { (void)vm, (void)ptr, (void)val; return -PV_ENOSYS; }
WEAK int dp_pin(struct dp_vm *vm, uint32_t mfn, enum dp_type level)
{
    struct dp_frame *f = frame_of(vm, mfn);
    if (!f || f->owner != vm->owner)
        return -PV_EINVAL;
    f->type = (uint8_t)level;
    f->type_count++;
    f->flags |= DP_PINNED;
    uint32_t *l2 = vm->m->frame_ptr(vm->m->ctx, mfn);
    for (unsigned i = 0; level == DP_L2 && i < DP_HV_SLOTS; i++)
        l2[DP_FIRST_HV_SLOT + i] = vm->hv_pde[i];
    return 0;
}
WEAK int dp_unpin(struct dp_vm *vm, uint32_t mfn) { (void)vm, (void)mfn; return -PV_ENOSYS; }
WEAK int dp_set_base(struct dp_vm *vm, uint32_t *base, uint32_t new_mfn)
{
    struct dp_frame *f = frame_of(vm, new_mfn);
    if (!f || f->owner != vm->owner || f->type != DP_L2 || !f->type_count)
        return -PV_EINVAL;
    *base = new_mfn;
    return 0;
}
WEAK int dp_update_va(struct dp_vm *vm, uint32_t base, uint32_t va, uint32_t pte) { (void)vm, (void)base, (void)va, (void)pte; return -PV_ENOSYS; }
