/*
 * vm_interrupts.c: a VM's interrupts under devices=virtual (see
 * vm_interrupts.h; lab 4).
 *
 * The machine's PIT and PICs are the hypervisor's: the guest programs the
 * models in vm_devices (exit_io.c sends its ports there), and nothing of
 * theirs reaches the CPU by itself. Before every VM entry the hypervisor
 * does what the wires of a PC do:
 *   1. time: the VM's PIT is brought to now, the TSC read as the VM's clock
 *      (vm_clock.h); each rising edge of OUT0 since the last look is a tick
 *      owed to the guest, as its missed-tick policy says (count_edges), and
 *      the ticks owed go onto IRQ 0 of the VM's PIC one at a time;
 *   2. INTR to the CPU: if the PIC asks (pic_intr) and the guest can take
 *      an external interrupt now (RFLAGS.IF = 1, no blocking by STI or by
 *      MOV SS: SDM 25.4.2, table 25-3), and no other event is being
 *      injected, the INTA cycle (pic_acknowledge) gives the vector, which
 *      VM entry delivers through the guest's IDT as an external interrupt
 *      (SDM 27.6, type 0). If the guest cannot take it yet, "interrupt-
 *      window exiting" (SDM 25.6.2, table 25-6, bit 2) brings it back the
 *      moment it can;
 *   3. the next tick: the VMX-preemption timer (SDM 26.5.1) counts down in
 *      VMX non-root operation, also in the HLT activity state (measured
 *      under Bochs 2.7), and exits when it reaches 0: armed for OUT0's next
 *      rising edge, it gives a guest that never exits, or halts, its tick.
 *      Every VM entry loads it afresh from the VMCS field, so it is written
 *      before each one.
 * The work of steps 1 and 3 is done only when the next edge is due or the
 * guest reprogrammed the PIT; an exit that needs neither pays for a RDTSC,
 * a compare and the timer's VMWRITE.
 *
 * The guest's own time between two interrupts. An injected interrupt costs
 * the guest several exits (the injection, its handler's EOI, the interrupt
 * window), thousands of cycles that a bare CPU does not spend. With the
 * PIT fast enough (10 kHz under Bochs), the next tick is pending by the
 * time the handler's IRET opens the window, and injecting it there, then
 * the next, would never let the guest run its own code again: a livelock
 * that no bare CPU shows. So when the window opens on a pending interrupt
 * (or NMI) before the guest has run GUEST_RUN_BETWEEN TSC ticks of its own
 * since the last delivery (the time elapsed less the hypervisor's exits,
 * count_hv_cycles), the guest first runs GUEST_RUN_BETWEEN TSC ticks of
 * its own (the preemption timer brings it back), unless that is the first
 * such window with nothing more owed behind it (hold_for_own_time); the
 * ticks that come meanwhile wait, owed. At a PC's usual
 * rates (100-1000 Hz) a tick comes long after the last handler's IRET, and
 * this never happens.
 *
 * Several VMs on one CPU (sched.c): the timer also ends the VM's turn, and
 * before the VM entry the VM yields when its turn is over or when it waits
 * in HLT with nothing owed (vm_interrupts_schedule). Its time goes on while
 * another VM runs, its ticks owed by its policy; with timer_mode=delay it
 * stands still instead. Its TSC goes on (tsc=wall) or stands still
 * (tsc=run, delay's default) by the VMCS's TSC offset (kept_from_running).
 * The turn's two instants are the scheduler's record (sched_trace=1): it
 * starts at the TSC sched.c gives vm_interrupts_set_quantum, and ends at
 * the devices' last look before the yield (left_tsc): an edge up to that
 * look was seen in the turn, one after it is counted when the VM's next
 * turn starts, with those of the time it did not run.
 */
#include "exit/vm_interrupts.h"
#include "exit/vm_input.h"
#include "exit/vm_devices.h"
#include "exit/vm_ioapic.h"
#include "exit/vm_lapic.h"
#include "exit/vm_rtc.h"
#include "exit/vm_cga.h"
#include "boot/options.h"
#include "guest/vm.h"
#include "cpu/panic.h"
#include "printf.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/x86.h"
#include "x86io.h"

#define GUEST_RUN_BETWEEN 2048          /* TSC ticks (see above) */
#define TIMER_MAX 0xFFFFFFFFull          /* the field is 32 bits (SDM 25.4.2) */
#define MISC_TIMER_RATE(misc) ((misc) & 0x1F)   /* IA32_VMX_MISC bits 4:0 (SDM A.6) */
#define MACHINE_PIC_MASTER_DATA 0x21
#define MACHINE_PIC_SLAVE_DATA  0xA1

static struct vm_devices *devices(const struct vcpu *v)
{
    return v->vm->devices;
}

/* 1, time: OUT0's edges up to now, counted as ticks owed to the guest
 * (pending_ticks) by the VM's missed-tick policy (ticks_owed). Then one
 * owed tick at a time goes onto IRQ 0, when the PIC has no
 * request of IRQ 0 outstanding: the line goes low and high again, and
 * stays high until the next (as mode 2's OUT0 does), so that the PIC
 * latches it (an edge-triggered input, dev/pic.h). The low half of mode
 * 3's square wave is not shown to the PIC: the hypervisor looks at the
 * PIT only when it runs, and a line seen low late would cancel a request
 * that a real CPU had taken at the rise (the PIC then answers the INTA
 * with its spurious IRQ 7). KVM's and QEMU's PITs pulse IRQ 0 the same
 * way. Edges are counted only when the next is due, or the PIT was
 * reprogrammed. */
