/*
 * async_pf.c: pseudo page faults, the hypervisor's side (64-bit, VMX root
 * operation; async_pf.h, lib/apf_abi.h).
 */
#include "exit/async_pf.h"
#include "exit/handlers.h"
#include "apf_abi.h"
#include "exit/vm_devices.h"
#include "guest/overcommit.h"
#include "guest/vm.h"
#include "printf.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define HV_LEAF_BASE   0x40000000u
#define EN_RESERVED    0x36ull      /* bits 1, 2, 4, 5: refused (apf_abi.h) */
#define FIRST_VECTOR   32           /* below: the exceptions' (SDM 6.3) */
#define REFUSALS_SHOWN 8            /* refused writes with a line each; the rest only counted (a guest
                                     * looping on a refused WRMSR would fill the log at one exit a line) */

void async_pf_setup(struct vm *vm, uint32_t pages, uint64_t latency, uint64_t ept_vpid_cap)
{
    struct guest *g = &vm->guest;
    g->overcommit = overcommit_create(&g->ept, g->ram_hpa, (uint32_t)(g->ram_size >> 12), pages, latency,
                                      ept_vpid_cap);
    g->special_memory = true;           /* guest_ptr brings a page in first */
    vmcs_write(VMCS_EPT_POINTER, ept_pointer(&g->ept));
    printf("hv: %spaging: at most %u of its %lu pages resident, a page-in %lu TSC cycles; pseudo page "
           "faults offered (CPUID 0x%x, MSR 0x%x)\n", g->tag, pages, g->ram_size >> 12, latency,
           APF_CPUID_LEAF, MSR_HVL_APF_EN);
}

static bool agreed(const struct overcommit *oc)
{
    return (oc->apf.en & APF_EN_ENABLED) != 0;
}

/* The area the guest gave: its page is pinned, so resident (guest_ptr). */
static volatile struct apf_area *area(const struct vcpu *v)
{
    return guest_ptr(v->guest, v->guest->overcommit->apf.en & APF_EN_ADDR_MASK, sizeof(struct apf_area));
}

/* LAB 6 BEGIN: pseudo page faults delivered: "page not present" when the guest can take it, "page ready" */
/* Can the guest take "page not present" now (KVM's rules, lib/apf_abi.h)?
 * Only if it agreed, at CPL 3 with IF = 1 and no STI or MOV SS blocking
 * (the process, not its kernel, waits; the kernel can switch), for a page
 * with no page-in under way already, and once it took the last (the
 * area's flags back to 0). The CPL is SS.DPL (SDM 25.4.1, access rights
 * bits 6:5). */
static bool can_tell_not_present(const struct vcpu *v, const struct overcommit *oc, uint32_t page)
{
    if (!agreed(oc) || ((vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3) != 3)
        return false;
    if (!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) ||
        (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & (BLOCKING_STI | BLOCKING_MOV_SS)))
        return false;
    if (pageins_find_under_way(&oc->pageins, page) >= 0)
        return false;
    return area(v)->flags == 0;
}

/* The guest faulted on page, which is out (EPT violation): if it can take
 * "page not present", start the page-in with a token (pageins_start; the
 * table full: false, and the fault stalls), count the page as coming in
 * (rs_set_incoming: the trim makes room for it), set the area's flags and
 * inject #PF with error code 0 and CR2 = the token, counted in
 * oc->apf.not_present. True if told. */
static bool tell_not_present(struct vcpu *v, struct overcommit *oc, uint32_t page)
{
    if (!can_tell_not_present(v, oc, page))
        return false;
    int i = pageins_start(&oc->pageins, page, rdtsc() + oc->latency, true);
    if (i < 0)
        return false;                   /* the table is full: a stall */
    rs_set_incoming(&oc->rs, page);
    uint32_t token = oc->pageins.slot[i].token;
    area(v)->flags = APF_FLAG_NOT_PRESENT;
    /* KVM's delivery: #PF, error code 0, CR2 the token. With EPT the
     * guest's CR2 is the CPU's own (no VMCS field holds it, SDM 25.4.1):
     * the hypervisor's code up to the entry takes no page fault. */
    write_cr2(token);
    inject_exception(VEC_PF, 0);
    oc->apf.not_present++;
    return true;
}

