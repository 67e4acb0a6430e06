/*
 * depriv_deliver.c: exceptions and interrupts of a deprivileged guest,
 * delivered by the hypervisor in software (64-bit, VMX root; lab 3).
 *
 * The CPU cannot deliver them itself: its frame would hold the real CS,
 * ring 1, where the guest's kernel expects its ring-0 selector, and the
 * guest's IF is virtual. So every event exits, and this file does what the
 * CPU does (SDM vol. 3, 6.12.1 "Exception- or Interrupt-Handler
 * Procedures"): read the gate from the guest's IDT; from rings 2 and 3, switch
 * to the kernel stack its TSS names (ss0:esp0); push (SS, ESP,) EFLAGS, CS,
 * EIP (and the error code) as the guest would have seen them at ring 0;
 * jump to the handler; clear IF for an interrupt gate. IRET back to ring 0
 * faults at ring 1 and is emulated here too.
 */
#include "depriv/depriv.h"
#include "vmx/exit_info.h"
#include "vmx/inject.h"
#include "guest/vcpu.h"
#include "poweroff.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/descriptor.h"
#include "x86/x86.h"

#define GATE_INTERRUPT32 0xE
#define GATE_TRAP32      0xF
#define FLAGS_CLEARED_ON_DELIVERY (RFLAGS_TF | RFLAGS_RF | RFLAGS_VM | (1u << 14))   /* NT */

/* CPL is SS.DPL (SDM 25.4.1). Ring compression moves the guest's ring 0
 * only: real ring 1 is its 0; its rings 2 and 3 are the real ones. */
unsigned depriv_cpl(void)
{
    unsigned ring = (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3;
    return ring == 1 ? 0 : ring;
}

/* The guest's EFLAGS as it would read them: its own IF. */
uint32_t depriv_guest_eflags(const struct vcpu *v)
{
    uint32_t f = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint32_t)RFLAGS_IF;
    return f | (v->depriv.vif ? RFLAGS_IF : 0);
}

static void fail(struct vcpu *v, unsigned vector, const char *why)
{
    guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: delivering vector %u: %s", vector, why);
}

static void deliver_through_idt(struct vcpu *v, unsigned vector, int64_t error, uint32_t eip,
                                unsigned length);

/* Every event: first what the CPU would raise delivering it, combined with
 * it as the CPU combines two (depriv_fault.c: a #DF, a triple fault); if
 * nothing, through the guest's IDT (lab 3). external: an interrupt or NMI,
 * whatever its vector (benign, SDM 6.15 table 6-4). */
static void deliver(struct vcpu *v, unsigned vector, int64_t error, uint32_t eip, unsigned length,
                    bool external)
{
    struct depriv *dp = &v->depriv;
    struct depriv_event e = { vector, error >= 0, external, eip, length, depriv_cpl() }, instead;
    uint32_t second_error;
    if (dp->halted_at && dp->halted_at == eip && !length)
        e.eip += dp->halt_length;               /* the wait in HLT ends (depriv_emulate.c) */
    switch (depriv_delivery_check(v, &e, &instead, &second_error)) {
    case DELIVERY_GOES_ON:
        deliver_through_idt(v, vector, error, eip, length);   /* through the check's walks */
        break;
    case DELIVERY_FAULTS:
        dp->halted_at = 0;                      /* instead.eip is past the HLT already */
        deliver(v, instead.vector, second_error, instead.eip, 0, false);
        break;
    case DELIVERY_STOPPED:
        break;
    }
    depriv_delivery_end(v);
}

void depriv_deliver(struct vcpu *v, unsigned vector, int64_t error, uint32_t eip, unsigned length)
{
    deliver(v, vector, error, eip, length, false);
}