static bool irq0_requested(const struct vm_devices *d)
{
    /* A guest that takes IRQ 0 through its I/O APIC masks it at the PIC,
     * whose IRR then holds it for ever: its wait is the APIC's IRR. */
    bool through_pic = !pic_irq_masked(&d->pic, 0);
    return through_pic ? pic_irq_requested(&d->pic, 0) : vm_ioapic_isa_irq_waiting(d, 0);
}

/* IRQ 0's line low, then high: an edge for the PIC's IR0, and for the I/O
 * APIC's pin 2, where a PC wires the PIT (vm_ioapic.h). */
static void pulse_irq0(struct vm_devices *d)
{
    pic_pulse_irq(&d->pic, 0);
    vm_ioapic_pulse_isa_irq(d, 0);
}

/* The ticks owed to the guest after `edges` more rising edges of OUT0, by
 * the VM's missed-tick policy (timer_mode=); descheduled: they came while
 * another VM had the CPU.
 *   catchup  every edge is a tick: a guest that could not take them (it
 *            was descheduled, or kept IF = 0) gets them all, one after the
 *            other, and its count of ticks keeps up with time (KVM's PIT
 *            reinjects so);
 *   delay    the same, but the VM's time stood still while it was
 *            preempted (stand_still): no edge came then to be owed;
 *   merge    the edges a look finds are one tick, and no tick at all while
 *            IRQ 0's request still waits in the PIC: the missed ones come
 *            as one, at once, as on a bare PC, whose 8259A holds one
 *            request of IRQ 0 whatever the edges behind it (Xen's
 *            one_missed_tick_pending);
 *   discard  as merge, but the edges that came while another VM had the
 *            CPU are dropped: its next tick comes on time (Xen's
 *            no_missed_ticks_pending). */
static uint64_t ticks_owed(const struct vm_devices *d, uint64_t edges, bool descheduled)
{
    if (d->timer_mode == TIMER_CATCHUP || d->timer_mode == TIMER_DELAY)
        return d->pending_ticks + edges;
    /* LAB 4 BEGIN: merge and discard */
    if (d->timer_mode == TIMER_DISCARD && descheduled)
        return d->pending_ticks;
    return d->pending_ticks || irq0_requested(d) ? d->pending_ticks : 1;
    /* LAB 4 END */
}

/* LAB 4 BEGIN: count the PIT's ticks and put them on IRQ 0 */
static void count_edges(struct vm_devices *d, uint64_t tsc, bool descheduled)
{
    uint64_t now = vm_clock_pit_at(&d->clock, tsc);
    uint64_t edges = pit_irq0_edges(&d->pit, now);
    uint64_t next = pit_next_irq0_edge(&d->pit, now);
    d->next_edge_tsc = next == PIT_NEVER ? UINT64_MAX : vm_clock_tsc_at(&d->clock, next);
    if (!edges)
        return;
    d->irq0_edges += edges;
    uint64_t owed = ticks_owed(d, edges, descheduled);
    d->ticks_dropped += d->pending_ticks + edges - owed;
    d->pending_ticks = owed;
}

static void advance_devices(struct vm_devices *d, uint64_t tsc)
{
    vm_lapic_advance(d, tsc);
    if (tsc >= d->next_edge_tsc)
        count_edges(d, tsc, false);
    if (d->pending_ticks && !irq0_requested(d)) {
        pulse_irq0(d);
        d->pending_ticks--;
        d->ticks_raised++;
    }
}
/* LAB 4 END */

/* The timers' time brought to tsc: the CMOS clock's IRQ 8 (vm_rtc.c) when
 * its next rise is due, then the PIT's and the APIC's, before the PIC and
 * the APIC are looked at. */
static void advance_all_devices(struct vm_devices *d, uint64_t tsc)
{
    if (tsc >= d->rtc_event_tsc)
        vm_rtc_advance(d, tsc);
    advance_devices(d, tsc);
}

/* Which controller has an interrupt for the CPU: the 8259A pair's through
 * the APIC's LINT0 in ExtINT mode, which the APIC passes on outside its
 * priority rules (SDM 11.5.1; first, as KVM takes it), else the APIC's own
 * (11.8.3: the highest IRR vector above the PPR's class). */
enum interrupt_source { NO_INTERRUPT, FROM_PIC, FROM_LAPIC, FROM_HV };

static enum interrupt_source chip_source(const struct vm_devices *d)
{
    if (pic_intr(&d->pic) && vm_lapic_passes_extint(d))
        return FROM_PIC;
    return lapic_pending(&d->lapic) >= 0 ? FROM_LAPIC : NO_INTERRUPT;
}

/* The chips' interrupt, or the hypervisor's own (hv_vector: vm_devices.h),
 * which no controller is behind. A PV guest's event upcall (lab 5) comes
 * after the chips' interrupts, as Xen's HVM callback vector waits behind
 * the APIC's. A pseudo page fault's "page ready" (issue 20) goes first of
 * all (hv_vector_first): KVM raises ASYNC_PF_INT at the local APIC, where
 * its vector's priority class (0xF3: 15) is above every PIC vector's (SDM
 * 11.8.3), and a guest whose timer ticks are owed after long stalls
 * (timer_mode=catchup) would otherwise have the PIC ask first for as long
 * as they last. A VM with neither pays for one test. */
static enum interrupt_source interrupt_source(const struct vm_devices *d)
{
    if (!d->hv_vector)
        return chip_source(d);
    if (d->hv_vector_first)
        return FROM_HV;
    enum interrupt_source chip = chip_source(d);
    return chip != NO_INTERRUPT ? chip : FROM_HV;
}

/* The INTA cycle: the PIC's vector, or the APIC's, which moves to its ISR;
 * the hypervisor's own is taken once (an upcall's handler clears
 * upcall_pending, and the next entry looks again; "page ready" waits for
 * the guest's ACK, async_pf.c). */