/* Before each VM entry: "page ready" for the first page-in done
 * (pageins_next_to_tell), once the guest took the last (token 0 in the
 * area, and MSR_HVL_APF_ACK written) and no vector waits for injection:
 * the token in the area, the guest's vector (MSR_HVL_APF_INT) raised
 * (d->hv_vector, injected as an interrupt when the guest can take one),
 * oc->apf.ready_unacked set until the ACK, counted in oc->apf.ready. A
 * guest that turned the protocol off is told nothing more: what was done
 * is dropped (counted in oc->apf.dropped). */
static void tell_ready(struct vcpu *v, struct overcommit *oc, struct vm_devices *d)
{
    if (!agreed(oc)) {
        oc->apf.dropped += pageins_drop_untold(&oc->pageins);
        return;
    }
    int i = pageins_next_to_tell(&oc->pageins);
    if (i < 0 || d->hv_vector || oc->apf.ready_unacked)
        return;
    volatile struct apf_area *a = area(v);
    if (a->token)
        return;
    a->token = oc->pageins.slot[i].token;
    pageins_told(&oc->pageins, i);
    d->hv_vector = (uint8_t)(oc->apf.intr & APF_INT_VECTOR_MASK);
    oc->apf.ready_unacked = true;
    oc->apf.ready++;
}
/* LAB 6 END */

bool async_pf_ept_violation(struct vcpu *v)
{
    struct overcommit *oc = v->guest->overcommit;
    uint64_t page = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS) >> 12;
    if (page >= oc->rs.pages || !overcommit_is_out(oc, (uint32_t)page))
        return false;
    struct vm_devices *d = v->vm->devices;
    if (!d->held_until_tsc)                     /* not the same stall's fault again */
        oc->stats.faults++;
    struct event_info idt = event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO));
    if (!idt.valid && tell_not_present(v, oc, (uint32_t)page))
        return true;
    bool first = !d->held_until_tsc;
    if (agreed(oc) && first)
        oc->apf.stalled_agreed++;
    /* Another VM on the CPU: it runs while this one waits (sched.c), the
     * vCPU held, with no interrupt, until the page is in. */
    if (d->shared_cpu && !idt.valid && (d->held_until_tsc = overcommit_start_wait(oc, (uint32_t)page, first)))
        return true;
    overcommit_wait_for(oc, (uint32_t)page);    /* the VM's time passes */
    if (idt.valid)
        redeliver(idt);                         /* SDM 28.2.4: the event it was delivering */
    return true;
}

void async_pf_before_entry(struct vcpu *v)
{
    struct overcommit *oc = v->guest->overcommit;
    struct vm_devices *d = v->vm->devices;
    uint64_t now = rdtsc();
    for (int i; (i = pageins_due(&oc->pageins, now)) >= 0; ) {
        overcommit_page_in(oc, oc->pageins.slot[i].page);
        pageins_complete(&oc->pageins, i);
    }
    if (d->held_until_tsc && now >= d->held_until_tsc)
        d->held_until_tsc = 0;          /* its page is in (above): the stall is over */
    tell_ready(v, oc, d);
    overcommit_trim(oc);
    d->apf_event_tsc = pageins_next_done(&oc->pageins);
}

/* The area's page is pinned while it is the area: a "page not present"
 * must never wait for the page that would tell it. */
static void pin_area(struct overcommit *oc, uint64_t en, bool pinned)
{
    if (en & APF_EN_ENABLED)
        rs_pin(&oc->rs, (uint32_t)((en & APF_EN_ADDR_MASK) >> 12), pinned);
}

/* MSR_HVL_APF_EN: false for a value refused (apf_abi.h): reserved bits,
 * no interrupt delivery, no vector chosen yet, an area not all in RAM (64
 * bytes at a 64-byte boundary cannot straddle a page). */
