/*
 * exit.c: the exit loop and the dispatcher (64-bit, VMX root operation).
 *
 *   vcpu_run:    enter the guest (vmx_run, vmx_entry.S) until it stops;
 *   on_exit:     what every VM exit runs: read the exit's facts, count and
 *                trace it, dispatch, and say whether to resume;
 *   handle_exit: one switch on the basic exit reason (SDM vol. 3, Appendix C),
 *                one small handler per reason, in the exit_*.c files.
 * Every exit is counted and traced (exit_stats.c); a reason without a
 * handler stops everything with a full report, never silently.
 */
#include "exit.h"
#include "exit/handlers.h"
#include "exit/async_pf.h"
#include "exit/vm_interrupts.h"
#include "exit/vm_lapic.h"
#include "exit/vm_mmio.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt.h"
#include "pv/pv_events.h"
#include "pv/pv_exit.h"
#include "check/entry_report.h"
#include "guest/ept_check.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "guest/exit_stats.h"
#include "gdb/gdb.h"
#include "guest/guest.h"
#include "guest/vm.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

/* VMLAUNCH/VMRESUME failed, or the entry failed after its checks began
 * (exit reason bit 31). Either way, say exactly why. */
static _Noreturn void entry_failed(struct vcpu *v, int status)
{
    if (status == VMX_FAIL_INVALID)
        panic("VM entry failed: VMfailInvalid (no current VMCS)");
    if (status == VMX_FAIL_VALID) {
        unsigned err = (unsigned)vmcs_read(VMCS_VM_INSTRUCTION_ERROR);
        printf("hv: %s failed: VM-instruction error %u (%s)\n",
               v->launched ? "VMRESUME" : "VMLAUNCH", err, vm_instruction_error_name(err));
    } else {
        printf("hv: VM entry failed: exit reason %u (%s), qualification %lu\n",
               v->exit_reason & 0xFFFF, exit_reason_name(v->exit_reason & 0xFFFF),
               v->exit_qualification);
    }
    unsigned broken = entry_report(v->caps);
    if (!broken) {
        /* The CPU refused a VMCS that breaks no rule the checker knows: no
         * line above names a field, so show them all, to hold against the
         * checks of SDM chapter 27. */
        vmcs_dump();
        panic("VM entry failed, and the VM-entry checker knows no rule this VMCS breaks "
              "(every field above)");
    }
    panic("VM entry failed: the VM-entry checker found %u broken rule%s above", broken,
          broken == 1 ? "" : "s");
}

/* The facts of this exit that every handler needs (SDM 28.2 "Recording
 * VM-Exit Information"). These VMREADs cannot fail (vmcs.h), so they go
 * unchecked: four branches fewer on every exit. */
static void read_exit_info(struct vcpu *v)
{
    v->exit_reason = (uint32_t)vmcs_read_unchecked(VMCS_EXIT_REASON);
    v->exit_qualification = vmcs_read_unchecked(VMCS_EXIT_QUALIFICATION);
    v->rip = vmcs_read_unchecked(VMCS_GUEST_RIP);
    v->instruction_length = (uint32_t)vmcs_read_unchecked(VMCS_EXIT_INSTRUCTION_LENGTH);
}

/* An exit the dispatcher has no case for: a gap in the hypervisor, not the
 * guest's fault, but the guest is what cannot go on. It is stopped with the
 * full story; the hypervisor lives on (and a second guest would too).
 * Out of line: inlined, it would cost on_exit registers on every exit. */
static __attribute__((noinline, cold)) void unhandled_exit(struct vcpu *v)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    if (reason == EXIT_EPT_MISCONFIG) {      /* the hypervisor's EPT is wrong: say where */
        ept_misconfiguration_stop(v);
        return;
    }
    printf("hv: %sunhandled VM exit: reason %u (%s), qualification 0x%lx, at guest rip 0x%lx\n",
           v->guest->tag, reason, exit_reason_name(reason), v->exit_qualification,
           v->rip);
    guest_stop(v, POWEROFF_GUEST_STOPPED, "no handler for VM exit reason %u (%s): add one to "
               "handle_exit in hv/exit.c", reason, exit_reason_name(reason));
}

