/*
 * gdb_guest.c: the guest as gdb's target (gdb=guest; 64-bit, VMX root
 * operation, between VM exits).
 *
 * The guest is stopped whenever the hypervisor runs, so every stop is a VM
 * exit the stub makes or chooses:
 *   - hardware breakpoints (gdb_hwbreak.c): `hbreak`, and `break` where the
 *     page is not mapped yet;
 *   - breakpoints: INT3 bytes in guest memory, and bit 3 (#BP) of the
 *     exception bitmap set, so the guest's INT3 exits instead of entering
 *     its own IDT (SDM vol. 3, 25.6.3 "Exception Bitmap"). The exit leaves
 *     RIP on the INT3 (SDM 28.1), which is the address gdb expects. An INT3
 *     that is not ours is given back to the guest as the software exception
 *     it was (inject_software_exception);
 *   - single steps: the monitor trap flag (SDM 26.5.2) where a start-up
 *     self-test shows the CPU delivers it (Bochs 2.7 advertises it and never
 *     delivers it), else the guest's RFLAGS.TF with bit 1 (#DB) of the
 *     exception bitmap set: the CPU raises #DB after one guest instruction
 *     and the #DB exits, with BS (bit 14) in the exit qualification (SDM
 *     28.2.1, table 28-1). A step over an instruction that exits (CPUID,
 *     OUT) is completed by the exit's handler, not by the CPU: the stub then
 *     sets BS in the guest's pending debug exceptions (SDM 25.4.2), and the
 *     CPU delivers that #DB right after the VM entry, before any guest
 *     instruction (SDM 27.7.3), so the step still ends one instruction on;
 *   - `monitor break-on-exit`, and Ctrl-C (polled at every exit): a stop at
 *     the exit itself, before its handler runs.
 * Addresses from gdb are the guest's linear addresses: guest_linear.c turns
 * them into guest-physical ones through the guest's own page tables, and
 * guest_ptr refuses anything outside guest RAM.
 *
 * cpu=deprivileged (the guest kernel at ring 1, its events delivered in
 * software: depriv.h) changes four things, all through depriv_view.c:
 *   - gdb sees what the guest believes: CS and SS with RPL 0 at ring 1,
 *     EFLAGS.IF its virtual IF (a write of IF sets that), its code with the
 *     patched instructions as they were (patch=1: an INT3 of the
 *     hypervisor's is never gdb's nor the guest's), the PC where the guest
 *     believes it runs (depriv_guest_address);
 *   - every exception exits already; an INT3 or #DB that is not gdb's goes
 *     on to the dispatcher, which emulates a patched instruction or
 *     delivers the guest's own #BP (SDM 18.3.2) or #DB (18.3.1) through
 *     its IDT, as the CPU would have at ring 0;
 *   - single steps use RFLAGS.TF alone (never MTF: the hypervisor's
 *     emulation completes instructions, and depriv_step_end raises their
 *     single-step trap as the CPU would, SDM 18.3.1.4). gdb's TF is in the
 *     VMCS only while the guest runs: set before each VM entry
 *     (gdb_guest_before_entry), taken out at each exit, so that nothing the
 *     hypervisor emulates or delivers pushes or pops it; depriv's
 *     debugger_step stands for it meanwhile;
 *   - a step during which the hypervisor delivers an event (an interrupt
 *     that waited for the guest's IF, an exception the instruction raised,
 *     INT n) ends at the first instruction of its handler: the delivery
 *     cleared TF as the CPU's does (SDM 6.12.1.3), the interrupt is taken,
 *     and the frame holds the guest's own flags. So `stepi` stops either
 *     after the instruction or at a handler's first, never in between and
 *     never in the hypervisor.
 * With bt=1 (binary translation) the guest is stopped only at its own
 * instruction boundaries, canonical; gdb's TF is taken out before the
 * translator looks at an exit (gdb_guest_exit_begin), an exit between two
 * guest instructions stops nothing, and the translations follow the
 * breakpoints (depriv/depriv_bt_debug.c says how).
 */