static int acknowledge(struct vm_devices *d, enum interrupt_source from)
{
    if (from == FROM_PIC)
        return pic_acknowledge(&d->pic);
    if (from == FROM_HV) {
        int vector = d->hv_vector;
        d->hv_vector = 0;
        return vector;
    }
    d->lapic_event_tsc = 0;     /* its timer's next expiry counts again (vm_lapic_advance) */
    return lapic_acknowledge(&d->lapic);
}

/* Has the VM anything for its CPU to take now: an NMI, an interrupt, or a
 * tick owed that goes onto IRQ 0 at the next look? */
static bool something_to_take(const struct vm_devices *d)
{
    return d->lapic.nmi_pending || interrupt_source(d) != NO_INTERRUPT || d->pending_ticks;
}

/* The hypervisor's own next timer event for the VM, on the TSC: a PV
 * guest's (pv_event_guest_tsc, on the guest's TSC: less its offset, SDM
 * 26.3, which a tsc=run VM's turns and a debugger's hold change, so it is
 * worked out at each look), or a paged VM's next page-in's end
 * (apf_event_tsc, on the TSC already). A VM is PV, paged or neither
 * (resident= needs cpu=hvm): one test tells which. */
static uint64_t hv_event_tsc(const struct vm_devices *d)
{
    uint64_t guest = d->pv_event_guest_tsc;
    if (guest == UINT64_MAX)
        return d->apf_event_tsc;            /* not PV: UINT64_MAX unless paged */
    if (d->tsc_offset <= 0) {               /* the guest's TSC behind: the usual case */
        uint64_t behind = (uint64_t)-d->tsc_offset;
        return guest > UINT64_MAX - behind ? UINT64_MAX : guest + behind;
    }
    return guest < (uint64_t)d->tsc_offset ? 0 : guest - (uint64_t)d->tsc_offset;
}

/* The VM's next timer event, its PIT's, its APIC's or its clock's (IRQ 8),
 * the hypervisor's own (a PV guest's, the end of a page-in: hv_event_tsc),
 * or the next look for typed input that an interrupt would bring
 * (vm_input.h). */
static inline __attribute__((always_inline)) uint64_t next_timer_event(const struct vm_devices *d)
{
    uint64_t next = d->next_edge_tsc < d->lapic_event_tsc ? d->next_edge_tsc : d->lapic_event_tsc;
    next = d->rtc_event_tsc < next ? d->rtc_event_tsc : next;
    uint64_t hv = hv_event_tsc(d);
    next = hv < next ? hv : next;
    uint64_t input = vm_input_poll_tsc(d);
    return input < next ? input : next;
}

/* Whether the VM has no timer event at all (next_timer_event's UINT64_MAX),
 * asked before every entry: a ticking PIT answers at its first test. */
static bool no_timer_event(const struct vm_devices *d)
{
    return d->next_edge_tsc == UINT64_MAX && d->lapic_event_tsc == UINT64_MAX &&
           d->rtc_event_tsc == UINT64_MAX && hv_event_tsc(d) == UINT64_MAX && vm_input_poll_tsc(d) == UINT64_MAX;
}

/* LAB 4 BEGIN: arm the VMX-preemption timer */
/* 3, the next tick: the timer, for the next timer event, the end of a
 * hold (see above) or of the VM's turn, in units of 2^rate TSC ticks
 * (IA32_VMX_MISC). */
static void arm_timer(const struct vcpu *v, const struct vm_devices *d, uint64_t tsc)
{
    uint64_t deadline = d->hold_until_tsc ? d->hold_until_tsc : next_timer_event(d);
    if (d->shared_cpu && d->quantum_end_tsc < deadline)
        deadline = d->quantum_end_tsc;
    uint64_t ticks = deadline == UINT64_MAX ? TIMER_MAX
                     : deadline <= tsc ? 0 : (deadline - tsc) >> MISC_TIMER_RATE(v->caps->misc);
    vmcs_write(VMCS_VMX_PREEMPTION_TIMER_VALUE, ticks > TIMER_MAX ? TIMER_MAX : ticks);
}
/* LAB 4 END */

/* One of the VMCS's primary processor-based controls (SDM 25.6.2, table
 * 25-6) on or off; *is_on says what the field holds, so that the VM
 * entries that change nothing (most) pay for no VMREAD. */
static void set_proc_control(bool *is_on, uint32_t control, bool on)
{
    if (*is_on == on)
        return;
    *is_on = on;
    uint64_t proc = vmcs_read(VMCS_PROC_BASED_CONTROLS);
    vmcs_write(VMCS_PROC_BASED_CONTROLS, on ? proc | control : proc & ~(uint64_t)control);
}

/* Does the interrupt window (or the NMI window) open right after the last
 * delivery: has the guest run less than GUEST_RUN_BETWEEN TSC ticks of
 * its own since, the time elapsed less the hypervisor's exits (and
 * another VM's turns: vm_interrupts_set_quantum)? That is the handler's
 * IRET in a storm. A tick that found IF = 0 and waited for the window, a
 * period after the last, is not (nor does the guest OS pay a hold for
 * it). */
static bool window_opened_too_soon(const struct vcpu *v, const struct vm_devices *d, uint64_t tsc)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    if ((reason != EXIT_INTERRUPT_WINDOW && reason != EXIT_NMI_WINDOW) || !d->injected_since_hold)
        return false;
    uint64_t elapsed = tsc - d->delivered_tsc, hv = d->hv_cycles - d->delivered_hv_cycles;
    return elapsed < hv + GUEST_RUN_BETWEEN;
}

