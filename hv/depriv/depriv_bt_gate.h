/*
 * depriv_bt_gate.h: INT n from the guest's user mode through the real IDT,
 * bt=1 (64-bit, VMX root; issue 21 point 5; depriv_bt_gate.c says how, and
 * hv/bt/bt_gate.h has the trampoline). depriv_bt.c calls these at its
 * exits and entries, with the state they keep in struct depriv_bt.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "bt/bt_exit.h"
#include "bt/bt_gate.h"
#include "bt/bt_vcpu.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_area.h"
#include "guest/vcpu.h"
#include "vmx/exit_reasons.h"

struct depriv_bt_gates {
    struct bt_vcpu_page *page;      /* the vCPU page, where the trampoline finds the checks */
    uint64_t *idt;                  /* the real IDT (host pointer), at BT_IDT */
    struct bt_gate_code code;       /* the trampoline and the stubs in the TC */
    uint64_t open[4];               /* the vectors whose real gate is DPL 3, or an
                                       exception's error gate: checked, in use */
    uint32_t exceptions;            /* of them, the exceptions injected through it */
    bool deliver_next;              /* an exception fell back: the next is the hypervisor's */
    bool idt_on;                    /* the VMCS's IDTR holds it (else limit 0) */
    bool breakpoints;               /* DR7 enables one (depriv_bt_breakpoints_changed) */
    struct depriv_bt_gate_key { uint64_t gdt_copies; uint32_t tr, idt_base, idt_limit; } key;
    uint32_t entries_seen;          /* the page's gate_entries at the last exit */
    uint64_t opened, fallbacks, filled, interrupted, injected;   /* statistics */
};

/* Its code in the TC at e, the real IDT, the real TSS's ring-1 stack. */
void depriv_bt_gate_setup(struct vcpu *v, struct depriv_bt_gates *g, struct bt_vcpu_page *page, struct bt_emit *e,
                          const struct bt_runtime *rt);

/* What an exit is, as far as the gates go (at depriv_bt_exit's start;
 * in_tc: what the hypervisor believed). */
enum gate_exit {
    GATE_EXIT_NONE,                 /* nothing to do with them */
    GATE_EXIT_ENTERED,              /* the guest came through one into a translation:
                                       to be made in_tc (depriv_bt_entered_by_gate) and
                                       handled as any exit there */
    GATE_EXIT_IN_USER,              /* and back to user mode by a translated IRET since:
                                       depriv_bt_back_in_user */
    GATE_EXIT_PUT_BACK,             /* an interrupt inside the trampoline: the user put
                                       back before its INT, the exit handled as one from
                                       user mode */
    GATE_EXIT_PAGE_FAULT,           /* a #PF in the trampoline: the shadow fills it and
                                       the trampoline goes on, or depriv_bt_gate_fallback */
    GATE_EXIT_HANDLED,              /* the user put back before its INT, the vector
                                       closed: the INT faults into the hypervisor next */
};
enum gate_exit depriv_bt_gate_exit(struct vcpu *v, struct depriv_bt_gates *g, bool in_tc);
/* Most exits (every exit is counted in instructions under Bochs): no
 * trampoline RIP, no gate taken since the last exit, no exception (one from
 * user mode may be an INT n to learn), no translation entered by itself. */
static inline bool depriv_bt_gate_quiet(const struct vcpu *v, const struct depriv_bt_gates *g, bool in_tc)
{
    uint32_t rip = (uint32_t)v->rip;
    return g->page->gate_entries == g->entries_seen && (v->exit_reason & 0xFFFF) != EXIT_EXCEPTION_NMI &&
           !(rip >= g->code.start && rip < g->code.end) && (in_tc || rip < BT_TC_BASE || rip >= BT_TC_END);
}
/* Before the deliveries, with the guest in user mode: if the event to
 * inject at this entry (VM-entry interruption information) is a page
 * fault, and its vector's gate may be used (checked now if it was not),
 * it is left there for the CPU to deliver through the real IDT into the
 * trampoline, the guest's CR2 in the page: true. False: the hypervisor's
 * delivery, as before. */
bool depriv_bt_gate_inject(struct vcpu *v, struct depriv_bt_gates *g);
/* A fault in the trampoline that is the guest's: the user put back before
 * its INT, the vector closed (the hypervisor's delivery, next). */
void depriv_bt_gate_fallback(struct vcpu *v, struct depriv_bt_gates *g);
/* eip was looked up and translated at tc (a LOOKUP exit): if it is the
 * handler of the vector the trampoline took last, the trampoline goes
 * there straight from now on (bt_gate.h, BT_GATE_NO_DIRECT). */
void depriv_bt_gate_translated(struct depriv_bt_gates *g, uint32_t eip, uint32_t tc);
/* Before an entry: user (into user mode: its IF for the trampoline) and
 * allowed (user mode or a translation: the gates may be open). The IDTR
 * changes, and what the checks are keyed on, are depriv_bt_gate_switch's. */
void depriv_bt_gate_switch(struct vcpu *v, struct depriv_bt_gates *g, bool on);
static inline void depriv_bt_gate_entry(struct vcpu *v, struct depriv_bt_gates *g, bool user, bool allowed)
{
    const struct depriv *dp = &v->depriv;
    if (user)
        g->page->iret_if = dp->vif ? BT_EFLAGS_IF >> 8 : 0;   /* the IF of its user mode */
    bool on = allowed && dp->hv_slots_in_use && !dp->debugger_step && !g->breakpoints;
    if (on != g->idt_on || g->key.gdt_copies != dp->gdt_copies || g->key.tr != dp->tr ||
        g->key.idt_base != dp->idt_base || g->key.idt_limit != dp->idt_limit)
        depriv_bt_gate_switch(v, g, on);
}