/* LAB 1 BEGIN: the exit dispatcher */
static inline void handle_exit(struct vcpu *v)
{
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_EXCEPTION_NMI:     handle_exception_or_nmi(v); break;
    case EXIT_TRIPLE_FAULT:      handle_triple_fault(v); break;
    case EXIT_CPUID:             handle_cpuid(v); break;
    case EXIT_HLT:               handle_hlt(v); break;
    case EXIT_IO_INSTRUCTION:    handle_io(v); break;
    case EXIT_RDMSR:             handle_rdmsr(v); break;
    case EXIT_WRMSR:             handle_wrmsr(v); break;
    case EXIT_CR_ACCESS:         handle_cr_access(v); break;
    case EXIT_EPT_VIOLATION:     handle_ept_violation(v); break;
    case EXIT_INVLPG:            handle_invlpg_spaces(v); break;          /* mem=shadow (lab 2) */
    case EXIT_INVD:              handle_invd(v); break;
    case EXIT_XSETBV: case EXIT_GETSEC:
                                 handle_unsupported_instruction(v); break;
    case EXIT_TASK_SWITCH:       handle_task_switch(v); break;
    case EXIT_VMCALL:
    case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST:
    case EXIT_VMREAD: case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF:
    case EXIT_VMXON: case EXIT_INVEPT: case EXIT_INVVPID:
                                 handle_vmx_instruction(v); break;
    default:                     unhandled_exit(v);
    }
}
/* LAB 1 END */

extern char vmx_exit[];   /* vmx_entry.S */

bool host_rip_check(const char *prefix)
{
    uint64_t rip = 0;
    vmread_checked(VMCS_HOST_RIP, &rip);    /* not vmcs_read: it may run inside a panic */
    if (rip == (uintptr_t)vmx_exit)
        return true;
    printf("%sHOST_RIP (VMCS field 0x%x) is 0x%lx, not vmx_exit (0x%lx): every VM exit continues "
           "there (SDM 28.5.3, loading host RIP): %s\n", prefix, VMCS_HOST_RIP, rip,
           (uintptr_t)vmx_exit, rip == 0
           ? "was it ever written? (setup_host_state) A #PF at rip 0 follows the first exit"
           : "is it the right symbol? (setup_host_state)");
    return false;
}

/* The vCPU this CPU runs now (vcpu_run), for the report of a panic: the
 * physical CPU's state, not a guest's (Linux's `current`). One CPU runs the
 * VMs one after the other. */
static struct vcpu *running;

/* After a panic in vcpu_run: the last exits, and the first suspect when the
 * hypervisor faulted right after an exit that never reached on_exit. */
static void print_trace_on_panic(void)
{
    exit_trace_print(&running->stats, running->guest->tag);
    host_rip_check("hv: the hypervisor faulted after entering the guest, and ");
}

/* A guest stuck on one instruction, for an instruction that only completes
 * when its handler advances RIP, would execute it forever (a silent
 * timeout). Every STUCK_CHECK_EVERY exits the trace is read: if all of its
 * last EXIT_TRACE_SIZE exits are this one (reason and RIP), the handler is
 * watched through this exit, and if it leaves RIP on the instruction and
 * injects nothing, the guest is stopped. An honest loop (CPUID or IN polled
 * at one RIP) advances RIP each time and goes on. Every other exit pays
 * for one test of the exit count's low bits. */
#define STUCK_CHECK_EVERY 8192      /* a power of two */

/* The run's dispatch, handle_exit or one below, chosen by vcpu_run from the
 * vCPU's mode: the CPU's current choice, as `running` is. */
static void (*dispatcher)(struct vcpu *v);

/* A guest stuck on one instruction: stop it, and say what was not done. */
static void stop_stuck_guest(struct vcpu *v)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    guest_stop(v, POWEROFF_GUEST_STOPPED, "VM exits for %s again and again at rip 0x%lx (the last %u "
               "all there), qualification 0x%lx, and the handler left RIP there: did it advance RIP? "
               "(SDM 28.2.5: a completed instruction moves RIP on by the VM-exit instruction length, "
               "%u here: advance_rip)", exit_reason_name(reason), v->rip,
               EXIT_TRACE_SIZE, v->exit_qualification, v->instruction_length);
}

/* Whether the trace's every exit is this one: the same reason at the same
 * RIP, EXIT_TRACE_SIZE times in a row. */