/* The guest's own time (see above), before a delivery at this VM entry:
 * one that comes too soon after the last starts a hold of
 * GUEST_RUN_BETWEEN TSC ticks instead (returns true), unless it is the
 * first too soon and nothing more is owed behind it: a tick owed a little
 * late (IRQ 0 was still busy with the last at its edge) waits for its
 * handler's IRET, and holding it there would keep every later tick as
 * late (1000 Hz ticks behind a halting guest). The ticks owed for another
 * VM's turn (catchup) are held one by one, so that the guest's processes
 * run between them; a storm's next interrupt is held. */
static bool hold_for_own_time(const struct vcpu *v, struct vm_devices *d, uint64_t tsc)
{
    d->delivery_too_soon = window_opened_too_soon(v, d, tsc);
    if (!d->delivery_too_soon || (!d->last_delivery_too_soon && !d->pending_ticks))
        return false;
    d->hold_until_tsc = tsc + GUEST_RUN_BETWEEN;
    d->injected_since_hold = false;
    d->last_delivery_too_soon = false;
    return true;
}

/* A delivery at this VM entry: when, what the hypervisor had spent by
 * then, and whether it came too soon. */
static void record_delivery(struct vm_devices *d, uint64_t tsc)
{
    d->injected_since_hold = true;
    d->delivered_tsc = tsc;
    d->delivered_hv_cycles = d->hv_cycles;
    d->last_delivery_too_soon = d->delivery_too_soon;
}

/* LAB 4 BEGIN: inject the interrupt, or wait for the window */
static void set_interrupt_window_exiting(struct vm_devices *d, bool on)
{
    set_proc_control(&d->window, PROC_INTERRUPT_WINDOW_EXITING, on);
}

static void set_nmi_window_exiting(struct vm_devices *d, bool on)
{
    set_proc_control(&d->nmi_window, PROC_NMI_WINDOW_EXITING, on);
}

/* Can the guest's CPU take an external interrupt at this VM entry? */
static bool guest_can_take_interrupt(void)
{
    if (vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO) & INFO_VALID)
        return false;                   /* a handler injects an event already */
    if (!(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF))
        return false;
    return !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & (BLOCKING_STI | BLOCKING_MOV_SS));
}

/* Is an NMI pending that the guest's CPU can take at this VM entry? IF
 * does not hold an NMI back. What does: the guest is still in the handler
 * of its last one, from the injection to its IRET ("blocking by NMI",
 * which with "virtual NMIs", SDM 25.6.1, the CPU keeps for the guest:
 * set by the injection, 27.6.1.2, cleared by IRET, 26.3); MOV SS's
 * shadow, where VM entry refuses an NMI (27.3.1.5); an event injected
 * already. "NMI-window exiting" (25.6.2, bit 22) brings the CPU back once
 * none holds (26.7.6). */
static bool nmi_deliverable(struct vm_devices *d)
{
    if (!d->lapic.nmi_pending) {
        set_nmi_window_exiting(d, false);
        return false;
    }
    bool held = (vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO) & INFO_VALID) ||
                (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & (BLOCKING_NMI | BLOCKING_MOV_SS));
    set_nmi_window_exiting(d, held);
    return !held;
}

/* 2, the NMI or INTR to the CPU: an NMI first (SDM 6.9, table 6-2: it
 * comes before a maskable interrupt). A guest in the HLT activity state is
 * woken by either, as a halted CPU is: the state is made active here, so
 * that the delivery and the guest's handler run at this VM entry (the
 * activity states: SDM 25.4.2, table 25-4). */
static void inject_pending_interrupt(const struct vcpu *v, struct vm_devices *d, uint64_t tsc)
{
    if (d->hold_until_tsc && tsc < d->hold_until_tsc) {
        set_interrupt_window_exiting(d, false);     /* the guest's own time */
        set_nmi_window_exiting(d, false);
        return;
    }
    d->hold_until_tsc = 0;
    bool nmi = nmi_deliverable(d);
    enum interrupt_source from = interrupt_source(d);
    if (!nmi && (from == NO_INTERRUPT || !guest_can_take_interrupt())) {
        set_interrupt_window_exiting(d, from != NO_INTERRUPT);
        return;
    }
    if (hold_for_own_time(v, d, tsc)) {
        set_interrupt_window_exiting(d, false);
        set_nmi_window_exiting(d, false);
        return;
    }
    if (nmi) {
        lapic_take_nmi(&d->lapic);
        inject_nmi();
        d->nmis_taken++;
    } else {
        inject_external_interrupt((unsigned)acknowledge(d, from));
        d->injected++;
    }
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    record_delivery(d, tsc);
    set_interrupt_window_exiting(d, interrupt_source(d) != NO_INTERRUPT);
}
/* LAB 4 END */

/* Several VMs: yield when the turn is over, or when the guest waits
 * (halted, nothing to deliver) until its next event. tsc is the time of
 * the devices' look that decided it, the turn's end (left_tsc). */
static void schedule_at(struct vcpu *v, struct vm_devices *d, bool halted, uint64_t tsc)
{
    d->waiting = halted && !something_to_take(d);
    if (d->waiting || tsc >= d->quantum_end_tsc) {
        v->yield = true;
        d->left_tsc = tsc;
        d->wake_tsc = d->waiting ? next_timer_event(d) : tsc;
    }
}