#include "depriv/depriv.h"
#include "gdb/gdb_stub.h"
#include "gdb/gdb_target.h"
#include "guest/guest_linear.h"
#include "vmx/inject.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"

/* GDB's i386 core registers (org.gnu.gdb.i386.core). */
static const char target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>i386</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    GDB_XML_EFLAGS_TYPE
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\"/><reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/><reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/><reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/><reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>"
    GDB_XML_EFLAGS_SEGMENTS_X87
    "</feature></target>";

static struct vcpu *vcpu;
static bool mtf_works;     /* the self-test saw an MTF exit */
static bool stepping;      /* a single step is under way */
static bool guest_tf;      /* the guest's own RFLAGS.TF, under ours */
static bool step_trapped;  /* the step ends with its own #DB */
/* A step that ended otherwise (an interrupt came first, and a breakpoint in
 * its handler stopped the guest) left our TF in the EFLAGS image the
 * interrupt pushed: the handler's IRET brings it back, and the #DB after
 * the next instruction is ours, not the guest's. */
static bool tf_may_come_back;
static uint64_t delivered_at_step;   /* cpu=deprivileged: v->depriv.delivered when it began */
static uint32_t step_from, step_esp; /* and the guest's PC and ESP */

/* cpu=deprivileged (depriv_view.c): what the guest believes. */
static bool deprivileged(void)
{
    return vcpu && vcpu->depriv.active;
}

static uint32_t guest_pc(const struct vcpu *v)
{
    uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
    return deprivileged() ? depriv_guest_address(v, rip) : (uint32_t)rip;
}

static uint32_t guest_selector(unsigned field)
{
    uint16_t s = (uint16_t)vmcs_read(field);
    return deprivileged() ? depriv_guest_selector(s) : s;
}

/* ---- registers: the GPRs from vcpu->regs, the rest from the VMCS ---- */

static uint32_t guest_rflags(void)
{
    uint32_t f = deprivileged() ? depriv_guest_eflags(vcpu) : (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS);
    if (stepping && !mtf_works)       /* show the guest's TF, not ours */
        f = (f & ~RFLAGS_TF) | (guest_tf ? RFLAGS_TF : 0);
    return f;
}

/* The i386 'g' order: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds
 * es fs gs, 4 bytes each. */
static size_t read_registers(uint8_t *buf, size_t size)
{
    const struct guest_regs *r = &vcpu->regs;
    uint32_t regs[16] = {
        (uint32_t)r->rax, (uint32_t)r->rcx, (uint32_t)r->rdx, (uint32_t)r->rbx,
        (uint32_t)vmcs_read(VMCS_GUEST_RSP), (uint32_t)r->rbp, (uint32_t)r->rsi, (uint32_t)r->rdi,
        guest_pc(vcpu), guest_rflags(),
        guest_selector(VMCS_GUEST_CS_SELECTOR), guest_selector(VMCS_GUEST_SS_SELECTOR),
        guest_selector(VMCS_GUEST_DS_SELECTOR), guest_selector(VMCS_GUEST_ES_SELECTOR),
        guest_selector(VMCS_GUEST_FS_SELECTOR), guest_selector(VMCS_GUEST_GS_SELECTOR),
    };
    if (size < sizeof(regs))
        return 0;
    memcpy(buf, regs, sizeof(regs));
    return sizeof(regs);
}

static void set_pc(uint64_t pc);

/* GPRs, ESP, EIP and EFLAGS; a segment register is more than its selector
 * (base, limit, rights in the VMCS), so writes to them are ignored. A
 * deprivileged guest's IF is its virtual one; its real IF and IOPL stay
 * the hypervisor's (depriv.h). */