static bool trace_all_here(const struct vcpu *v)
{
    for (unsigned i = 0; i < EXIT_TRACE_SIZE; i++)
        if (v->stats.trace[i].rip != v->rip || v->stats.trace[i].reason != v->exit_reason)
            return false;
    return exit_reason_is_completed_instruction(v->exit_reason & 0xFFFF);
}

/* A long REP INS or OUTS done in parts (exit_io_string.c) leaves RIP on
 * the instruction until its count is 0: its progress is the count going
 * down. (Other registers prove nothing: a CPUID whose RIP stays changes
 * EAX at every turn.) */
static bool rep_string_progress(const struct vcpu *v, uint64_t rcx_before)
{
    if ((v->exit_reason & 0xFFFF) != EXIT_IO_INSTRUCTION)
        return false;
    struct io_qual io = io_qual_decode(v->exit_qualification);
    return io.string && io.rep && v->regs.rcx != rcx_before;
}

/* The exit to check: dispatched as any other, and if the trace says the
 * guest is on one instruction, the handler's work is checked: RIP moved
 * on, or an event injected (a fault leaves RIP on the instruction, SDM
 * 27.6), or the guest stopped, or a REP string I/O's count went down.
 * Out of line and cold. */
static __attribute__((noinline, cold)) void dispatch_watching_rip(struct vcpu *v)
{
    bool suspect = trace_all_here(v);
    uint64_t rcx_before = v->regs.rcx;
    dispatcher(v);
    if (!suspect || v->stopped || vmcs_read(VMCS_GUEST_RIP) != v->rip ||
        (vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO) & INFO_VALID) || rep_string_progress(v, rcx_before))
        return;
    stop_stuck_guest(v);
}

/* Whether this exit is one to check (dispatch_watching_rip). */
static inline bool watch_this_exit(const struct vcpu *v)
{
    return __builtin_expect((v->stats.total & (STUCK_CHECK_EVERY - 1)) == 0, 0);
}

/* What every exit does first: read its facts, count and trace it (the
 * exit's cycles go where v->exit_cycles says), and stop at once with the
 * full story if it is a VM entry that failed (SDM 27.8). */
static inline void begin_exit(struct vcpu *v)
{
    read_exit_info(v);
    v->exit_cycles = exit_stats_record(&v->stats, v->exit_reason, v->rip, v->exit_qualification);
    if (v->exit_reason & EXIT_REASON_ENTRY_FAILURE)
        entry_failed(v, VMX_OK);
}

/* What every exit does: begin_exit, then the run's dispatch, or the watch
 * of a suspected stuck guest. Inlined with a constant `dispatch`, so that
 * each on_exit below makes its dispatch a jump. */
static inline __attribute__((always_inline)) void exit_via(struct vcpu *v, void (*dispatch)(struct vcpu *v))
{
    begin_exit(v);
    if (watch_this_exit(v))
        dispatch_watching_rip(v);
    else
        dispatch(v);
}

/* The C half of every VM exit: vmx_exit (vmx_entry.S) calls it with the
 * guest's GPRs saved in v->regs, and resumes the guest unless the handler
 * stopped it. The handler is its last call, so the compiler makes it a
 * jump: every exit pays for one call less. */
static void on_exit(struct vcpu *v)
{
    exit_via(v, handle_exit);
}

/* Is this exception-or-NMI exit the machine's NMI (SDM 28.2.2)? */
static bool machine_nmi(void)
{
    return event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO)).type == EVENT_NMI;
}

/* With devices=virtual the VM's APICs answer the exits that are their own
 * first: an access to a register page (vm_mmio.h), an EPT violation or a
 * #PF, which would otherwise stop the guest as outside its RAM, and the
 * local APIC's MSRs (vm_lapic.h); a HLT with interrupts off waits for an
 * NMI that can still come (exit_hlt.c); and CPUID's leaf 1 tells the truth
 * about it; a PV guest's VMCALL, control-register, CPUID and MSR exits go
 * to pv/ first (pv_exit.h). By exit reason, so that the others pay nothing
 * for it, and pv/ only where `pv` says so, a paged VM's pseudo page
 * faults (resident=, async_pf.h: its EPT violations on pages out, its
 * MSRs, CPUID's leaves 0x40000000 and 0x40000003) only where `paged` does:
 * constants, each of the three handlers below inlining this one (a VM is
 * PV, paged, or neither, from its creation: resident= needs cpu=hvm;
 * vcpu_run picks the handler). The machine's NMI becomes the local APIC's,
 * and a fault's exit leaves the guest's blocking of NMIs right
 * (vm_interrupts.h). */