/* One VM alone on the CPU halts without an exit: HLT exiting (SDM 25.6.2)
 * is off while a timer event is armed, so that the guest's HLT puts its
 * CPU in the HLT activity state, the VMX-preemption timer, armed for that
 * event, counts down there too (SDM 26.5.1) and ends it, and the interrupt
 * is injected at that exit's VM entry: no HLT exit for each tick. A VM that
 * halts where nothing can wake it is then stopped at that exit
 * (dispatch_virtual_devices: halted_without_exit) instead of at its HLT.
 * HLT exits while no timer event is armed (nothing would end the wait:
 * exit_hlt.c stops the guest at once), when another VM may run (a halt
 * yields the CPU, sched.c) and under gdb (each HLT is a stop it sees). */
static void set_hlt_exiting(struct vm_devices *d, bool on)
{
    set_proc_control(&d->hlt_exiting, PROC_HLT_EXITING, on);
}

/* The hypervisor's cycles on the VM's exits, up to the last one: that
 * exit's, read from its reason's total in the statistics (vmx_entry.S adds
 * an exit's cycles there when it ends), a few instructions on each exit
 * here rather than one more on every exit of every run. */
static void count_hv_cycles(const struct vcpu *v, struct vm_devices *d)
{
    d->hv_cycles += v->stats.reason[d->last_reason].cycles - d->last_reason_cycles;
    unsigned r = v->exit_reason & 0xFFFF;
    d->last_reason = r < EXIT_REASON_COUNT ? r : 0;      /* as exit_stats_record counts it */
    d->last_reason_cycles = v->stats.reason[d->last_reason].cycles;
}

/* Several VMs: a blocking by NMI that the guest cannot have. With
 * virtual NMIs the guest is blocked only from an NMI injected to its
 * IRET, and VM entry loads the blocking from the interruptibility state's
 * bit 3, set or clear (SDM 27.7.1). Bochs 2.7 loads only a set bit: the
 * blocking of the VM that ran before (in its NMI's handler at the end of
 * its turn) stays on the CPU into the next VM's entry, and that VM's exit
 * reports it as its own; from then on every entry of that VM sets it
 * again, and an NMI for it waits for an NMI window that only the IRET of
 * an NMI handler it is not in would open (an NMI lost: hostile
 * nmi-self-ipi and nmi-storm, vdelay). So a VM that entered neither
 * blocked nor with an NMI injected has the bit cleared at its exit; the
 * CPU's leftover blocking then ends at the guest's next IRET (any IRET
 * unblocks NMIs, SDM 6.7.1) or at the next NMI injected. */
static void forget_nmi_blocking_of_another_vm(struct vm_devices *d)
{
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if ((blocking & BLOCKING_NMI) && !d->nmi_handler_may_run)
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)BLOCKING_NMI);
}

/* ... and the entry it is about to make: can the guest be in an NMI's
 * handler at its next exit? */
static void note_nmi_handler_may_run(struct vm_devices *d)
{
    struct event_info entry = event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO));
    d->nmi_handler_may_run = (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & BLOCKING_NMI) ||
                             (entry.valid && entry.type == EVENT_NMI);
}

/* A stall on a page the hypervisor is bringing in (resident=,
 * async_pf.c), with another VM on the CPU: until the page is in (mapped by
 * async_pf_before_entry, which ends the stall there, not a TSC read later
 * here: a page-in due between the two would let the guest fault on it
 * again), the VM yields at once and waits for it (no interrupt is injected
 * meanwhile: an unmodified guest's CPU is held at the faulting
 * instruction). */
static bool held_for_page_in(struct vcpu *v, struct vm_devices *d, uint64_t tsc)
{
    if (!d->held_until_tsc)
        return false;
    v->yield = true;
    d->waiting = true;
    d->left_tsc = tsc;
    d->wake_tsc = d->held_until_tsc;
    return true;
}

void vm_interrupts_before_entry(struct vcpu *v)
{
    struct vm_devices *d = devices(v);
    uint64_t tsc = rdtsc();
    count_hv_cycles(v, d);
    vm_input_tick(v, tsc);              /* typed bytes, before the devices' look */
    advance_all_devices(d, tsc);
    if (d->shared_cpu) {
        if (held_for_page_in(v, d, tsc))
            return;
        forget_nmi_blocking_of_another_vm(d);
    }
    inject_pending_interrupt(v, d, tsc);
    if (d->shared_cpu) {
        note_nmi_handler_may_run(d);
        schedule_at(v, d, vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == ACTIVITY_HLT, tsc);
    }
    arm_timer(v, d, tsc);
    set_hlt_exiting(d, d->shared_cpu || d->debugged || no_timer_event(d));
}

/* The guest's own time between two interrupts holds here too (see
 * above): its virtual IF is its window, and the window opens on a pending
 * interrupt right after a delivery when its handler's IRET (or STI) set
 * IF while one waited for it at the last look; the guest then runs
 * GUEST_RUN_BETWEEN TSC ticks of its own first, counted from the VM entry
 * (vm_interrupts_before_depriv_entry): the emulation of that IRET and
 * the rest of the exit would eat a hold counted from here. Only for the
 * APIC's interrupts, which a handler can raise again itself (a self-IPI,
 * a timer at count 1) with no end: at ring 1 each delivery costs many
 * exits, and the PIT's owed ticks (catchup), one hold apart, would drain
 * so slowly that a guest's clock ran fast for long after (its ticks came
 * in a burst while it measured time). */
int vm_interrupts_take(struct vcpu *v, bool guest_if)
{
    struct vm_devices *d = devices(v);
    uint64_t tsc = rdtsc();
    bool window_opened = guest_if && d->waited_for_window;
    if (d->hold_until_tsc && tsc >= d->hold_until_tsc)
        d->hold_until_tsc = 0;              /* over: the timer no longer waits for it */
    vm_input_tick(v, tsc);
    advance_all_devices(d, tsc);
    enum interrupt_source from = interrupt_source(d);
    d->waited_for_window = !guest_if && from != NO_INTERRUPT;
    if (!guest_if || from == NO_INTERRUPT || d->hold_until_tsc) {
        arm_timer(v, d, tsc);
        return -1;
    }
    if (window_opened && d->injected_since_hold && from == FROM_LAPIC) {
        d->hold_requested = true;
        d->injected_since_hold = false;
        return -1;
    }
    arm_timer(v, d, tsc);
    d->injected++;
    d->injected_since_hold = true;
    return acknowledge(d, from);
}