static void write_registers(const uint8_t *buf, size_t len)
{
    uint32_t v[10];
    uint64_t *gprs[8] = { &vcpu->regs.rax, &vcpu->regs.rcx, &vcpu->regs.rdx, &vcpu->regs.rbx,
                          NULL, &vcpu->regs.rbp, &vcpu->regs.rsi, &vcpu->regs.rdi };
    size_t n = len / 4 < 10 ? len / 4 : 10;
    memcpy(v, buf, n * 4);
    for (size_t i = 0; i < n && i < 8; i++) {
        if (gprs[i])
            *gprs[i] = v[i];
        else
            vmcs_write(VMCS_GUEST_RSP, v[i]);
    }
    if (n > 8)
        set_pc(v[8]);
    if (n > 9) {
        uint32_t f = (v[9] & 0x3F7FD5u) | 2;
        if (deprivileged()) {
            uint32_t kept = RFLAGS_IF | 3u << 12, real = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS);
            depriv_set_vif(vcpu, f & RFLAGS_IF);
            f = (f & ~kept) | (real & kept);
        }
        if (stepping && !mtf_works) {
            guest_tf = f & RFLAGS_TF;
            f |= RFLAGS_TF;
        }
        vmcs_write(VMCS_GUEST_RFLAGS, f);
    }
}

/* ---- memory: the guest's linear addresses (guest_linear.c) ---- */

static bool read_memory(uint64_t addr, void *buf, size_t len)
{
    if (deprivileged())
        return depriv_debug_read(vcpu, addr, buf, len) == len;
    return guest_linear_read(vcpu->guest, addr, buf, len) == len;
}

static bool write_memory(uint64_t addr, const void *buf, size_t len)
{
    if (deprivileged())
        return depriv_debug_write(vcpu, addr, buf, len) == len;
    return guest_linear_write(vcpu->guest, addr, buf, len) == len;
}

static void set_pc(uint64_t pc)
{
    vmcs_write(VMCS_GUEST_RIP, deprivileged() ? depriv_runs_at(vcpu, (uint32_t)pc) : pc);
}

/* A deprivileged guest's translations (bt=1) must not run past an
 * instruction breakpoint: they are told (depriv_view.c). */
static bool hw_point(unsigned type, uint64_t addr, unsigned len, bool on)
{
    bool done = gdb_hwbreak_set(type, addr, len, on);
    if (done && type == GDB_HW_EXEC && deprivileged())
        depriv_debug_breakpoints_changed(vcpu);
    return done;
}

static const struct gdb_target guest_target = {
    .xml = target_xml,
    .read_registers = read_registers,
    .write_registers = write_registers,
    .read_memory = read_memory,
    .write_memory = write_memory,
    .set_pc = set_pc,
    .monitor = gdb_monitor,
    .hw_point = hw_point,
};

/* ---- single steps ---- */

static void set_proc_control(uint32_t bit, bool on)
{
    uint64_t proc = vmcs_read(VMCS_PROC_BASED_CONTROLS);
    vmcs_write(VMCS_PROC_BASED_CONTROLS, on ? proc | bit : proc & ~(uint64_t)bit);
}

static void set_pending_single_step(bool on)
{
    uint64_t p = vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS);
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, on ? p | PENDING_BS : p & ~(uint64_t)PENDING_BS);
}

/* gdb's TF in the VMCS, the guest's own kept aside. TF = 1 with blocking
 * by STI or MOV SS needs BS pending, or the VM entry fails (SDM
 * 27.3.1.5): the step then ends before the blocked instruction, and the
 * next one moves on. */
static void set_step_tf(void)
{
    uint64_t f = vmcs_read(VMCS_GUEST_RFLAGS);
    guest_tf = f & RFLAGS_TF;
    vmcs_write(VMCS_GUEST_RFLAGS, f | RFLAGS_TF);
    if (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & (BLOCKING_STI | BLOCKING_MOV_SS))
        set_pending_single_step(true);
}