/* LAB 3 BEGIN: deliver an event in software */
static void deliver_through_idt(struct vcpu *v, unsigned vector, int64_t error, uint32_t eip,
                                unsigned length)
{
    struct depriv *dp = &v->depriv;
    uint64_t gate;
    if (vector * 8 + 7 > dp->idt_limit || !depriv_read(v, dp->idt_base + vector * 8, &gate, 8))
        return fail(v, vector, "the guest's IDT does not hold its gate");
    unsigned type = (gate >> 40) & 0xF, dpl = (gate >> 45) & 3;
    if (!(gate & (1ull << 47)) || (type != GATE_INTERRUPT32 && type != GATE_TRAP32))
        return fail(v, vector, "its gate is not a present 32-bit interrupt or trap gate");
    if (dp->halted_at && dp->halted_at == eip && !length)
        eip += dp->halt_length;                 /* the wait in HLT ends (depriv_emulate.c) */
    dp->halted_at = 0;
    unsigned cpl = depriv_cpl();
    if (length && dpl < cpl) {                  /* INT n from user mode to a kernel-only gate */
        if (vector == VEC_GP)
            return fail(v, vector, "a #GP while checking the #GP gate");
        return depriv_deliver(v, VEC_GP, vector * 8 + 2, eip, 0);
    }
    eip += length;                              /* INT n returns after itself */
    uint16_t cs = (uint16_t)((gate >> 16) | 1);   /* the guest's ring 0 is ring 1 */
    if (!depriv_segment_ok(v, cs, true))
        return fail(v, vector, "its gate's code segment is not a ring-0 code segment");
    uint32_t handler = (uint32_t)((gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000));
    uint32_t frame[6], n = 0;
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP);
    uint16_t ss = (uint16_t)vmcs_read(VMCS_GUEST_SS_SELECTOR);
    uint16_t old_cs = (uint16_t)vmcs_read(VMCS_GUEST_CS_SELECTOR);
    if (cpl != 0) {                             /* to the kernel stack of the guest's TSS */
        uint32_t tss, tss_limit, ss0_esp0[2];
        if (!depriv_guest_tss(v, &tss, &tss_limit) || !depriv_read(v, tss + 4, ss0_esp0, 8))
            return fail(v, vector, "the guest's TSS (ss0:esp0) cannot be read");
        frame[n++] = ss;
        frame[n++] = esp;
        esp = ss0_esp0[0];
        ss = (uint16_t)(ss0_esp0[1] | 1);
        if (!depriv_segment_ok(v, ss, false))
            return fail(v, vector, "the ss0 of the guest's TSS is not a ring-0 stack segment");
    } else {
        old_cs &= ~3;                           /* the guest thinks it ran at ring 0 */
    }
    /* From rings 2 and 3 the frame holds the real selectors: those rings
     * are the guest's own. */
    frame[n++] = depriv_guest_eflags(v);
    frame[n++] = old_cs;
    frame[n++] = eip;
    if (error >= 0)
        frame[n++] = (uint32_t)error;
    /* The frame, pushed from the top down: the first pushed is highest. */
    uint32_t words[6];
    for (unsigned i = 0; i < n; i++)
        words[i] = frame[n - 1 - i];
    esp -= 4 * n;
    if (!depriv_write(v, esp, words, 4 * n))
        return fail(v, vector, "the guest's kernel stack is not mapped");

    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, cs);
    if (cpl != 0)                               /* at the same level SS stays as it is */
        depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, ss);
    vmcs_write(VMCS_GUEST_RSP, esp);
    vmcs_write(VMCS_GUEST_RIP, handler);
    vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~FLAGS_CLEARED_ON_DELIVERY);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
    if (type == GATE_INTERRUPT32)
        depriv_set_vif(v, false);
    dp->delivered++;
}

/* LAB 3 END */

/* What inject.c put in the VM-entry interruption information, delivered
 * here instead (the real IDT is empty). */
void depriv_deliver_injected(struct vcpu *v)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO));
    if (!e.valid)
        return;
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
    int64_t error = e.has_error_code ? (int64_t)vmcs_read(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
    unsigned length = e.type == EVENT_SOFTWARE_EXCEPTION
                          ? (unsigned)vmcs_read(VMCS_VM_ENTRY_INSTRUCTION_LENGTH) : 0;
    depriv_deliver(v, e.vector, error, (uint32_t)vmcs_read(VMCS_GUEST_RIP), length);
}

