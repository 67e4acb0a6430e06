/*
 * exit_cr.c: control-register accesses that exit (64-bit, VMX root).
 *
 * With EPT the guest owns CR3 and most of CR0 and CR4. The bits that VMX
 * operation fixes (CR0.NE, CR4.VMXE, ...) belong to the hypervisor through
 * the guest/host masks (vmcs_setup.c): the guest reads the read shadows, and
 * a MOV that would change a masked bit from its shadow value exits (SDM vol.
 * 3, 26.1.3 "Instructions That Cause VM Exits Conditionally"). The handler
 * gives the guest the value it asked for in the shadow, and keeps the fixed
 * bits as the CPU needs them in the real register.
 */
#include <stddef.h>
#include "vmx/cpu_rules.h"
#include "vmx/exit_info.h" /* cr_qual_decode: the qualification (SDM 28.2.1, table 28-3) */
#include "exit/handlers.h"
#include "guest/guest.h"
#include "guest/guest_paging.h"
#include "guest/shadow_spaces.h"
#include "vmx/inject.h"
#include "vmx/long_mode_rules.h"
#include "poweroff.h"
#include "cpu/panic.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

/*
 * The values a MOV to CR0 or CR4 faults on (#GP(0): SDM vol. 3, 2.5
 * "Control Registers"; vol. 2, MOV "Move to/from Control Registers"). The
 * new value is checked together with the other register as the guest sees
 * it: a bit the guest owns (outside the guest/host mask) was set without an
 * exit, and the pair must still be one a CPU can hold. Let through, a pair
 * would fail the next VM entry (SDM 27.3.1.1), which checks the same table
 * (cpu_rules.c), or give the guest a CPU that cannot exist.
 */
static bool cr_pair_faults(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    struct cr_pair p = { cr0, cr4, (efer & EFER_LMA) != 0 };
    return cr_pair_broken_rule(&p, CR_CHECKED_BY_MOV) != NULL;
}

/* In 64-bit mode: IA-32e mode with CS.L=1 (SDM vol. 3, 5.2.1; the L bit is
 * bit 13 of the access rights, 25.4.1 table 25-2). */
#define AR_L (1u << 13)
static bool in_64bit_mode(const struct vcpu *v)
{
    return (guest_efer_view(v->guest) & EFER_LMA) &&
           (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & AR_L);
}

/* CR0: a bit IA32_VMX_CR0_FIXED1 reports 0 is one this CPU lacks: reserved.
 * Paging turned on with EFER.LME enters IA-32e mode, turned off leaves it
 * (long_mode_rules.c): *efer is the EFER the MOV leaves, which the caller
 * writes back if the MOV completes (guest_set_efer: the VMCS's EFER.LMA
 * and "IA-32e mode guest" control must agree with CR0.PG, 27.3.1.1). */
static bool cr0_faults(const struct vcpu *v, uint64_t value, uint64_t *efer)
{
    uint64_t cr4 = guest_cr4_view(v->guest);
    *efer = guest_efer_view(v->guest);
    return (value & ~v->caps->cr0_fixed1) ||
           cr0_write_long_mode(efer, guest_cr0_view(v->guest), value, cr4, in_64bit_mode(v)) ||
           cr_pair_faults(value, cr4, *efer);
}

/* CR4: the bits this CPU lacks, and VMXE, SMXE and OSXSAVE, which CPUID
 * hides from the guest (exit_cpuid.c): to it they are reserved. */
static bool cr4_faults(const struct vcpu *v, uint64_t value)
{
    return (value & (CR4_VMXE | CR4_SMXE | CR4_OSXSAVE)) || (value & ~v->caps->cr4_fixed1) ||
           cr_pair_faults(guest_cr0_view(v->guest), value, guest_efer_view(v->guest));
}

/* The source operand of a MOV to CR: 64 bits in 64-bit mode, else 32 (SDM
 * vol. 2, MOV "Move to/from Control Registers"). */
static uint64_t mov_to_cr_value(const struct vcpu *v, unsigned gpr)
{
    uint64_t value = guest_gpr(v, gpr);
    return in_64bit_mode(v) ? value : (uint32_t)value;
}