static inline __attribute__((always_inline)) void handle_exit_with_lapic_as(struct vcpu *v, bool pv, bool paged)
{
    uint32_t leaf;
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_VMCALL: case EXIT_CR_ACCESS:   /* cpu=pv (which implies devices=virtual): pv/ first */
        if (pv && pv_exit(v))
            return;
        break;
    case EXIT_EXCEPTION_NMI:
        if (machine_nmi()) {
            vm_interrupts_machine_nmi(v);
            return;
        }
        /* fall through */
    case EXIT_EPT_VIOLATION:
        vm_interrupts_nmi_blocking_after_fault(v);
        if (vm_mmio_exit(v) || (paged && async_pf_ept_violation(v)))
            return;
        break;
    case EXIT_RDMSR: case EXIT_WRMSR:
        if (vm_lapic_msr_exit(v) || (paged && async_pf_msr_exit(v)) || (pv && pv_exit(v)))
            return;
        break;
    case EXIT_HLT:
        if (halt_for_an_nmi(v))
            return;
        break;
    case EXIT_IO_INSTRUCTION:
        if (pc_ports_exit(v))
            return;
        break;
    case EXIT_CPUID:
        if (pv && pv_exit(v))
            return;
        leaf = (uint32_t)v->regs.rax;
        handle_exit(v);
        vm_lapic_after_cpuid(v, leaf);
        if (paged)
            async_pf_after_cpuid(v, leaf);
        return;
    }
    handle_exit(v);
}

static void handle_exit_with_lapic(struct vcpu *v)
{
    handle_exit_with_lapic_as(v, false, false);
}

static void handle_exit_with_lapic_pv(struct vcpu *v)
{
    handle_exit_with_lapic_as(v, true, false);
}

static void handle_exit_with_lapic_paged(struct vcpu *v)
{
    handle_exit_with_lapic_as(v, false, true);
}

/* Before the VM entry: a PV guest's events first (time, timers, the
 * upcall it is due: pv_events.h), or a paged VM's page-ins done, its
 * "page ready" and the trim (async_pf.h), then the devices' look, which
 * injects what is due and arms the timer for the next event of any. */
static inline __attribute__((always_inline)) void before_entry_virtual_devices_as(struct vcpu *v, bool pv,
                                                                                  bool paged)
{
    if (v->stopped)
        return;
    if (pv)
        pv_events_before_entry(v);
    if (paged)
        async_pf_before_entry(v);
    vm_interrupts_before_entry(v);
}

/* With devices=virtual (lab 4, vm_interrupts.c): the guest's PIT, PIC and
 * local APIC are the VM's models, and before every VM entry their
 * interrupt is injected and the next timer event armed. Three exits are
 * theirs alone: the VMX-preemption timer's (a timer event is due: SDM
 * 26.5.1), the interrupt window's and the NMI window's (the guest can take
 * the interrupt, or the NMI, now: SDM 25.6.2); the work of all three is
 * vm_interrupts_before_entry's. */
static inline __attribute__((always_inline)) void handle_exit_virtual_devices_as(struct vcpu *v, bool pv,
                                                                                 bool paged)
{
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_PREEMPTION_TIMER: case EXIT_INTERRUPT_WINDOW: case EXIT_NMI_WINDOW:
        if (!(pv && pv_events_blocked(v)))  /* a PV guest's sched_op block ends by an event (pv_events.h) */
            halted_without_exit(v);     /* its HLT may not have exited */
        break;
    default:                     (pv ? handle_exit_with_lapic_pv : paged ? handle_exit_with_lapic_paged
                                  : handle_exit_with_lapic)(v);
    }
}

static void handle_exit_virtual_devices(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, false, false);
}

static void handle_exit_virtual_devices_pv(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, true, false);
}

static void handle_exit_virtual_devices_paged(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, false, true);
}

static void dispatch_virtual_devices(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, false, false);
    before_entry_virtual_devices_as(v, false, false);
}