/*
 * Until the guest first sets IF, its interrupts stay in the PIC, as on bare
 * hardware with IF clear: the real IF is 0 and external interrupts do not
 * exit. The guest programs its PIC in that time (at reset the PIC gives the
 * timer vector 8, which the guest moves). From its first STI on, every
 * interrupt exits and is acknowledged at once (SDM 25.7.1, "acknowledge
 * interrupt on exit"), and waits here while the guest's own IF is 0; the
 * real IF stays 1, so PUSHF shows 1 whatever the guest believes. One
 * difference from the bare CPU follows: acknowledged early, the interrupt
 * leaves the PIC free to latch the next one, so a guest that keeps IF
 * clear across two timer periods is given two ticks where the bare CPU,
 * which acknowledges nothing while IF is 0, gives one (the second right
 * after the first one's EOI). devices=virtual's PIC (lab 4) has no such
 * early acknowledge.
 */
void depriv_set_vif(struct vcpu *v, bool on)
{
    struct depriv *dp = &v->depriv;
    if (on && !dp->vif)
        dp->hold_interrupts = true;
    dp->vif = on;
    if (!on || dp->taking_interrupts)
        return;
    dp->taking_interrupts = true;
    vmcs_write(VMCS_PIN_BASED_CONTROLS, vmcs_read(VMCS_PIN_BASED_CONTROLS) | PIN_EXTERNAL_INTERRUPT_EXITING);
    vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_IF);
}

static void set_interrupt_window_exiting(bool on)
{
    uint64_t proc = vmcs_read(VMCS_PROC_BASED_CONTROLS);
    vmcs_write(VMCS_PROC_BASED_CONTROLS, on ? proc | PROC_INTERRUPT_WINDOW_EXITING
                                            : proc & ~(uint64_t)PROC_INTERRUPT_WINDOW_EXITING);
}

/* The kernel returns to user mode with IRET, and at CPL 1 > IOPL that IRET
 * runs without a fault but leaves IF alone (SDM vol. 2A, IRET): the IF of
 * its frame never reaches the hypervisor. Unpatched, the hypervisor assumes
 * what every kernel does, user mode with interrupts on. With patch=1 the
 * kernel's IRETs trap, and the guest's IF is exactly its frame's. */
void depriv_returned_to_user(struct vcpu *v)
{
    if (depriv_cpl() == 0)
        return;
    if (!v->depriv.iret_patched)
        depriv_set_vif(v, true);
    v->depriv.nmi_blocked = false;      /* user mode: its NMI handler has returned */
}

void depriv_interrupt(struct vcpu *v, unsigned vector)
{
    v->depriv.pending[vector / 64] |= 1ull << (vector % 64);
    v->depriv.interrupts++;
}

void depriv_nmi(struct vcpu *v)
{
    v->depriv.nmi_pending = true;
}

/* The NMI goes first (SDM 6.9, table 6-2), whatever the guest's IF, and
 * NMIs are blocked from its delivery to the guest's next IRET (6.7.1;
 * depriv_iret, depriv_returned_to_user). Not in MOV SS's shadow, which
 * holds NMIs too: the interrupt window brings it after that instruction. */
static void deliver_nmi(struct vcpu *v)
{
    if (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & BLOCKING_MOV_SS) {
        set_interrupt_window_exiting(true);
        return;
    }
    v->depriv.nmi_pending = false;
    v->depriv.nmi_blocked = true;
    deliver(v, VEC_NMI, -1, (uint32_t)vmcs_read(VMCS_GUEST_RIP), 0, true);
}

/* The guest runs at least one instruction after this VM entry before an
 * external interrupt can exit: "blocking by STI" holds it (SDM 25.4.2,
 * table 25-3), the instruction boundary at which the CPU too delivers at
 * most one interrupt. It needs the real IF set (SDM 27.3.1.5), which it is
 * from the guest's first STI on. */
static void run_one_instruction_first(const struct vcpu *v)
{
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & ~(uint64_t)BLOCKING_MOV_SS;
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    /* Not with TF = 1 (the guest's, or a debugger's, set before the entry):
     * blocking by STI would then need the single-step #DB pending (SDM
     * 27.3.1.5), before the instruction runs; the #DB that TF raises after
     * it is the guest's progress instead. */
    if ((rflags & RFLAGS_IF) && !(rflags & RFLAGS_TF) && !v->depriv.debugger_step)
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking | BLOCKING_STI);
}

bool depriv_interrupt_pending(const struct vcpu *v)
{
    const uint64_t *p = v->depriv.pending;
    return p[0] | p[1] | p[2] | p[3];
}