/*
 * PAE paging with EPT: VM entry takes the four PDPTEs from the VMCS, not from
 * guest memory (SDM 27.3.2.4), and a MOV that the CPU itself runs loads them
 * from CR3 (SDM 4.4.1). A MOV the hypervisor emulates must do the same: when
 * PAE paging is on after it and it changes CR0.CD, NW or PG, or CR4.PAE,
 * PGE, PSE or SMEP, read the PDPTEs at CR3 into the VMCS. A present one with
 * reserved bits (2:1, 8:5, above MAXPHYADDR) makes the MOV #GP(0) and change
 * nothing. false: the MOV must not complete (#GP injected, or the guest
 * stopped for a table outside its RAM).
 */
#define PDPTE_RESERVED 0x1E6ull
static bool load_pae_pdptes(struct vcpu *v, uint64_t old_cr0, uint64_t old_cr4, uint64_t cr0, uint64_t cr4)
{
    /* With EFER.LME, paging is 4-level: no PDPTEs (SDM 4.5). */
    bool pae_paging = (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(guest_efer_view(v->guest) & EFER_LME);
    bool reload = ((old_cr0 ^ cr0) & (CR0_CD | CR0_NW | CR0_PG)) ||
                  ((old_cr4 ^ cr4) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP));
    if (!pae_paging || !reload)
        return true;
    uint64_t pdpt = guest_cr3_view(v->guest) & 0xFFFFFFE0ull;
    const uint64_t *e = guest_ptr(v->guest, pdpt, 4 * sizeof(uint64_t));
    if (!e) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it enabled PAE paging with its page-directory-pointer "
                   "table at guest-physical 0x%lx, outside its RAM", pdpt);
        return false;
    }
    uint64_t beyond = ~0ull << v->caps->phys_addr_width;
    for (unsigned i = 0; i < 4; i++)
        if ((e[i] & 1) && (e[i] & (PDPTE_RESERVED | beyond))) {
            inject_exception(VEC_GP, 0);
            return false;
        }
    static const unsigned fields[4] = { VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2,
                                        VMCS_GUEST_PDPTE3 };
    for (unsigned i = 0; i < 4; i++)
        vmcs_write(fields[i], e[i]);
    return true;
}

/* LAB 1 BEGIN: MOV to CR0 and CR4 */
static void emulate_mov_to_cr0(struct vcpu *v, uint64_t value)
{
    const struct vmx_caps *c = v->caps;
    uint64_t fixed0 = c->cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG);   /* unrestricted guest */
    uint64_t efer;
    if (cr0_faults(v, value, &efer)) {
        inject_exception(VEC_GP, 0);
        return;
    }
    uint64_t cr4 = guest_cr4_view(v->guest);
    if (!load_pae_pdptes(v, guest_cr0_view(v->guest), cr4, value, cr4))
        return;
    guest_set_efer(v->guest, efer);
    vmcs_write(VMCS_CR0_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR0, (value | fixed0) & c->cr0_fixed1);
    advance_rip(v);
}

static void emulate_mov_to_cr4(struct vcpu *v, uint64_t value)
{
    const struct vmx_caps *c = v->caps;
    if (cr4_faults(v, value)) {
        inject_exception(VEC_GP, 0);
        return;
    }
    uint64_t cr0 = guest_cr0_view(v->guest);
    if (!load_pae_pdptes(v, cr0, guest_cr4_view(v->guest), cr0, value))
        return;
    vmcs_write(VMCS_CR4_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR4, (value | c->cr4_fixed0) & c->cr4_fixed1);
    advance_rip(v);
}

void handle_cr_access(struct vcpu *v)
{
    struct cr_qual a = cr_qual_decode(v->exit_qualification);
    if (v->guest->shadow_paging && v->guest->spaces && a.type == CR_MOV_TO && a.cr == 3) {
        shadow_spaces_load_cr3(v->guest, (uint32_t)guest_gpr(v, a.gpr));   /* bt=1: shadows kept */
        advance_rip(v);
        return;
    }
    if (v->guest->shadow_paging) {
        handle_cr_access_shadow(v);     /* lab 2: below */
        return;
    }
    if (a.type == CR_MOV_TO && a.cr == 0) {
        emulate_mov_to_cr0(v, mov_to_cr_value(v, a.gpr));
    } else if (a.type == CR_MOV_TO && a.cr == 4) {
        emulate_mov_to_cr4(v, mov_to_cr_value(v, a.gpr));
    } else {
        panic("unexpected control-register exit: CR%u, access type %u (qualification 0x%lx) "
              "at guest rip 0x%lx: the controls in vmcs_setup.c should not allow it",
              a.cr, a.type, v->exit_qualification, v->rip);
    }
}
/* LAB 1 END */

