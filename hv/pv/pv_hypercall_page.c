/*
 * pv_hypercall_page.c: how a PV guest finds the hypervisor and its
 * hypercall page (lib/pv_abi.h section 1; 64-bit, VMX root).
 *
 * CPUID's hypervisor leaves (the range 0x40000000-0x400000FF is the
 * hypervisors', SDM vol. 2, CPUID) say more under cpu=pv: the highest leaf
 * is 0x40000002, leaf 0x40000001 the interface's version, leaf 0x40000002
 * where the hypercall page goes. The guest writes that MSR with the
 * machine address of a frame of its own that is no page table (a table
 * is the hypervisor's to write: the stubs would be entries it never
 * validated); anything else is #GP(0), as a CPU refuses an MSR value
 * (SDM vol. 2, WRMSR). The frame is kept (DP_KEEP): it cannot leave the
 * VM (memory_op) while it is the hypercall page.
 */
#include "exit/handlers.h"
#include "guest/guest.h"
#include "pv/pv_domain.h"
#include "pv/pv_hypercall_page.h"
#include "printf.h"
#include "string.h"
#include "vmx/inject.h"
#include "x86/x86.h"

bool pv_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->regs.rax;
    if (leaf < PV_CPUID_BASE || leaf > PV_CPUID_HYPERCALL)
        return false;
    handle_cpuid(v);                        /* the signature, RIP past CPUID */
    if (leaf == PV_CPUID_BASE)
        v->regs.rax = PV_CPUID_HYPERCALL;
    else if (leaf == PV_CPUID_VERSION)
        v->regs.rax = PV_VERSION;
    else
        v->regs.rax = 1, v->regs.rbx = PV_MSR_HYPERCALL_PAGE;
    return true;
}

/* Stub n at n * 32: mov $n, %eax; vmcall; ret (B8 imm32, 0F 01 C1, C3),
 * the rest INT3 (CC), so that a call into the middle of a stub traps. */
static void write_stubs(uint8_t *page)
{
    memset(page, 0xCC, PV_PAGE_SIZE);
    for (uint32_t n = 0; n < PV_NR_HYPERCALLS; n++) {
        uint8_t *s = page + n * PV_HYPERCALL_STUB;
        s[0] = 0xB8;
        memcpy(s + 1, &n, 4);
        s[5] = 0x0F, s[6] = 0x01, s[7] = 0xC1;
        s[8] = 0xC3;
    }
}

/* Why the guest may not have the page at machine address ma, or NULL. */
static const char *refusal(struct vcpu *v, uint64_t ma)
{
    const struct dp_vm *dp = &v->guest->dp;
    if (ma & 0xFFF)
        return "not page-aligned";
    if (!guest_ptr(v->guest, ma, PV_PAGE_SIZE))
        return "not a frame of this VM's";
    const struct dp_frame *f = &dp->m->frames[ma >> 12];
    if ((f->type == DP_L1 || f->type == DP_L2) && f->type_count)
        return "a page table";
    return NULL;
}

static bool set_hypercall_page(struct vcpu *v, uint64_t ma)
{
    struct pv_domain *pv = pv_of(v);
    const char *why = refusal(v, ma);
    uint32_t mfn = (uint32_t)(ma >> 12);
    if (why || (mfn != pv->hypercall_mfn && dp_keep(&v->guest->dp, mfn))) {
        printf("hv: %sPV guest: hypercall page at 0x%lx refused (%s): #GP injected\n", v->guest->tag,
               ma, why ? why : "the frame cannot be kept");
        inject_exception(VEC_GP, 0);
        return false;
    }
    if (pv->hypercall_mfn != PV_INVALID_MFN && pv->hypercall_mfn != mfn)
        dp_unkeep(&v->guest->dp, pv->hypercall_mfn);
    pv->hypercall_mfn = mfn;
    write_stubs(guest_ptr(v->guest, ma, PV_PAGE_SIZE));
    return true;
}

bool pv_msr(struct vcpu *v, bool write)
{
    if ((uint32_t)v->regs.rcx != PV_MSR_HYPERCALL_PAGE)
        return false;
    struct pv_domain *pv = pv_of(v);
    if (write) {
        if (!set_hypercall_page(v, v->regs.rdx << 32 | (uint32_t)v->regs.rax))
            return true;
    } else {
        uint64_t ma = pv->hypercall_mfn == PV_INVALID_MFN ? 0 : (uint64_t)pv->hypercall_mfn << 12;
        v->regs.rax = (uint32_t)ma;
        v->regs.rdx = ma >> 32;
    }
    advance_rip(v);
    return true;
}