static void start_step(void)
{
    stepping = true;
    if (deprivileged()) {                 /* its TF at the entry: gdb_guest_before_entry */
        guest_tf = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF;
        vcpu->depriv.debugger_step = true;
        delivered_at_step = vcpu->depriv.delivered;
        step_from = guest_pc(vcpu);
        step_esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
        return;
    }
    if (mtf_works) {
        set_proc_control(PROC_MONITOR_TRAP_FLAG, true);
        return;
    }
    set_step_tf();
}

static void end_step(void)
{
    if (!stepping)
        return;
    stepping = false;
    if (deprivileged()) {                 /* the VMCS holds the guest's TF: see the top */
        vcpu->depriv.debugger_step = false;
        step_trapped = false;
        return;
    }
    tf_may_come_back = !step_trapped && !mtf_works && !guest_tf;
    step_trapped = false;
    if (mtf_works) {
        set_proc_control(PROC_MONITOR_TRAP_FLAG, false);
        return;
    }
    uint64_t f = vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF;
    vmcs_write(VMCS_GUEST_RFLAGS, f | (guest_tf ? RFLAGS_TF : 0));
    set_pending_single_step(false);
}

/* Stop and serve gdb. at_exit: stopped at a VM exit whose handler is still
 * to run; a step from there is the handler's emulation of the instruction,
 * so it ends right after the VM entry (BS pending, SDM 27.7.3). */
static void stop(int sig, bool swbreak, bool at_exit)
{
    end_step();
    if (gdb_stub_stop(sig, swbreak) == GDB_RESUME_STEP) {
        start_step();
        if (at_exit && !mtf_works && !deprivileged())   /* else depriv_step_end does it */
            set_pending_single_step(true);
    }
}

/* ---- the exits the stub takes ---- */

/* #BP: ours, or the guest's own INT3, given back to it (a deprivileged
 * guest's: to the dispatcher, which also knows patch=1's). The exit leaves
 * RIP on the INT3 (SDM 28.1), the address gdb gave. */
static bool on_breakpoint(struct vcpu *v)
{
    if (gdb_stub_is_breakpoint(guest_pc(v)))
        stop(GDB_SIGTRAP, true, false);
    else if (deprivileged())
        return false;
    else
        inject_software_exception(VEC_BP, v->instruction_length);
    return true;
}

/* #DB: the end of our step, or the guest's own, given back to it. A #DB
 * that exits does not write DR6 (SDM 28.1): the qualification holds what
 * it would have, so DR6 gets it before the guest's handler reads it (the
 * hypervisor never uses the debug registers itself). */
static bool on_debug(struct vcpu *v)
{
    bool single_step = debug_qual_decode(v->exit_qualification).bs;   /* SDM 28.2.1, table 28-1 */
    if (stepping && single_step) {
        if (deprivileged())
            depriv_debug_step_ended(v, step_from, step_esp, guest_tf);
        step_trapped = true;
        stop(GDB_SIGTRAP, false, false);
        return true;
    }
    if (tf_may_come_back && !stepping && single_step) {
        tf_may_come_back = false;              /* see tf_may_come_back: swallow it */
        vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF);
        return true;
    }
    unsigned type;
    uint64_t addr;
    if (gdb_hwbreak_hit(v->exit_qualification, &type, &addr)) {   /* one of gdb's debug registers */
        if (type != GDB_HW_EXEC)
            gdb_stub_watch_hit(type, addr);   /* a trap: RIP is past the access */
        stop(GDB_SIGTRAP, false, false);
        if (type == GDB_HW_EXEC)
            gdb_hwbreak_resume_past();        /* a fault: RIP is on the instruction */
        return true;
    }
    if (deprivileged())
        return false;                         /* the guest's: depriv_exception delivers it */
    debug_exception_exited(v->exit_qualification);
    inject_exception(VEC_DB, 0);
    return true;
}

/* An exception exit of this vector and type? */
static bool exception_exit(const struct vcpu *v, unsigned vector, unsigned type)
{
    if ((v->exit_reason & 0xFFFF) != EXIT_EXCEPTION_NMI)
        return false;
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    return e.vector == vector && e.type == type;
}

