/*
 * hypercall.c: VMCALL's exit under cpu=pv, the table of hypercalls by
 * number, multicall and xen_version (64-bit, VMX root). See hypercall.h.
 *
 * VMCALL in VMX non-root operation always exits (SDM vol. 3, 26.1.2); the
 * CPU does not look at the caller's privilege, so the hypervisor does: the
 * CPL is SS.DPL (SDM 5.5; the VMCS's access rights, 25.4.1), and only the
 * guest's kernel, at ring 0, may call (lib/pv_abi.h section 2): its user
 * programs get -PV_EPERM, and RIP moves on as for any completed call.
 */
#include "pv/hypercall.h"
#include "pv/continuation.h"
#include "pv/guest_copy.h"
#include "pv/balloon.h"
#include "pv/pv_check.h"
#include "pv/evtchn.h"
#include "pv/grant_table_op.h"
#include "pv/pv_console.h"
#include "pv/pv_mmu_calls.h"
#include "pv/pv_sched.h"
#include "pv/pv_time.h"
#include "pv/pv_domain.h"
#include "printf.h"
#include "pv_abi.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

#define AR_DPL(ar) (((ar) >> 5) & 3)

static int32_t pv_multicall(struct vcpu *v, const uint32_t *args);
static int32_t pv_xen_version(struct vcpu *v, const uint32_t *args);

/* The calls by number (Xen's, lib/pv_abi.h), each handler in the file of
 * its concept, declared in that file's header; a number without a row is
 * -PV_ENOSYS. One row per call, in number order, so that each helper's
 * calls go in without touching another's rows. */
static const pv_hypercall_fn calls[PV_NR_HYPERCALLS] = {
    [PV_mmu_update]        = pv_mmu_update,
    [PV_set_callbacks]     = pv_set_callbacks,
    [PV_memory_op]         = pv_memory_op,
    [PV_multicall]         = pv_multicall,
    [PV_update_va_mapping] = pv_update_va_mapping,
    [PV_set_timer_op]      = pv_set_timer_op,
    [PV_xen_version]       = pv_xen_version,
    [PV_console_io]        = pv_console_io,
    [PV_grant_table_op]    = pv_grant_table_op,
    [PV_vcpu_op]           = pv_vcpu_op,
    [PV_mmuext_op]         = pv_mmuext_op,
    [PV_sched_op]          = pv_sched_op,
    [PV_event_channel_op]  = pv_event_channel_op,
};

/* Their names, for the counts at the end of a run. */
static const char *const names[PV_NR_HYPERCALLS] = {
    [PV_mmu_update] = "mmu_update", [PV_set_callbacks] = "set_callbacks", [PV_memory_op] = "memory_op",
    [PV_multicall] = "multicall", [PV_update_va_mapping] = "update_va_mapping",
    [PV_set_timer_op] = "set_timer_op", [PV_xen_version] = "xen_version", [PV_console_io] = "console_io",
    [PV_grant_table_op] = "grant_table_op", [PV_vcpu_op] = "vcpu_op",
    [PV_mmuext_op] = "mmuext_op", [PV_sched_op] = "sched_op", [PV_event_channel_op] = "event_channel_op",
};

/* The counts `hv: hypercalls:` prints: a call of a multicall apart. */
static void count_call(struct pv_domain *pv, uint32_t op)
{
    if (pv->multicall_depth)
        pv->stats[op].in_multicalls++;
    else
        pv->stats[op].calls++;
}

int32_t pv_hypercall(struct vcpu *v, uint32_t op, const uint32_t *args)
{
    if (op < PV_NR_HYPERCALLS)
        count_call(pv_of(v), op);
    /* LAB 5 BEGIN: find the call's handler by its number */
    if (op >= PV_NR_HYPERCALLS || !calls[op])
        return -PV_ENOSYS;
    return calls[op](v, args);
    /* LAB 5 END */
}

/* A VMCALL's call, made only for the guest's kernel: the CPL is SS.DPL
 * (SDM 5.5; the VMCS's access rights, 25.4.1). */
static int32_t call_from_kernel(struct vcpu *v, uint32_t op, const uint32_t *args)
{
    /* LAB 5 BEGIN: only ring 0 may call */
    return AR_DPL(vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS)) != 0 ? -PV_EPERM : pv_hypercall(v, op, args);
    /* LAB 5 END */
}

void pv_hypercall_print_stats(const struct vcpu *v, const char *tag)
{
    const struct pv_domain *pv = pv_of(v);
    for (unsigned op = 0; op < PV_NR_HYPERCALLS; op++) {
        const struct pv_hypercall_stats *s = &pv->stats[op];
        if (s->calls || s->in_multicalls)
            printf("hv: %shypercalls: %-18s %10lu calls %10lu in multicalls %10lu requests %12lu cycles\n",
                   tag, names[op], s->calls, s->in_multicalls, s->requests, s->cycles);
    }
}