/* cpu=pv (lab 5; devices=virtual with it): the same, pv/ first. */
static void dispatch_pv(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, true, false);
    before_entry_virtual_devices_as(v, true, false);
}

/* resident= (issue 20; cpu=hvm, devices=virtual with it): the same, with
 * pseudo page faults (async_pf.h). */
static void dispatch_paged(struct vcpu *v)
{
    handle_exit_virtual_devices_as(v, false, true);
    before_entry_virtual_devices_as(v, false, true);
}

static void on_exit_virtual_devices(struct vcpu *v)
{
    exit_via(v, dispatch_virtual_devices);
}

static void on_exit_pv(struct vcpu *v)
{
    exit_via(v, dispatch_pv);
}

static void on_exit_paged(struct vcpu *v)
{
    exit_via(v, dispatch_paged);
}

/* With the GDB stub on (gdb.h): the debugger sees each exit first, and
 * handles its own breakpoints and single steps. A handler of its own,
 * chosen once in vcpu_run, so that an ordinary run pays nothing for it. */
static void dispatch_with_gdb(struct vcpu *v)
{
    bool virtual_devices = vm_devices_virtual(v), pv = v->vm->pv, paged = v->guest->overcommit != NULL;
    if (!gdb_exit(v))
        (!virtual_devices ? handle_exit : pv ? handle_exit_virtual_devices_pv
         : paged ? handle_exit_virtual_devices_paged : handle_exit_virtual_devices)(v);
    if (virtual_devices) {
        /* The time gdb held the machine (at the exit, or at a breakpoint
         * in its handler) stands still for the VM. */
        vm_interrupts_hold_time(v, gdb_take_held_time());
        before_entry_virtual_devices_as(v, pv, paged);
    }
}

static void on_exit_with_gdb(struct vcpu *v)
{
    exit_via(v, dispatch_with_gdb);
}

/* The time gdb held the machine stands still for the VM (devices=virtual):
 * credited before its devices next advance to the present. */
static void hold_time_for_gdb(struct vcpu *v, bool virtual_devices)
{
    if (virtual_devices)
        vm_interrupts_hold_time(v, gdb_take_held_time());
}

/* A deprivileged guest's exit, by its reason. */
static inline __attribute__((always_inline)) void handle_exit_deprivileged(struct vcpu *v, bool virtual_devices)
{
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_EXCEPTION_NMI:     if (!(virtual_devices && vm_mmio_exit(v)))
                                     depriv_exception(v);
                                 break;
    case EXIT_EXTERNAL_INTERRUPT: depriv_external_interrupt(v); break;
    case EXIT_INTERRUPT_WINDOW:  depriv_interrupt_window(); break;
    case EXIT_IO_INSTRUCTION:    depriv_io(v); break;
    case EXIT_PREEMPTION_TIMER:  break;            /* devices=virtual: a timer event is due */
    default:                     if (virtual_devices)
                                     handle_exit_with_lapic(v);
                                 else
                                     handle_exit(v);
    }
}

/* For a guest kernel at ring 1 (cpu=deprivileged, depriv.h): its
 * exceptions and interrupts go to depriv_emulate.c, and before the guest
 * resumes, the event a handler asked for, or an interrupt that waited for
 * the guest's IF, is delivered in software. With the GDB stub on
 * (with_gdb, a constant: two dispatchers below), the debugger sees each
 * exit first, once the guest's IF is known, and a breakpoint or step of
 * its own skips the exit's handling but not the deliveries before the
 * entry; then it sees what they delivered (a step ends in a handler the
 * hypervisor entered: gdb_guest.c). The time it held the machine, at
 * either, stands still for the VM. */