static bool write_en(struct vcpu *v, struct overcommit *oc, uint64_t value)
{
    if (value & EN_RESERVED)
        return false;
    if (value & APF_EN_ENABLED) {
        if (!(value & APF_EN_DELIVERY_AS_INT) || !oc->apf.intr ||
            !guest_ptr(v->guest, value & APF_EN_ADDR_MASK, sizeof(struct apf_area)))
            return false;
    }
    pin_area(oc, oc->apf.en, false);
    oc->apf.en = value;
    pin_area(oc, value, true);
    if (!(value & APF_EN_ENABLED))
        oc->apf.ready_unacked = false;
    return true;
}

/* Double paging's count (lecture slide 8): the guest writes frame `value`
 * to its own swap; if the hypervisor had written the page to its store,
 * the guest's read of it brings it back only to be written out again. */
static bool pageout_hint(struct vcpu *v, struct overcommit *oc, uint64_t value)
{
    if ((value & 0xFFF) || value >= v->guest->ram_size)
        return false;
    oc->apf.swap_hints++;
    oc->apf.written_twice += overcommit_is_out(oc, (uint32_t)(value >> 12));
    return true;
}

static bool write_msr(struct vcpu *v, struct overcommit *oc, uint32_t msr, uint64_t value)
{
    switch (msr) {
    case MSR_HVL_PAGEOUT_HINT:
        return pageout_hint(v, oc, value);
    case MSR_HVL_APF_EN:
        return write_en(v, oc, value);
    case MSR_HVL_APF_INT:
        if (value & ~APF_INT_VECTOR_MASK || value < FIRST_VECTOR)
            return false;
        oc->apf.intr = value;
        return true;
    default:        /* MSR_HVL_APF_ACK */
        if (value != APF_ACK_DONE)
            return false;
        oc->apf.ready_unacked = false;
        return true;
    }
}

bool async_pf_msr_exit(struct vcpu *v)
{
    struct overcommit *oc = v->guest->overcommit;
    uint32_t msr = (uint32_t)v->regs.rcx;
    if ((msr != MSR_HVL_APF_EN && msr != MSR_HVL_APF_INT && msr != MSR_HVL_APF_ACK &&
                msr != MSR_HVL_PAGEOUT_HINT))
        return false;
    if ((v->exit_reason & 0xFFFF) == EXIT_RDMSR) {
        uint64_t value = msr == MSR_HVL_APF_EN ? oc->apf.en : msr == MSR_HVL_APF_INT ? oc->apf.intr : 0;
        v->regs.rax = (uint32_t)value;
        v->regs.rdx = value >> 32;
    } else {
        uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
        if (!write_msr(v, oc, msr, value)) {
            if (oc->apf.refused < REFUSALS_SHOWN)
                printf("hv: %sguest writes MSR 0x%x: 0x%lx refused (lib/apf_abi.h), #GP injected\n",
                       v->guest->tag, msr, value);
            else if (oc->apf.refused == REFUSALS_SHOWN)
                printf("hv: %sguest's further refused writes of the pseudo page fault MSRs: #GP, counted at "
                       "the VM's end, not shown\n", v->guest->tag);
            oc->apf.refused++;
            inject_exception(VEC_GP, 0);    /* RIP stays: #GP is a fault */
            return true;
        }
    }
    advance_rip(v);
    return true;
}

void async_pf_after_cpuid(struct vcpu *v, uint32_t leaf)
{
    if (leaf == HV_LEAF_BASE)
        v->regs.rax = APF_CPUID_LEAF;
    else if (leaf == APF_CPUID_LEAF)
        v->regs.rax = APF_CPUID_EAX_OFFERED;
}

void async_pf_print_stats(const struct vcpu *v)
{
    const struct overcommit *oc = v->guest->overcommit;
    overcommit_print_stats(oc, v->guest->tag);
    printf("hv: %spseudo page faults: %lu page not present, %lu page ready, %lu faults stalled although "
           "agreed, %lu ready dropped, %lu MSR writes refused\n", v->guest->tag, oc->apf.not_present,
           oc->apf.ready, oc->apf.stalled_agreed, oc->apf.dropped, oc->apf.refused);
    if (oc->apf.swap_hints)
        printf("hv: %sdouble paging: the guest wrote %lu pages to its own swap, %lu of them paged out by the "
               "hypervisor already (written twice)\n", v->guest->tag, oc->apf.swap_hints, oc->apf.written_twice);
}