void handle_hypercall(struct vcpu *v)
{
    uint32_t op = (uint32_t)v->regs.rax;
    uint32_t args[PV_HYPERCALL_ARGS] = { (uint32_t)v->regs.rbx, (uint32_t)v->regs.rcx,
                                         (uint32_t)v->regs.rdx, (uint32_t)v->regs.rsi,
                                         (uint32_t)v->regs.rdi };
    uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
    pv_work_begin(v);
    uint64_t start = rdtsc();
    int32_t result = call_from_kernel(v, op, args);
    if (op < PV_NR_HYPERCALLS)
        pv_of(v)->stats[op].cycles += rdtsc() - start;
    pv_check_after_hypercall(v);
    if (v->stopped)
        return;
    const uint32_t *rest = pv_continuation(v);
    if (rest) {
        /* The rest is the same VMCALL's: EAX keeps the call's number, the
         * arguments say where to go on, RIP stays on the instruction. */
        uint64_t *regs[PV_HYPERCALL_ARGS] = { &v->regs.rbx, &v->regs.rcx, &v->regs.rdx,
                                              &v->regs.rsi, &v->regs.rdi };
        for (unsigned i = 0; i < PV_HYPERCALL_ARGS; i++)
            *regs[i] = rest[i];
        return;
    }
    /* EAX only: every other register is kept (lib/pv_abi.h section 2). A
     * call that moved RIP itself (sched_op block's wait) has done so. */
    v->regs.rax = (uint32_t)result;
    if (vmcs_read(VMCS_GUEST_RIP) == rip)
        advance_rip(v);
}

/* The multicall goes on at entry i of its list (hypercall.h). */
static int32_t continue_multicall(struct vcpu *v, const uint32_t *args, uint32_t i)
{
    uint32_t next[PV_HYPERCALL_ARGS];
    memcpy(next, args, sizeof(next));
    next[0] = args[0] + i * (uint32_t)sizeof(struct pv_multicall_entry);
    next[1] = args[1] - i;
    pv_continue(v, next);
    return 0;
}

/* multicall(entries *, count): each entry as its own call, in order, its
 * result written back whatever it was; a failing call does not stop the
 * others (Xen's rule). A list the guest cannot read, or a result it cannot
 * have written (a read-only page), ends the call with -PV_EFAULT: the
 * entries before it were done. The list is read a page's part at a time
 * (guest_list: an entry's call that writes into later entries of its own
 * list does not change them for this call). A multicall inside one is -PV_EINVAL in its
 * entry, so that no guest makes the hypervisor recurse. A long list goes on
 * in parts (each entry one unit of pv_work); an entry whose own batch was
 * cut gets its arguments rewritten in the list, and the list goes on from
 * it (Xen's multicall continuation). */
static int32_t pv_multicall(struct vcpu *v, const uint32_t *args)
{
    struct pv_domain *pv = pv_of(v);
    uint32_t list = args[0], count = args[1];
    struct guest_list entries;
    guest_list_start(&entries, v, list, count, sizeof(struct pv_multicall_entry));
    for (uint32_t i = 0; i < count; i++) {
        struct pv_multicall_entry e;
        uint32_t at = list + i * (uint32_t)sizeof(e);
        if (!pv_work(v))
            return continue_multicall(v, args, i);
        const void *entry = count > 0xFFFFFFFFu / sizeof(e) ? NULL : guest_list_next(&entries);
        if (!entry)
            return -PV_EFAULT;
        memcpy(&e, entry, sizeof(e));
        if (e.op == PV_multicall) {
            e.result = -PV_EINVAL;
        } else {
            pv->multicall_depth++;
            e.result = pv_hypercall(v, e.op, e.args);
            pv->multicall_depth--;
        }
        if (v->stopped)                 /* a shutdown in the list ends it */
            return 0;
        const uint32_t *rest = pv_continuation(v);
        if (rest) {                     /* its batch was cut: the entry goes on later */
            pv_continuation_taken(v);
            if (copy_to_guest(v, at + offsetof(struct pv_multicall_entry, args), rest,
                              PV_CONTINUE_ARGS * sizeof(uint32_t)))
                return -PV_EFAULT;
            return continue_multicall(v, args, i);
        }
        if (copy_to_guest(v, at + offsetof(struct pv_multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -PV_EFAULT;
    }
    return 0;
}

/* xen_version(cmd, arg *): the interface's version, the cheapest call
 * there is (a guest makes it to have a pending upcall delivered). */
static int32_t pv_xen_version(struct vcpu *v, const uint32_t *args)
{
    (void)v;
    return args[0] == PV_XENVER_version ? (int32_t)PV_VERSION : -PV_EINVAL;
}