/* cpu=deprivileged: the exit takes gdb's TF out of the VMCS (start_step).
 * True if it is the single-step #DB of gdb's step. */
static bool depriv_exit_begins(const struct vcpu *v)
{
    if (!stepping)
        return false;
    uint64_t f = vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF;
    vmcs_write(VMCS_GUEST_RFLAGS, f | (guest_tf ? RFLAGS_TF : 0));
    return exception_exit(v, VEC_DB, EVENT_HARDWARE_EXCEPTION) &&
           debug_qual_decode(v->exit_qualification).bs;   /* SDM 28.2.1, table 28-1 */
}

/* bt=1: the exit takes gdb's TF out before the translator looks at the
 * exit (exit.c), which may emulate an instruction, push EFLAGS for an
 * event, or swallow a trap between two guest instructions (then
 * gdb_guest_exit does not run for this exit at all). */
static bool exit_begun, exit_step_trap;

void gdb_guest_exit_begin(struct vcpu *v)
{
    exit_begun = true;
    exit_step_trap = deprivileged() && depriv_exit_begins(v);
}

bool gdb_guest_exit(struct vcpu *v)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    if (!exit_begun)
        gdb_guest_exit_begin(v);
    exit_begun = false;
    bool step_trap = exit_step_trap;
    /* Inside a translation, between two guest instructions (an interrupt
     * exited there): nothing to show gdb. Ctrl-C, a new gdb, a step's end
     * wait in their place for the next exit at a boundary. */
    if (deprivileged() && !depriv_debug_stoppable(v))
        return false;
    if (!gdb_stub_connected() && gdb_stub_poll())
        stop(GDB_SIGTRAP, false, true);       /* another gdb connected: it finds the guest stopped */
    if (!gdb_stub_connected()) {
        end_step();
        if (step_trap)
            return true;                      /* a step of a gdb that has gone: not the guest's #DB */
        if (reason == EXIT_EXCEPTION_NMI) {   /* still intercepted: give them back */
            unsigned vector = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO)).vector;
            if (vector == VEC_BP)
                return on_breakpoint(v);
            if (vector == VEC_DB)
                return on_debug(v);
        }
        return false;
    }
    if (gdb_stub_pending_breakpoints())
        gdb_stub_retry_breakpoints();
    if (reason == EXIT_EXCEPTION_NMI) {
        struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
        if (e.vector == VEC_BP && e.type == EVENT_SOFTWARE_EXCEPTION)
            return on_breakpoint(v);
        if (e.vector == VEC_DB && e.type == EVENT_HARDWARE_EXCEPTION)
            return on_debug(v);
    }
    if (reason == EXIT_MONITOR_TRAP_FLAG && stepping) {
        stop(GDB_SIGTRAP, false, false);
        return true;
    }
    /* Stepping onto an instruction that exits: its handler completes it, so
     * the step's #DB must be made pending by hand. Not for an exception
     * exit (a shadow-paging #PF, say): that instruction has not run; it runs
     * again after the handler, with TF still set, and traps by itself. Nor
     * with TF clear: an interrupt came before the stepped instruction, and
     * its handler (entered with TF cleared, SDM 6.12.1.3) is what exits,
     * say at its EOI; the handler's IRET restores TF and the step goes on. */
    if (stepping && !mtf_works && !deprivileged() && reason != EXIT_EXCEPTION_NMI &&
        (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF))
        set_pending_single_step(true);
    int sig = gdb_stub_poll();
    if (sig)
        stop(sig, false, true);
    else if (gdb_break_on_exit(reason))
        stop(GDB_SIGTRAP, false, true);
    return false;
}

/* cpu=deprivileged, before each VM entry (gdb_before_entry): a step that
 * the hypervisor's delivery of an event interrupted ends at the handler's
 * first instruction; one still under way gets gdb's TF, with the guest's
 * own kept aside (an emulated POPF or IRET may have changed it). */