bool vm_interrupts_wait_for_if(const struct vcpu *v)
{
    return devices(v)->waited_for_window;
}

/* The NMI, in software too: taken when the guest is out of its last NMI's
 * handler (`blocked`: the caller's, delivery to IRET). The guest's own
 * time holds here as for the APIC's interrupts (see above): an NMI handler
 * can send itself the next NMI before its IRET, with no end, and the IRET
 * that unblocked NMIs (`just_unblocked`) with one pending waits
 * GUEST_RUN_BETWEEN first. */
bool vm_interrupts_take_nmi(struct vcpu *v, bool blocked, bool just_unblocked)
{
    struct vm_devices *d = devices(v);
    if (blocked || !d->lapic.nmi_pending || d->hold_until_tsc || d->hold_requested)
        return false;
    if (just_unblocked && d->injected_since_hold) {
        d->hold_requested = true;
        d->injected_since_hold = false;
        return false;
    }
    lapic_take_nmi(&d->lapic);
    d->nmis_taken++;
    d->injected_since_hold = true;
    return true;
}

/* An exception or EPT violation exit: the blocking of NMIs as the guest's
 * CPU has it (with virtual NMIs, the interruptibility state's bit 3).
 *   - The exit came while an NMI was being delivered (the IDT-vectoring
 *     information, SDM 28.2.4: a #PF of the shadow's on the handler's
 *     stack, say): the NMI never reached its handler, and is injected
 *     again (exit_pf.c's redeliver); VM entry refuses that while blocking
 *     by NMI is set (27.3.1.5), so it is cleared (as KVM does: the
 *     delivery that set it did not happen).
 *   - The exit cut short an IRET that had lifted the blocking: bit 12,
 *     "NMI unblocking due to IRET", of the exit interruption information
 *     or of the EPT violation's qualification (28.2.3, 28.2.1). The IRET
 *     runs again at the VM entry (or the guest takes the fault first): the
 *     guest is still in its NMI's handler, and the blocking is set again,
 *     or an NMI injected now would nest in that handler. Not for a #DF,
 *     whose bit 12 is undefined. */
void vm_interrupts_nmi_blocking_after_fault(const struct vcpu *v)
{
    struct event_info idt = event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO));
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if (idt.valid) {
        if (idt.type == EVENT_NMI && (blocking & BLOCKING_NMI))
            vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)BLOCKING_NMI);
        return;
    }
    bool unblocked;
    if ((v->exit_reason & 0xFFFF) == EXIT_EPT_VIOLATION) {
        unblocked = ept_qual_decode(v->exit_qualification).nmi_unblocking;
    } else {
        struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
        unblocked = e.valid && e.nmi_unblocking && e.vector != VEC_DF;
    }
    if (unblocked)
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking | BLOCKING_NMI);
}

/* An NMI of the machine's, which exits (pin-based "NMI exiting"): with
 * the VM's own devices it goes to the guest as its local APIC's NMI, and
 * waits there as any other until the guest can take it. */
void vm_interrupts_machine_nmi(struct vcpu *v)
{
    lapic_accept_nmi(&devices(v)->lapic);
}

void vm_interrupts_before_depriv_entry(struct vcpu *v)
{
    struct vm_devices *d = devices(v);
    if (!d->hold_requested)
        return;
    uint64_t tsc = rdtsc();
    d->hold_requested = false;
    d->hold_until_tsc = tsc + GUEST_RUN_BETWEEN;
    arm_timer(v, d, tsc);
}

void vm_interrupts_schedule(struct vcpu *v, bool halted)
{
    struct vm_devices *d = devices(v);
    if (d->shared_cpu)
        schedule_at(v, d, halted, rdtsc());
}

uint64_t vm_interrupts_left_at(const struct vcpu *v)
{
    return devices(v)->left_tsc;
}

/* The time the VM was kept from running, up to its turn starting at tsc:
 * a VM that was preempted lost all the time since it yielded; one that
 * waited for its next tick lost only the time from that tick on (until
 * then it had nothing to do, and a bare CPU's time runs on while it
 * halts). */
static uint64_t kept_from_running(const struct vm_devices *d, uint64_t tsc)
{
    uint64_t from = d->wake_tsc > d->left_tsc ? d->wake_tsc : d->left_tsc;
    return tsc > from ? tsc - from : 0;
}

/* LAB 4 BEGIN: time stands still for a VM kept from running */
/* timer_mode=delay: that time stands still for the VM's PIT; the next
 * tick is found again on the new time. */
static void delay_time(struct vm_devices *d, uint64_t kept)
{
    if (!kept)
        return;
    vm_clock_stand_still(&d->clock, kept);
    d->next_edge_tsc = 0;
}

/* tsc=run: and for its TSC, by the TSC offset that VM entry loads (SDM
 * 26.3, RDTSC: "use TSC offsetting"; 25.6.5, the offset is added to the
 * TSC the guest reads). Its APIC timer counts that TSC (vm_lapic.c), so
 * it stands still too: its next expiry is found again. */
static void delay_tsc(struct vm_devices *d, uint64_t kept)
{
    if (!kept)
        return;
    d->tsc_offset -= (int64_t)kept;
    vmcs_write(VMCS_TSC_OFFSET, (uint64_t)d->tsc_offset);
    d->lapic_event_tsc = 0;
}
/* LAB 4 END */