/* An interrupt to deliver at this entry: one pending with the guest's IF
 * set, or the one instruction after an IF set is done. */
static bool interrupt_due(const struct vcpu *v)
{
    return v->depriv.vif && (v->depriv.hold_interrupts || depriv_interrupt_pending(v));
}

bool depriv_delivery_due(const struct vcpu *v)
{
    return v->depriv.nmi_pending || interrupt_due(v) ||
           event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO)).valid;
}

bool depriv_only_held(const struct vcpu *v)
{
    return !v->depriv.nmi_pending && v->depriv.hold_interrupts && !depriv_interrupt_pending(v) &&
           !event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO)).valid;
}

/* The lowest pending vector first: the PIC's priority order. Each
 * delivery, and each exit that set the guest's IF (IRET, STI), lets the
 * guest run an instruction before the next one: with the PIT at its fastest
 * the next tick is pending by the time the hypervisor has emulated a
 * handler's EOI and IRET, and delivering it there would never let the
 * guest run its own code (a livelock). */
void depriv_deliver_pending(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    if (dp->nmi_pending && !v->stopped)
        deliver_nmi(v);
    if (v->stopped || !interrupt_due(v))
        return;                                 /* most exits: nothing to do */
    if (event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO)).valid)
        return;
    bool shadow = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & BLOCKING_MOV_SS;
    if (dp->hold_interrupts || shadow) {
        dp->hold_interrupts = false;
    } else {
        unsigned i = 0;
        while (!dp->pending[i])                 /* one is pending: checked above */
            i++;
        unsigned vector = i * 64 + (unsigned)__builtin_ctzll(dp->pending[i]);
        dp->pending[i] &= dp->pending[i] - 1;
        deliver(v, vector, -1, (uint32_t)vmcs_read(VMCS_GUEST_RIP), 0, true);
    }
    if (!shadow)                                /* MOV SS's shadow is a boundary already */
        run_one_instruction_first(v);
    if (depriv_interrupt_pending(v))                   /* the next one, after that instruction */
        set_interrupt_window_exiting(true);
}

void depriv_deliver_later(struct vcpu *v)
{
    const struct depriv *dp = &v->depriv;
    if (event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO)).valid) {
        vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, 0);
        guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: an event to deliver between two "
                   "instructions of the guest (a binary translator bug)");
        return;
    }
    /* The window exit comes before an instruction at which nothing blocks
     * (SDM 26.2): blocking by STI lets one run first. Not with TF (the
     * guest's, or a debugger's step: its TF is out of RFLAGS now): STI
     * blocking is not given then (run_one_instruction_first), so the window
     * would exit before every instruction and none would run; the
     * single-step trap after the next instruction brings the guest back. */
    bool traps = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF) || dp->debugger_step;
    if (!v->stopped && !traps && (dp->nmi_pending || (dp->vif && depriv_interrupt_pending(v)))) {
        run_one_instruction_first(v);
        set_interrupt_window_exiting(true);
    }
}

void depriv_interrupt_window(void)
{
    set_interrupt_window_exiting(false);        /* depriv_deliver_pending delivers */
}

void depriv_mov_ss_shadow(void)
{
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) | BLOCKING_MOV_SS);
}

/* Back at an outer ring (2 or 3), a data segment register that holds a more
 * privileged segment is loaded with the null selector, as IRET does (SDM
 * vol. 2A, IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL). */
static void null_kernel_data_segments(const struct vcpu *v, unsigned cpl)
{
    static const unsigned fields[4] = { VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_ES_SELECTOR,
                                        VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR };
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = fields[i] - VMCS_GUEST_ES_SELECTOR;
        uint32_t ar = (uint32_t)vmcs_read(VMCS_GUEST_ES_ACCESS_RIGHTS + n);
        bool conforming_code = (ar & 0x1C) == 0x1C;
        if (!(ar & 0x10000) && ((ar >> 5) & 3) < cpl && !conforming_code)
            depriv_load_segment(v, fields[i], 0);
    }
}

/* A selector IRET refuses only because its segment is not present: the
 * fault is then #NP, for CS and SS alike, not #GP (SDM vol. 2A, IRET,
 * "Protected Mode Exceptions": "#NP(selector) If the return code or stack
 * segment is not present"; Bochs's IRET too). */