static inline __attribute__((always_inline)) void dispatch_deprivileged_as(struct vcpu *v, bool with_gdb,
                                                                           bool bt)
{
    bool nmi_blocked = v->depriv.nmi_blocked;     /* until this exit's IRET, if any */
    depriv_unpark(v);
    struct depriv_step step = { 0 };
    if (with_gdb && bt)
        gdb_exit_begin(v);                      /* gdb's TF out before the translator looks */
    bool handled = bt && depriv_bt_exit(v, &step, with_gdb);   /* out of a translation first (depriv_bt.h) */
    if (bt && !with_gdb && handled && depriv_bt_stay_done(v, step))
        return;                                 /* done in the translation, nothing to deliver */
    depriv_returned_to_user(v);
    handled = handled || (with_gdb && gdb_exit(v));
    if (!bt)
        step = depriv_step_begin(v);
    bool virtual_devices = vm_devices_virtual(v);
    if (!handled)
        handle_exit_deprivileged(v, virtual_devices);
    if (with_gdb)
        hold_time_for_gdb(v, virtual_devices);  /* before the devices look at the time */
    if (virtual_devices && !v->stopped) {   /* its APICs' NMI and PIC's interrupt, in software */
        int vector = vm_interrupts_take(v, v->depriv.vif);
        if (vector >= 0)
            depriv_interrupt(v, (unsigned)vector);
        v->depriv.device_waits = vector < 0 && vm_interrupts_wait_for_if(v);
        if (vm_interrupts_take_nmi(v, v->depriv.nmi_blocked || v->depriv.nmi_pending,
                                   nmi_blocked && !v->depriv.nmi_blocked))
            depriv_nmi(v);
    }
    if (bt)
        depriv_bt_before_delivery(v);           /* out of it, if an IN or OUT stayed in it */
    if (bt && depriv_bt_between(v)) {
        depriv_deliver_later(v);                /* at the next guest instruction */
    } else {
        if (!(bt && depriv_bt_inject(v)))       /* a user page fault through the real IDT, */
            depriv_deliver_injected(v);         /* else the hypervisor's delivery */
        if (!depriv_step_end(v, step))          /* its #DB before any interrupt */
            depriv_deliver_pending(v);
        if (bt)
            depriv_bt_after_delivery(v);
    }
    if (with_gdb) {
        gdb_before_entry(v);
        hold_time_for_gdb(v, virtual_devices);
    }
    if (virtual_devices && !v->stopped) {       /* several VMs: its turn over, or waiting */
        vm_interrupts_schedule(v, v->depriv.halted_at != 0);
        vm_interrupts_before_depriv_entry(v);
    }
    if (bt)
        depriv_bt_enter(v);                     /* the kernel runs its translations */
    if (!with_gdb)
        depriv_park_if_halted(v);               /* a HLT waits without exits */
}

static void dispatch_deprivileged(struct vcpu *v)
{
    dispatch_deprivileged_as(v, false, false);
}

static void dispatch_deprivileged_with_gdb(struct vcpu *v)
{
    dispatch_deprivileged_as(v, true, false);
}

/* bt=1 (binary translation, depriv_bt.h): a dispatcher of its own, with
 * and without gdb. */
static void dispatch_deprivileged_bt(struct vcpu *v)
{
    dispatch_deprivileged_as(v, false, true);
}

static void dispatch_deprivileged_bt_with_gdb(struct vcpu *v)
{
    dispatch_deprivileged_as(v, true, true);
}

static void on_exit_deprivileged(struct vcpu *v)
{
    exit_via(v, dispatch_deprivileged);
}

static void on_exit_deprivileged_with_gdb(struct vcpu *v)
{
    exit_via(v, dispatch_deprivileged_with_gdb);
}

static void on_exit_deprivileged_bt(struct vcpu *v)
{
    exit_via(v, dispatch_deprivileged_bt);
}

static void on_exit_deprivileged_bt_with_gdb(struct vcpu *v)
{
    exit_via(v, dispatch_deprivileged_bt_with_gdb);
}

static void (*exit_handler)(struct vcpu *v);   /* one of the on_exit_* above, as dispatcher */

/* vmcs_break= vmcs_break_at=N, and vmcheck=2: the command line's requests,
 * the hypervisor's, not a guest's state. */
static const struct vmcs_break *late_breakage;
static const struct vcpu *late_breakage_vcpu;
static unsigned late_breakage_exit;

void vcpu_break_at_exit(const struct vcpu *v, const struct vmcs_break *b, unsigned n)
{
    late_breakage = b;
    late_breakage_vcpu = v;
    late_breakage_exit = n;
}

/* The exit handler, then the breakage at its exit (vmcs_break_at=N): a
 * handler of its own too. */
static void on_exit_then_break(struct vcpu *v)
{
    exit_handler(v);
    if (v->stats.total == late_breakage_exit)
        vmcs_break_current(late_breakage);
}