void vm_interrupts_hold_time(struct vcpu *v, uint64_t ticks)
{
    struct vm_devices *d = devices(v);
    if (!d->virtual_pit_pic || !ticks)
        return;
    vm_clock_stand_still(&d->clock, ticks);
    d->tsc_offset -= (int64_t)ticks;        /* its TSC and APIC too */
    vmcs_write(VMCS_TSC_OFFSET, (uint64_t)d->tsc_offset);
    d->next_edge_tsc = 0;
    d->lapic_event_tsc = 0;
    d->rtc_event_tsc = 0;                   /* its clock's next interrupt found again */
}

void vm_interrupts_end_turn(struct vcpu *v)
{
    struct vm_devices *d = devices(v);
    if (d->shared_cpu)
        d->quantum_end_tsc = 0;         /* schedule_at: the turn is over */
}

void vm_interrupts_set_quantum(struct vcpu *v, uint64_t now, uint64_t end_tsc)
{
    struct vm_devices *d = devices(v);
    /* The edges of the time it did not run: a VM that waited for its tick
     * was not kept from running, it had nothing to do (its tick is its
     * wake-up, never dropped); one preempted was. */
    if (d->shared_cpu) {
        uint64_t kept = kept_from_running(d, now);
        if (d->timer_mode == TIMER_DELAY) {
            delay_time(d, kept);
            vm_rtc_advance(d, now);         /* its clock's next interrupt on the new time too */
        } else
            count_edges(d, now, !d->waiting);
        if (d->tsc_run)
            delay_tsc(d, kept);
        if (now > d->left_tsc) {            /* others' turns: not its own time */
            if (d->injected_since_hold)
                d->delivered_tsc += now - d->left_tsc;
            if (d->hold_until_tsc)
                d->hold_until_tsc += now - d->left_tsc;
        }
    }
    d->shared_cpu = true;
    d->quantum_end_tsc = end_tsc;
    d->waiting = false;
    /* The timer would count from the value written at the VM's last
     * exit, a turn ago: it is armed again from now, for the VM's next event
     * or the turn's end; for now if it has something to take (a VM that
     * waited, in the HLT activity state, for a tick due by now, or ticks
     * owed for the time another VM ran), whose exit delivers it at once,
     * unless the guest's own time holds it (see above). */
    if (something_to_take(d) && !d->hold_until_tsc)
        vmcs_write(VMCS_VMX_PREEMPTION_TIMER_VALUE, 0);
    else
        arm_timer(v, d, now);
}

uint64_t vm_interrupts_next_event(const struct vcpu *v)
{
    const struct vm_devices *d = devices(v);
    if (d->held_until_tsc)
        return d->held_until_tsc;           /* a stall: nothing before its page is in */
    if (something_to_take(d))
        return 0;                           /* now */
    return next_timer_event(d);
}

bool vm_interrupts_waiting(const struct vcpu *v)
{
    return devices(v)->waiting;
}

void vm_interrupts_wake(struct vcpu *v)
{
    devices(v)->waiting = false;
}

void vm_interrupts_pit_changed(struct vcpu *v)
{
    devices(v)->next_edge_tsc = 0;
}

void vm_interrupts_print_stats(const struct vcpu *v)
{
    const struct vm_devices *d = devices(v);
    if (d->virtual_pit_pic)
        printf("hv: %sdevices: %lu ticks of IRQ 0 (OUT0's rising edges), %lu raised, %lu merged "
               "or dropped (timer_mode=%s); %lu interrupts %s\n", v->guest->tag, d->irq0_edges,
               d->ticks_raised, d->ticks_dropped, options_value_name("timer_mode", d->timer_mode),
               d->injected, v->depriv.active ? "delivered in software" : "injected");
    if (d->virtual_pit_pic && d->ioapic_accesses)
        printf("hv: %sioapic: %lu register accesses emulated, %lu messages delivered, %lu dropped\n",
               v->guest->tag, d->ioapic_accesses, d->ioapic_delivered, d->ioapic_dropped);
    if (d->virtual_pit_pic && d->lapic_accesses)
        printf("hv: %slapic: %lu register accesses emulated, %lu timer expiries\n", v->guest->tag,
               d->lapic_accesses, d->lapic_expiries);
    if (d->virtual_pit_pic)
        vm_input_print_stats(v);
}

bool vm_devices_virtual(const struct vcpu *v)
{
    return devices(v)->virtual_pit_pic;
}

bool vm_interrupt_can_come(const struct vcpu *v)
{
    struct vm_devices *d = devices(v);
    uint64_t tsc = rdtsc();
    advance_all_devices(d, tsc);        /* an edge due may be a request */
    if (interrupt_source(d) != NO_INTERRUPT || d->lapic.nmi_pending)
        return true;
    bool apic_timer = d->lapic_event_tsc != UINT64_MAX && !(d->lapic.lvt[LAPIC_LVT_TIMER] & LAPIC_LVT_MASKED);
    bool irq0 = vm_isa_irq_reaches_cpu(d, 0) && d->next_edge_tsc != UINT64_MAX;
    /* A PV guest's timer (its upcall, or block's end), a page-in's end ("page ready"): */
    bool hv_event = hv_event_tsc(d) != UINT64_MAX;
    return apic_timer || irq0 || vm_rtc_irq_can_come(d) || vm_input_poll_tsc(d) != UINT64_MAX || hv_event;
}