void gdb_guest_before_entry(struct vcpu *v)
{
    if (!deprivileged() || !stepping || v->stopped)
        return;
    if (v->depriv.delivered != delivered_at_step) {
        /* bt=1: a translation that ended the step (a branch) owes its
         * trap, pending now; the delivery ended the step instead. */
        if (!guest_tf)
            set_pending_single_step(false);
        stop(GDB_SIGTRAP, false, false);
        if (!stepping)
            return;
    }
    set_step_tf();
}

/* ---- start-up ---- */

/*
 * Does the CPU deliver the monitor trap flag? Run the guest for one
 * instruction to see: the first two bytes at its entry point become NOP;
 * HLT, and it enters with MTF set. A CPU that delivers MTF exits after the
 * NOP (reason 37, SDM 26.5.2); one that does not runs on to the HLT, which
 * exits too (HLT exiting is on). Either way nothing else ran; the two
 * bytes and RIP are put back.
 */
static uint64_t self_test_cycles;   /* not the guest's: kept out of exit_stats */

static void stop_at_first_exit(struct vcpu *v)
{
    v->exit_cycles = &self_test_cycles;
    v->stopped = true;
}

static void mtf_self_test(struct vcpu *v)
{
    if (!vmx_ctl_supported(v->caps->procbased, PROC_MONITOR_TRAP_FLAG)) {
        printf("hv: gdb: monitor trap flag: not offered by this CPU: single steps use RFLAGS.TF\n");
        return;
    }
    uint64_t entry = vmcs_read(VMCS_GUEST_RIP);
    uint8_t *code = guest_ptr(v->guest, entry, 2);   /* paging is off at the entry */
    if (!code)
        return;
    uint8_t saved[2] = { code[0], code[1] };
    code[0] = 0x90;   /* NOP */
    code[1] = 0xF4;   /* HLT */
    set_proc_control(PROC_MONITOR_TRAP_FLAG, true);
    int status = vmx_run(v, stop_at_first_exit);
    v->stopped = false;
    set_proc_control(PROC_MONITOR_TRAP_FLAG, false);
    code[0] = saved[0];
    code[1] = saved[1];
    if (status != VMX_OK) {
        printf("hv: gdb: monitor trap flag self-test: the VM entry failed; single steps use RFLAGS.TF\n");
        return;
    }
    unsigned reason = (unsigned)vmcs_read(VMCS_EXIT_REASON) & 0xFFFF;
    vmcs_write(VMCS_GUEST_RIP, entry);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
    mtf_works = reason == EXIT_MONITOR_TRAP_FLAG;
    if (mtf_works)
        printf("hv: gdb: monitor trap flag self-test: delivered: single steps use MTF\n");
    else
        printf("hv: gdb: monitor trap flag self-test: advertised but NOT delivered (the guest ran "
               "on to exit %u, %s): single steps use RFLAGS.TF and #DB\n", reason,
               exit_reason_name(reason));
}

void gdb_guest_init(void)
{
    gdb_stub_init(&guest_target);
    printf("hv: gdb: the stub debugs the guest (i386) on COM2\n");
}

void gdb_guest_first_stop(struct vcpu *v)
{
    vcpu = v;
    gdb_vcpu = v;
    /* #DB and #BP exit from now on (SDM 25.6.3); see on_breakpoint, on_debug. */
    vmcs_write(VMCS_EXCEPTION_BITMAP,
               vmcs_read(VMCS_EXCEPTION_BITMAP) | 1u << VEC_DB | 1u << VEC_BP);
    gdb_hwbreak_init(v->caps);
    if (v->depriv.active)
        printf("hv: gdb: cpu=deprivileged: single steps use RFLAGS.TF and #DB (the hypervisor completes "
               "what it emulates with the same trap)\n");
    else
        mtf_self_test(v);
    printf("hv: gdb: waiting for gdb, the guest stopped at its first instruction 0x%lx\n",
           vmcs_read(VMCS_GUEST_RIP));
    stop(GDB_SIGTRAP, false, false);
}