static bool check_every_entry;

void vcpu_check_every_entry(void)
{
    check_every_entry = true;
}

/* The exit handler, then the VM-entry checker on what it left (vmcheck=2).
 * Bochs does not enforce every rule the SDM gives (27.3.1.5's, on pending
 * debug exceptions, say), and hardware does: a rule broken here would be a
 * failed VM entry on a real CPU, which the guest brought about. */
static void on_exit_then_check(struct vcpu *v)
{
    exit_handler(v);
    if (!v->stopped && entry_report_broken(v->caps))
        panic("the VMCS breaks the VM-entry rules above after exit %lu (%s at guest rip 0x%lx): "
              "a real CPU would refuse the VM entry", v->stats.total,
              exit_reason_name(v->exit_reason & 0xFFFF), v->rip);
}

/* run_for=s: each VM's time limit, for kernels that never power off (a
 * demo, a foreign kernel's idle loop). Checked after each exit, by a
 * handler of its own around the others, so that an ordinary run pays
 * nothing for it; a guest that never exits runs on, and the runner's own
 * timeout ends the run. */
static unsigned time_limit_seconds;
static uint64_t time_limit_ticks;
static uint64_t run_until_tsc[VMS_MAX];
static void (*limited_handler)(struct vcpu *v);

void vcpu_limit_time(unsigned seconds, uint64_t tsc_hz)
{
    time_limit_seconds = seconds;
    time_limit_ticks = seconds * tsc_hz;
}

static void on_exit_then_time_limit(struct vcpu *v)
{
    limited_handler(v);
    if (!v->stopped && rdtsc() >= run_until_tsc[v->vm->id]) {
        printf("hv: %sguest stopped: its time is up (run_for=%u)\n", v->guest->tag, time_limit_seconds);
        v->stopped = true;
        v->stop_status = POWEROFF_OK;     /* the run went as it was asked to */
    }
}

int vcpu_run(struct vcpu *v)
{
    bool deprivileged = v->depriv.active;
    running = v;
    panic_context_hook = print_trace_on_panic;
    if (!v->launched)
        printf("hv: %sentering the guest at 0x%lx\n", v->guest->tag,
               vmcs_read(VMCS_GUEST_RIP));
    v->yield = false;
    bool virtual_devices = vm_devices_virtual(v);
    bool pv = virtual_devices && v->vm->pv;        /* cpu=pv implies devices=virtual */
    bool paged = v->guest->overcommit != NULL;     /* resident= implies cpu=hvm, devices=virtual */
    bool bt = deprivileged && v->depriv.bt;
    exit_handler = deprivileged ? (gdb_enabled ? (bt ? on_exit_deprivileged_bt_with_gdb : on_exit_deprivileged_with_gdb)
                                   : bt ? on_exit_deprivileged_bt : on_exit_deprivileged)
                   : gdb_enabled ? on_exit_with_gdb
                   : pv ? on_exit_pv : paged ? on_exit_paged : virtual_devices ? on_exit_virtual_devices : on_exit;
    dispatcher = deprivileged ? (gdb_enabled ? (bt ? dispatch_deprivileged_bt_with_gdb : dispatch_deprivileged_with_gdb)
                                 : bt ? dispatch_deprivileged_bt : dispatch_deprivileged)
                 : gdb_enabled ? dispatch_with_gdb
                 : pv ? dispatch_pv : paged ? dispatch_paged : virtual_devices ? dispatch_virtual_devices
                 : handle_exit;
    void (*handler)(struct vcpu *) = late_breakage && v == late_breakage_vcpu ? on_exit_then_break
                                     : check_every_entry ? on_exit_then_check : exit_handler;
    if (time_limit_ticks) {
        if (!v->launched)
            run_until_tsc[v->vm->id] = rdtsc() + time_limit_ticks;
        limited_handler = handler;
        handler = on_exit_then_time_limit;
    }
    if (bt && !v->launched) {
        if (gdb_enabled)
            gdb_before_entry(v);                   /* a step gdb asked at its first stop */
        depriv_bt_enter(v);                        /* from its first instruction on */
    }
    int status = vmx_run(v, handler);
    if (status != VMX_OK)
        entry_failed(v, status);
    return v->stop_status;
}