bool vm_nmi_can_come(const struct vcpu *v)
{
    struct vm_devices *d = devices(v);
    advance_devices(d, rdtsc());        /* an edge due may be the NMI */
    return d->lapic.nmi_pending ||
           (vm_ioapic_isa_irq_sends_nmi(d, 0) && d->next_edge_tsc != UINT64_MAX);
}

void vm_pic_masks(const struct vcpu *v, uint8_t *master, uint8_t *slave)
{
    struct pic_state s;
    pic_get_state(&devices(v)->pic, &s);
    *master = s.chip[PIC_MASTER].imr;
    *slave = s.chip[PIC_SLAVE].imr;
}

const char *vm_interrupts_lacks(const struct vmx_caps *caps)
{
    /* The allowed-1 settings are the high half of the capability MSR
     * (SDM A.3.1). */
    if (!((caps->pinbased >> 32) & PIN_PREEMPTION_TIMER))
        return "the VMX-preemption timer (IA32_VMX_PINBASED_CTLS bit 38)";
    if (!((caps->procbased >> 32) & PROC_USE_TSC_OFFSETTING))
        return "\"use TSC offsetting\" (IA32_VMX_PROCBASED_CTLS bit 35)";
    if (!((caps->pinbased >> 32) & PIN_VIRTUAL_NMIS))
        return "\"virtual NMIs\" (IA32_VMX_PINBASED_CTLS bit 37)";
    if (!((caps->procbased >> 32) & PROC_NMI_WINDOW_EXITING))
        return "\"NMI-window exiting\" (IA32_VMX_PROCBASED_CTLS bit 54)";
    return NULL;
}

void vm_interrupts_require(const struct vmx_caps *caps)
{
    const char *lacks = vm_interrupts_lacks(caps);
    if (lacks)
        panic("devices=virtual needs %s, which this CPU's VMX lacks: the VM's ticks come from the "
              "preemption timer, even to a guest that never exits, its TSC stands still by TSC "
              "offsetting, and its NMIs wait for the guest's IRET by virtual NMIs (Bochs: "
              "CPU=tigerlake has them all; devices=machine runs on this CPU)", lacks);
}

void vm_interrupts_start(struct vcpu *v, uint64_t tsc_hz, bool debugged)
{
    struct vm_devices *d = devices(v);
    /* The machine's PICs deliver nothing to anyone any more (OCW1: every
     * line masked): a guest's interrupts are its own PIC's. */
    outb(MACHINE_PIC_MASTER_DATA, 0xFF);
    outb(MACHINE_PIC_SLAVE_DATA, 0xFF);
    vm_rtc_start(v);                    /* the machine's clock read, before the VM's time begins */
    vm_cga_start(v);
    uint64_t tsc = rdtsc();
    vm_clock_start(&d->clock, tsc_hz, tsc);
    pit_start_as_bios(&d->pit, 0);
    /* A PV VM had no BIOS, and its interrupts are events: its PIC is as at
     * power-on, every line masked. (The BIOS's masks leave IRQ 0 open at
     * vector 8, an exception's: a PV kernel that never programs the PIC
     * would take the PIT's first tick as a double fault.) */
    if (v->vm->pv)
        pic_reset(&d->pic);
    else
        pic_reset_as_bios(&d->pic);
    d->next_edge_tsc = 0;
    d->hold_until_tsc = 0;
    d->hv_vector = 0;
    d->hv_vector_first = v->guest->overcommit != NULL;    /* "page ready" (interrupt_source) */
    d->pv_event_guest_tsc = UINT64_MAX;
    d->apf_event_tsc = UINT64_MAX;
    d->held_until_tsc = 0;
    /* Port 0x61 (counter 2's gate, OUT2) is the virtual PIT's now: it
     * exits, as every port but it did already (SDM 25.6.4). */
    uint8_t *io_bitmap_a = (uint8_t *)vmcs_read(VMCS_IO_BITMAP_A);
    io_bitmap_a[PIT_PORT_B / 8] |= (uint8_t)(1u << (PIT_PORT_B % 8));
    d->window = (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_INTERRUPT_WINDOW_EXITING) != 0;
    d->hlt_exiting = (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_HLT_EXITING) != 0;
    d->nmi_window = (vmcs_read(VMCS_PROC_BASED_CONTROLS) & PROC_NMI_WINDOW_EXITING) != 0;
    d->debugged = debugged;
    /* "Virtual NMIs" (SDM 25.6.1; it needs "NMI exiting", on since
     * vmcs_setup.c): the CPU keeps for the guest whether it is in the
     * handler of an NMI injected, from the injection to its IRET, and can
     * exit when it is out (NMI-window exiting: inject_pending_interrupt). */
    vmcs_write(VMCS_PIN_BASED_CONTROLS,
               vmcs_read(VMCS_PIN_BASED_CONTROLS) | PIN_PREEMPTION_TIMER | PIN_VIRTUAL_NMIS);
    /* The guest's RDTSC gives the TSC plus this offset (SDM 26.3), which
     * takes off the time its TSC stands still (tsc=run: delay_tsc, and a
     * debugger's hold). */
    d->tsc_offset = 0;
    vmcs_write(VMCS_TSC_OFFSET, 0);
    vmcs_write(VMCS_PROC_BASED_CONTROLS, vmcs_read(VMCS_PROC_BASED_CONTROLS) | PROC_USE_TSC_OFFSETTING);
    vm_lapic_start(v, tsc_hz);
    vm_ioapic_start(d);
    printf("hv: %sdevices=virtual: the guest's PIT and PIC are the hypervisor's models; the TSC "
           "runs at %lu Hz; the guest's TSC counts %s\n", v->guest->tag, tsc_hz,
           d->tsc_run ? "only its VM's own time (tsc=run)" : "wall time (tsc=wall)");
}