/*
 * Under shadow paging (mem=shadow, lab 2) the hypervisor owns the paging
 * controls. The CR0 guest/host mask covers PE, PG and WP and the CR4 mask
 * every bit (vmcs_setup.c), so the guest reads its own values from the read
 * shadows while the real registers say what the shadow needs (SDM 25.6.6
 * "Guest/Host Masks and Read Shadows for CR0 and CR4"); "CR3-load exiting"
 * and "CR3-store exiting" make every MOV to and from CR3 exit (SDM 26.1.3),
 * so the guest never sees the real CR3, the shadow's directory.
 */
/* LAB 2 BEGIN: CR0, CR3 and CR4 under shadow paging */
/* The guest's paging controls, for guest_paging.c's walks. */
static uint32_t paging_controls(uint64_t cr0, uint64_t cr4)
{
    return ((cr0 & CR0_WP) ? GPT_WP : 0) | ((cr4 & CR4_PSE) ? GPT_PSE : 0) |
           ((cr4 & CR4_PGE) ? GPT_PGE : 0);
}

void shadow_write_cr0(struct vcpu *v, uint64_t value)
{
    const struct vmx_caps *c = v->caps;
    uint64_t efer;   /* EFER.LME is never set under shadow paging (exit_msr.c) */
    if (cr0_faults(v, value, &efer)) {
        inject_exception(VEC_GP, 0);     /* as with EPT (emulate_mov_to_cr0) */
        return;
    }
    if (!(value & CR0_PE)) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it cleared CR0.PE (real mode), which needs the "
                   "unrestricted guest: run it with mem=ept");
        return;
    }
    /* The real CR0 keeps PE and PG (no unrestricted guest, SDM 27.3.1.1)
     * and WP, so that clean pages stay read-only to the guest kernel too
     * until the hypervisor has set their D flag. */
    vmcs_write(VMCS_CR0_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR0, (value | c->cr0_fixed0 | CR0_WP) & c->cr0_fixed1);
    shadow_set_mode(v->guest->shadow, value & CR0_PG,
                    paging_controls(value, vmcs_read(VMCS_CR4_READ_SHADOW)));
    advance_rip(v);
}

static void shadow_mov_to_cr4(struct vcpu *v, uint64_t value)
{
    const struct vmx_caps *c = v->caps;
    if (cr4_faults(v, value)) {
        inject_exception(VEC_GP, 0);     /* as with EPT (emulate_mov_to_cr4) */
        return;
    }
    if (value & (CR4_PAE | CR4_SMEP | CR4_SMAP | CR4_PKE)) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "it set CR4 to 0x%lx: shadow paging shadows "
                   "32-bit paging without PAE, PCIDs, SMEP, SMAP or protection keys; run it "
                   "with mem=ept", value);
        return;
    }
    /* The shadow has no 4 MiB pages and keeps global entries itself: the
     * real PSE and PGE stay 0. */
    vmcs_write(VMCS_CR4_READ_SHADOW, value);
    vmcs_write(VMCS_GUEST_CR4, ((value & ~(uint64_t)(CR4_PSE | CR4_PGE)) | c->cr4_fixed0) &
                               c->cr4_fixed1);
    struct shadow *s = v->guest->shadow;
    shadow_set_mode(s, s->paging, paging_controls(vmcs_read(VMCS_CR0_READ_SHADOW), value));
    advance_rip(v);
}

void handle_cr_access_shadow(struct vcpu *v)
{
    struct cr_qual a = cr_qual_decode(v->exit_qualification);
    struct shadow *s = v->guest->shadow;
    if (a.type == CR_MOV_TO && a.cr == 3) {
        shadow_load_cr3(s, (uint32_t)guest_gpr(v, a.gpr));
        advance_rip(v);
    } else if (a.type == CR_MOV_FROM && a.cr == 3) {
        set_guest_gpr(v, a.gpr, s->guest_cr3);
        advance_rip(v);
    } else if (a.type == CR_MOV_TO && a.cr == 0) {
        shadow_write_cr0(v, (uint32_t)guest_gpr(v, a.gpr));
    } else if (a.type == CR_MOV_TO && a.cr == 4) {
        shadow_mov_to_cr4(v, (uint32_t)guest_gpr(v, a.gpr));
    } else {
        panic("unexpected control-register exit under shadow paging: CR%u, access type %u "
              "(qualification 0x%lx) at guest rip 0x%lx", a.cr, a.type,
              v->exit_qualification, v->rip);
    }
}
/* LAB 2 END */
