/*
 * grant_table_op.c: the grant_table_op hypercall (see grant_table_op.h;
 * lib/pv_abi.h section 10). The grants are between VMs, so this is the
 * one place a PV VM's call reaches another VM: through the machine's table
 * of grant tables by domid (as the frame table is the machine's), never
 * through the caller's own pointers alone.
 *
 * Each op is read, and written back unchanged, before it is done (as
 * balloon.c does with its extents), so that an op whose status the guest
 * could not receive fails before it changes anything; then its status
 * (and a map's handle) is written. A call that removed a mapping set the
 * dp.flush of the VM that held it (the grantee, when the granter revokes):
 * that VM's TLB is flushed (INVVPID of its VPID, pv_tlb.h) before any VM
 * runs again.
 */
#include "pv/grant_table_op.h"
#include "guest/guest.h"
#include "pv/grant_table.h"
#include "pv/guest_copy.h"
#include "pv/pv_domain.h"
#include "pv/pv_tlb.h"
#include "pv_abi.h"
#include "string.h"

_Static_assert(GNT_DOMAINS_MAX >= VMS_MAX, "a domid for every VM");

static struct gnt_machine grants;           /* every PV VM's grant table, by domid */
static struct vcpu *vcpus[GNT_DOMAINS_MAX]; /* ... and its vCPU, for its TLB */

void pv_grant_setup(struct vm *vm)
{
    struct gnt_domain *d = &vm->pv->grants;
    d->dp = &vm->guest.dp;
    d->base = &vm->pv->base;
    grants.dom[vm->id] = d;
    vcpus[vm->id] = &vm->vcpu;
}

union gnt_op {
    struct pv_gnttab_grant_foreign_access grant;
    struct pv_gnttab_end_foreign_access end;
    struct pv_gnttab_map_grant_ref map;
    struct pv_gnttab_unmap_grant_ref unmap;
};

static uint32_t op_size(uint32_t cmd)
{
    switch (cmd) {
    case PV_GNTTABOP_grant_foreign_access: return sizeof(struct pv_gnttab_grant_foreign_access);
    case PV_GNTTABOP_end_foreign_access:   return sizeof(struct pv_gnttab_end_foreign_access);
    case PV_GNTTABOP_map_grant_ref:        return sizeof(struct pv_gnttab_map_grant_ref);
    case PV_GNTTABOP_unmap_grant_ref:      return sizeof(struct pv_gnttab_unmap_grant_ref);
    default:                               return 0;
    }
}

/* One op of the caller's (domid self), its outputs set in op. */
static void run_op(uint32_t self, uint32_t cmd, union gnt_op *op)
{
    switch (cmd) {
    case PV_GNTTABOP_grant_foreign_access:
        op->grant.status = gnt_grant(&grants, self, op->grant.ref, op->grant.domid, op->grant.mfn,
                                     op->grant.flags);
        break;
    case PV_GNTTABOP_end_foreign_access:
        op->end.status = gnt_end(&grants, self, op->end.ref);
        break;
    case PV_GNTTABOP_map_grant_ref:
        op->map.status = gnt_map(&grants, self, op->map.host_addr, op->map.flags, op->map.ref,
                                 op->map.dom, &op->map.handle);
        break;
    default:
        op->unmap.status = gnt_unmap(&grants, self, op->unmap.host_addr, op->unmap.handle);
        break;
    }
}

/* Every VM whose mapping an op removed: its TLB flushed. */
static void flush_changed(void)
{
    for (unsigned i = 0; i < GNT_DOMAINS_MAX; i++)
        if (vcpus[i])
            pv_tlb_after_update(vcpus[i]);
}

int32_t pv_grant_table_op(struct vcpu *v, const uint32_t *args)
{
    uint32_t cmd = args[0], list = args[1], count = args[2], size = op_size(cmd);
    if (!size || count == 0 || count > PV_GNTTAB_MAX_OPS)
        return -PV_EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        union gnt_op op;
        uint32_t at = list + i * size;
        if (copy_from_guest(v, &op, at, size) || copy_to_guest(v, at, &op, size))
            return -PV_EFAULT;
        run_op(v->vm->id, cmd, &op);
        flush_changed();
        if (copy_to_guest(v, at, &op, size))
            return -PV_EFAULT;
    }
    return 0;
}
