/*
 * pv_cr.c: the control-register exits of a PV guest (64-bit, VMX root):
 * what guest/vmcs_setup_direct.c makes exit under direct paging.
 *
 * MOV to CR3 exits for every value (CR3-load exiting, no CR3-target
 * value: SDM 25.6.7, 26.1.3) and is done as MMUEXT_NEW_BASEPTR: the frame
 * must be an L2 of the VM's, validated (dp_set_base); refused, it is
 * #GP(0), as a CPU refuses a control-register value. MOV to CR0 and CR4
 * exits only when it would change a bit the guest/host mask gives the
 * hypervisor from its read-shadow value (SDM 25.6.6, 26.1.3): paging's
 * own bits (pv-design.md), which the guest may not change: #GP(0).
 */
#include "pv/pv_cr.h"
#include "guest/guest.h"
#include "guest/vmcs_setup_direct.h"
#include "pv/pv_tlb.h"
#include "poweroff.h"
#include "printf.h"
#include "vmx/exit_info.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

/* A MOV to CR0 or CR4 that exited: an owned bit would change. Were it
 * none (a CPU that exits for more than the SDM says), the guest's bits
 * are written and the owned ones kept. */
static void mov_to_masked_cr(struct vcpu *v, uint64_t value, unsigned real, unsigned shadow,
                             uint64_t owned)
{
    uint64_t view = vmcs_read(shadow);
    if ((value ^ view) & owned) {
        printf("hv: %sPV guest: MOV to CR%u 0x%lx would change bits 0x%lx that direct paging keeps: "
               "#GP injected\n", v->guest->tag, shadow == VMCS_CR0_READ_SHADOW ? 0 : 4, value,
               (value ^ view) & owned);
        inject_exception(VEC_GP, 0);
        return;
    }
    vmcs_write(real, (vmcs_read(real) & owned) | (value & ~owned));
    advance_rip(v);
}

static void mov_to_cr3(struct vcpu *v, uint32_t value)
{
    int r = pv_new_baseptr(v, value >> 12);
    if (r) {
        printf("hv: %sPV guest: MOV to CR3 0x%x refused (%d: not an L2 of this VM's that "
               "validates): #GP injected\n", v->guest->tag, value, r);
        inject_exception(VEC_GP, 0);
        return;
    }
    advance_rip(v);
}

void pv_cr_access(struct vcpu *v)
{
    struct cr_qual a = cr_qual_decode(v->exit_qualification);
    uint32_t value = (uint32_t)guest_gpr(v, a.gpr);
    if (a.type == CR_MOV_TO && a.cr == 3)
        mov_to_cr3(v, value);
    else if (a.type == CR_MOV_TO && a.cr == 0)
        mov_to_masked_cr(v, value, VMCS_GUEST_CR0, VMCS_CR0_READ_SHADOW,
                         direct_paging_cr0_owned(v->caps));
    else if (a.type == CR_MOV_TO && a.cr == 4)
        mov_to_masked_cr(v, value, VMCS_GUEST_CR4, VMCS_CR4_READ_SHADOW,
                         direct_paging_cr4_owned(v->caps));
    else
        guest_stop(v, POWEROFF_GUEST_STOPPED, "control-register exit the PV controls should not "
                   "give: CR%u, access type %u (qualification 0x%lx)", a.cr, a.type,
                   v->exit_qualification);
}