static bool only_absent(const struct vcpu *v, uint16_t selector, bool code)
{
    return descriptor_fits(depriv_copied_descriptor(v, selector) | DESC_P, selector & 3u, code);
}

/* LAB 3 BEGIN: IRET back to the guest's ring 0 */
void depriv_iret(struct vcpu *v)
{
    uint32_t esp = (uint32_t)vmcs_read(VMCS_GUEST_RSP), frame[5];
    if (!depriv_read(v, esp, frame, 12))
        return fail(v, VEC_GP, "IRET: the guest's stack is not mapped");
    uint32_t eip = frame[0], eflags = frame[2];
    uint16_t cs = (uint16_t)frame[1], ss = 0;
    esp += 12;
    if ((cs & 3) == 1)                          /* ring compression: see depriv.h */
        return guest_stop(v, POWEROFF_GUEST_STOPPED, "cpu=deprivileged: IRET to ring 1 (CS 0x%x): "
                          "the guest's ring 1 is its ring 0 here (ring compression)", cs);
    if ((cs & 3) >= 2) {                        /* back to ring 2 or 3: its SS:ESP too */
        if (!depriv_read(v, esp, frame + 3, 8))
            return fail(v, VEC_GP, "IRET: the guest's stack is not mapped");
        esp = frame[3];
        ss = (uint16_t)frame[4];
    } else {
        cs |= 1;                                /* back to the guest's ring 0: ring 1 */
    }
    /* What IRET checks before it changes anything (SDM vol. 2A, IRET):
     * a bad selector is a #GP with that selector, at the IRET, but a
     * segment that is only not present an #NP; SS's RPL must be the new
     * CPL. The guest's ring 0 is the real ring 1. */
    uint16_t bad = !depriv_segment_ok(v, cs, true) ? cs
                 : ss && ((ss & 3) != (cs & 3) || !depriv_segment_ok(v, ss, false)) ? ss : 0;
    if (bad || !cs) {
        bool absent = bad == cs ? only_absent(v, cs, true) : (ss & 3) == (cs & 3) && only_absent(v, ss, false);
        depriv_deliver(v, absent ? VEC_NP : VEC_GP, bad & ~3u, (uint32_t)v->rip, 0);
        return;
    }
    if (eip > descriptor_limit(depriv_copied_descriptor(v, cs))) {
        depriv_deliver(v, VEC_GP, 0, (uint32_t)v->rip, 0);     /* "EIP is not within code segment limit" */
        return;
    }
    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, cs);
    if (ss) {
        depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, ss);
        null_kernel_data_segments(v, cs & 3);
    }
    vmcs_write(VMCS_GUEST_RSP, esp);
    vmcs_write(VMCS_GUEST_RIP, eip);
    /* The flags IRET may change at ring 0, but IOPL (0) and IF, which stay
     * the hypervisor's. */
    uint32_t real_if = (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF;
    uint32_t changeable = 0x3F7FD5u & ~(uint32_t)(3u << 12 | RFLAGS_IF | RFLAGS_VM);
    vmcs_write(VMCS_GUEST_RFLAGS, (eflags & changeable) | 2 | real_if);
    depriv_set_vif(v, eflags & RFLAGS_IF);
    v->depriv.nmi_blocked = false;              /* IRET ends an NMI's handler (SDM 6.7.1) */
    v->depriv.emulated++;
}
/* LAB 3 END */

/* A debugger's step counts as TF = 1 (its TF is out of the VMCS while the
 * hypervisor works: see struct depriv's debugger_step). */
struct depriv_step depriv_step_begin(const struct vcpu *v)
{
    bool tf = (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF) || v->depriv.debugger_step;
    return (struct depriv_step){ tf, v->depriv.delivered };
}

/* Completed: the guest's RIP moved on and no event was delivered (an
 * exception or interrupt clears TF and owes no trap). */
bool depriv_step_end(struct vcpu *v, struct depriv_step s)
{
    if (!s.tf || v->stopped || v->depriv.delivered != s.delivered ||
        vmcs_read(VMCS_GUEST_RIP) == v->rip)
        return false;
    make_single_step_pending();
    return true;
}
