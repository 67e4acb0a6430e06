/*
 * depriv_bt.c: entering and leaving the translations of a deprivileged
 * guest kernel, bt=1 (64-bit, VMX root; issue 21; depriv_bt.h says how it
 * fits, hv/bt/README.md what the translator makes).
 *
 * A VM exit reaches the hypervisor from one of three places:
 *   - the exit routine: a translation's exit stub wrote the exit record in
 *     the vCPU page and ran the VMCALL (which exits at any CPL, SDM vol. 3,
 *     26.1.2); the guest is then exactly before the instruction the record
 *     names (bt_exit.h), and translator_exit does what the kind asks;
 *   - any other instruction of a translation: at the start of a guest
 *     instruction's translation (a copied CPUID, an external interrupt
 *     between two copied instructions) the guest is canonical there; a
 *     fault inside one comes from its first access to guest memory
 *     (hv/bt/README.md: "the first memory access is the original's"), with
 *     the registers still the original's, so it is the guest instruction's
 *     fault; an asynchronous exit between (an interrupt inside a rewritten
 *     PUSHF) leaves the guest where it is, and anything to deliver waits;
 *   - code in place: user mode, or the one guest kernel instruction the
 *     hypervisor let run in place (step_in_place), with the single-step
 *     trap (RFLAGS.TF, SDM vol. 3, 18.3.1.4) bringing it back after it.
 */
#include "depriv/depriv_bt.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_cache.h"
#include "depriv/depriv_bt_limit.h"
#include "exit/handlers.h"
#include "exit/vm_interrupts.h"
#include "bt/bt_classify.h"
#include "bt/bt_iret.h"
#include "bt/bt_lookup.h"
#include "bt/bt_segment.h"
#include "guest/guest_linear.h"
#include "guest/guest_paging.h"
#include "guest/shadow.h"
#include "mem/memory.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "vmx/inject.h"
#include "cpu/panic.h"
#include "poweroff.h"
#include "printf.h"
#include "string.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "x86/descriptor.h"
#include "x86/x86.h"

#define PAGE 4096u
/* The TC's code segment: base 0, limit at the TC's end (so not the vCPU
 * page above it), execute-only (no guest load of DS, ES, FS or GS can name
 * it, SDM vol. 2A, MOV), DPL 1 as SS's must be for a non-conforming CS (SDM
 * 27.3.1.2), 32-bit, 4 KiB granular (its limit's top bits are set,
 * 27.3.1.2 "G"). The vCPU page's data segment as VM entry loads it: DPL 0,
 * so that no selector the guest can load at ring 1 names it (hv/bt/README.md;
 * SDM 5.6), with RPL 0 in GS (27.3.1.2: a data segment's DPL may not be
 * below its RPL). Its twin in the GDT copy, for the real IDT's gates, is
 * DPL 1 (a gate's code at ring 1 loads it): every load the guest's code
 * makes at ring 1 is checked against it (hv/bt/README.md). */
#define AR_TC_CODE   0xC0B9u
#define AR_VCPU_DATA 0x4093u
#define AR_VCPU_SLOT 0x40B3u
#define VCPU_GS_SELECTOR (BT_VCPU_SELECTOR & ~3u)
#define VMCALL_LENGTH 3
#define DR6_BS (1u << 14)           /* a single-step trap (SDM 17.2.3; the #DB exit's qualification) */

void depriv_bt_setup(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    struct depriv_bt *bt = kmalloc(sizeof(*bt));
    if (!bt)
        panic("out of memory: no room for the binary translator's state");
    memset(bt, 0, sizeof(*bt));
    uint64_t tc = pmm_alloc_contiguous(&hv_pmm, BT_TC_PAGES, PAGE);
    uint64_t page = pmm_alloc_contiguous(&hv_pmm, BT_VCPU_SEGMENT_SIZE / PAGE, PAGE);   /* and its tables */
    bt->frames = v->guest->ram_size / PAGE;
    bt->blocks = kmalloc(BT_MAX_BLOCKS * sizeof(bt->blocks[0]));
    bt->map = kmalloc(BT_MAX_MAP * sizeof(bt->map[0]));
    bt->translated = kmalloc((bt->frames + 7) / 8);
    bt->hot = kmalloc((bt->frames + 7) / 8);
    if (!tc || !page || !bt->blocks || !bt->map || !bt->translated || !bt->hot)
        panic("out of memory: no room for a translation cache of %u pages", BT_TC_PAGES);
    bt->tc = (uint8_t *)tc;
    bt->page = (struct bt_vcpu_page *)page;
    memset(bt->tc, 0xCC, BT_TC_PAGES * PAGE);   /* INT3 where nothing is translated */
    memset(bt->page, 0, BT_VCPU_SEGMENT_SIZE);
    bt_iret_tables(bt->page);
    bt->gs_ok = bt_gs_ok(bt->page);
    memset(bt->gs_ok, 1, 4);                    /* the null selectors (bt_gs.h) */
    /* Mapped like the GDT copy: the TC read-only (CR0.WP is 1), the page
     * writable, its tables after it read-only (only the hypervisor writes
     * them), all supervisor-only. */
    unsigned first = (BT_TC_BASE - DEPRIV_AREA) / PAGE;
    for (unsigned i = 0; i < BT_TC_PAGES; i++)
        dp->area[first + i] = (uint32_t)(tc + i * PAGE) | GPTE_P | GPTE_A;
    dp->area[(BT_VCPU_BASE - DEPRIV_AREA) / PAGE] = (uint32_t)page | GPTE_P | GPTE_W | GPTE_A | GPTE_D;
    for (unsigned i = 1; i < BT_VCPU_SEGMENT_SIZE / PAGE; i++)
        dp->area[(BT_VCPU_BASE - DEPRIV_AREA) / PAGE + i] = (uint32_t)(page + i * PAGE) | GPTE_P | GPTE_A;

    /* The exit routine (one VMCALL), the lookup routine, then the blocks. */
    static const uint8_t vmcall[VMCALL_LENGTH] = { 0x0F, 0x01, 0xC1 };
    struct bt_emit e = { bt->tc, BT_TC_BASE, 0, BT_TC_PAGES * PAGE, false };
    bt->rt.exit = BT_TC_BASE;
    bt_bytes(&e, vmcall, sizeof(vmcall));
    e.pos = 16;
    bt->rt.lookup = bt_lookup_emit(&e, &bt->rt, &bt->lookup_layout);
    dp->bt = bt;
    e.pos = (e.pos + 15) & ~(size_t)15;
    depriv_bt_gate_setup(v, &bt->gates, bt->page, &e, &bt->rt);   /* INT n from user mode (bt_gate.h) */
    bt->blocks_start = (uint32_t)(e.pos + 15) & ~15u;
    memset(bt->hot, 0, (bt->frames + 7) / 8);
    bt->last_written = ~0ull;
    dp->page_fault = depriv_bt_page_fault;
    dp->written = depriv_bt_written;
    dp->iret_patched = true;                    /* every IRET of the kernel's is emulated: its IF exact */
    bt_cache_flush(v);
    bt->flushes = 0;
    depriv_set_hv_slots(v, (const uint64_t[DEPRIV_HV_SLOTS]){
        descriptor_make(0, BT_TC_END - 1, AR_TC_CODE),
        descriptor_make(BT_VCPU_BASE, BT_VCPU_SEGMENT_SIZE - 1, AR_VCPU_SLOT) });
}

static void save_segment(unsigned selector_field, struct bt_segment *s)
{
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;
    s->selector = vmcs_read(selector_field);
    s->base = vmcs_read(VMCS_GUEST_ES_BASE + n);
    s->limit = vmcs_read(VMCS_GUEST_ES_LIMIT + n);
    s->access = vmcs_read(VMCS_GUEST_ES_ACCESS_RIGHTS + n);
}

static void load_segment(unsigned selector_field, const struct bt_segment *s)
{
    unsigned n = selector_field - VMCS_GUEST_ES_SELECTOR;
    vmcs_write(selector_field, s->selector);
    vmcs_write(VMCS_GUEST_ES_BASE + n, s->base);
    vmcs_write(VMCS_GUEST_ES_LIMIT + n, s->limit);
    vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + n, s->access);
}

/* The guest's GS back in the VMCS: the one it entered with, or the one a
 * translated MOV GS or POP GS loaded (bt_gs.h), which the table let through
 * only because the hypervisor had checked it; checked again here, the page
 * being written by translated code. */
static void leave_gs(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint16_t selector = (uint16_t)bt->page->gs_real;
    if (selector == bt->gs.selector) {
        load_segment(VMCS_GUEST_GS_SELECTOR, &bt->gs);
    } else if (bt->gs_ok[selector] && !depriv_data_segment_fault(v, selector)) {
        depriv_load_segment(v, VMCS_GUEST_GS_SELECTOR, selector);
    } else {
        load_segment(VMCS_GUEST_GS_SELECTOR, &bt->gs);
        guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: a translation left GS 0x%x, which the hypervisor never let "
                   "through (a translator bug)", selector);
    }
}

/* The GDT copy changed since the table's selectors were let through:
 * none of them is loadable without the hypervisor's checks again. */
static void forget_gs_loads(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    bt->gs_gdt_copies = v->depriv.gdt_copies;
    for (unsigned i = 0; i < bt->gs_allowed_count; i++)
        bt->gs_ok[bt->gs_allowed[i]] = 0;
    bt->gs_allowed_count = 0;
}

void depriv_bt_gs_allow(struct vcpu *v, uint16_t selector)
{
    struct depriv_bt *bt = v->depriv.bt;
    if (bt->gs_ok[selector])
        return;
    if (bt->gs_allowed_count == sizeof(bt->gs_allowed) / sizeof(bt->gs_allowed[0]))
        forget_gs_loads(v);                     /* full: start again */
    bt->gs_allowed[bt->gs_allowed_count++] = selector;
    bt->gs_ok[selector] = 1;
}

/* The CS a translated IRET may return to at the guest's ring 0 without an
 * exit (bt_iret.h): the one the guest runs with, if IRET would find it so
 * again, as depriv_iret checks it: a code segment its RPL 0 may load
 * (SDM vol. 2A, IRET, "RETURN-TO-SAME-PRIVILEGE-LEVEL"), whose copied
 * descriptor is still the segment loaded (the GDT may have changed since),
 * flat and 32-bit; and the EIPs within its limit, to 16 MiB (a translated
 * IRET exits for any other: the CPU's #GP(0) at the IRET is the
 * hypervisor's to give). Found again only when CS or the GDT copy changed. */
static void kernel_iret_cs(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct bt_segment *cs = &bt->cs;
    /* Field by field, at every entry: a memcmp's loop cost 260 cycles. */
    if (bt->iret_cs_gdt_copies == v->depriv.gdt_copies && bt->iret_cs.selector == cs->selector &&
        bt->iret_cs.base == cs->base && bt->iret_cs.limit == cs->limit && bt->iret_cs.access == cs->access)
        return;
    bt->iret_cs = *cs;
    bt->iret_cs_gdt_copies = v->depriv.gdt_copies;
    uint16_t selector = (uint16_t)cs->selector;
    uint64_t d = depriv_copied_descriptor(v, selector);
    bool same = depriv_segment_ok(v, selector, true) && descriptor_base(d) == cs->base &&
                descriptor_limit(d) == cs->limit && ((descriptor_access_rights(d) ^ cs->access) & ~1u) == 0;
    bool flat = bt_cs_flat(cs);
    int64_t top = (int64_t)((cs->limit + 1) >> 24) - 1;        /* the highest bits 31:24 wholly within */
    /* Not with devices=virtual: their PIC, APIC and clock raise
     * interrupts only as the hypervisor brings them to now, at exits, and
     * an IRET that set IF without one left the clock's periodic interrupt
     * short of its rate (hostile pc-rtc-periodic, mode vbt). */
    bool ok = same && flat && (selector & 3) == 1 && top >= 0 && !vm_devices_virtual(v);
    bt->page->iret_cs_complement = ok ? 0x10000 - depriv_guest_selector(selector) : 0;
    bt->page->iret_eip_room = ok ? 0xFF - (uint32_t)top : 0x100;
}

/* What the translations read from the page that a run of them or an exit
 * that stays in them may change: the guest's IF, whether an interrupt
 * waits (before the guest's first STI too, so that the STI exits and
 * external interrupts start to exit: depriv_set_vif), its selectors as it
 * believes them (a gate's entry changes CS and SS), CR3, and the CS a
 * kernel IRET may return to. */
static void fill_running(struct vcpu *v)
{
    const struct depriv *dp = &v->depriv;
    struct depriv_bt *bt = dp->bt;
    struct bt_vcpu_page *p = bt->page;
    p->vif = dp->vif ? BT_EFLAGS_IF : 0;
    /* An NMI's handler running counts as waiting: its IRET, which ends it
     * (SDM 6.7.1), must exit (bt_iret.h); and so does an interrupt that
     * the devices=virtual PIC or APIC holds for the guest's IF: the
     * translation that sets IF must exit for it, as the delivered ones. */
    p->pending = dp->nmi_pending || dp->nmi_blocked || depriv_interrupt_pending(v) || dp->device_waits ||
                 !dp->taking_interrupts ? BT_EFLAGS_IF : 0;
    p->selector[BT_ES] = depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_ES_SELECTOR));
    p->selector[BT_CS] = depriv_guest_selector((uint16_t)bt->cs.selector);
    p->selector[BT_SS] = depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_SS_SELECTOR));
    p->selector[BT_DS] = depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_DS_SELECTOR));
    p->selector[BT_FS] = depriv_guest_selector((uint16_t)vmcs_read(VMCS_GUEST_FS_SELECTOR));
    if (!bt->in_tc) {                           /* else translated GS loads may have changed them */
        p->selector[BT_GS] = depriv_guest_selector((uint16_t)bt->gs.selector);
        p->gs_real = bt->gs.selector;           /* an IRET to user mode loads it (bt_iret.h) */
    }
    p->cr[3] = depriv_control_register(v, 3);
    kernel_iret_cs(v);
}

/* All the page holds of the guest's state, as the hypervisor knows it:
 * fill_running's, and what only the hypervisor's emulations change (its
 * tables, TR, CR2, and CR0 and CR4 unless known: keeps_cr0_cr4). */
static void fill_page(struct vcpu *v)
{
    const struct depriv *dp = &v->depriv;
    struct depriv_bt *bt = dp->bt;
    struct bt_vcpu_page *p = bt->page;
    if (bt->gs_gdt_copies != dp->gdt_copies)
        forget_gs_loads(v);
    fill_running(v);
    p->ldtr = 0;                                /* it has none (depriv_gdt.c) */
    p->tr = dp->tr;
    p->gdtr = (struct bt_dtr){ 0, (uint16_t)dp->gdt_limit, dp->gdt_base };
    p->idtr = (struct bt_dtr){ 0, (uint16_t)dp->idt_limit, dp->idt_base };
    p->cr[2] = depriv_control_register(v, 2);   /* MOV from CR (bt_sensitive.c) */
    if (!bt->cr0_cr4_known) {                   /* their views: six VMREADs */
        p->cr[0] = depriv_control_register(v, 0);
        p->cr[4] = depriv_control_register(v, 4);
        bt->cr0_cr4_known = true;
    }
}

/* Into the translation at tc: CS the TC's, GS the vCPU page's, the guest's
 * own kept to be put back. */
static void enter_at(struct vcpu *v, uint32_t tc)
{
    struct depriv_bt *bt = v->depriv.bt;
    save_segment(VMCS_GUEST_CS_SELECTOR, &bt->cs);
    save_segment(VMCS_GUEST_GS_SELECTOR, &bt->gs);
    load_segment(VMCS_GUEST_CS_SELECTOR,
                 &(struct bt_segment){ bt->cs.selector, 0, BT_TC_END - 1, AR_TC_CODE });
    load_segment(VMCS_GUEST_GS_SELECTOR,
                 &(struct bt_segment){ VCPU_GS_SELECTOR, BT_VCPU_BASE, BT_VCPU_SEGMENT_SIZE - 1, AR_VCPU_DATA });
    vmcs_write(VMCS_GUEST_RIP, tc);
    /* A single-step trap pending now is the last guest instruction's: it
     * comes before the translation runs (depriv_bt_exit delivers it). */
    bt->owed_trap_at = (vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS) & DR6_BS) ? tc : 0;
    fill_page(v);
    bt->in_tc = true;
    bt->between = false;
    bt->entries_into_tc++;
}

/* A segment of the guest's as depriv_load_segment loads it, from the GDT
 * copy, without the VMCS: the fields worked out last (*memo), if they
 * were for the same selector and descriptor (*descriptor). */
static inline __attribute__((always_inline)) void guest_segment(const struct vcpu *v, uint16_t selector,
                                                                struct bt_segment *memo, uint64_t *descriptor,
                                                                struct bt_segment *s)
{
    uint64_t d = depriv_copied_descriptor(v, selector);
    if (d != *descriptor || memo->selector != selector || !memo->access) {
        memo->selector = selector;
        depriv_descriptor_fields(d, &memo->base, &memo->limit, &memo->access);
        *descriptor = d;
    }
    *s = *memo;
}

void depriv_bt_entered_by_gate(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    /* The guest's own, kept for when it leaves the TC: its gate's CS at
     * ring 1, the user's GS, from the GDT copy as the hypervisor's
     * delivery loads them. */
    guest_segment(v, (uint16_t)(bt->page->selector[BT_CS] | 1), &bt->gate_cs, &bt->gate_cs_descriptor, &bt->cs);
    guest_segment(v, (uint16_t)bt->page->gs_real, &bt->gate_gs, &bt->gate_gs_descriptor, &bt->gs);
    bt->in_tc = true;
    bt->between = bt->tf_step = false;
    bt->owed_trap_at = bt->hold_eip = 0;
}

/* Out of the translations, the guest before its instruction at eip, as if
 * it had run in place. */
static void leave(struct vcpu *v, uint32_t eip)
{
    struct depriv_bt *bt = v->depriv.bt;
    load_segment(VMCS_GUEST_CS_SELECTOR, &bt->cs);
    leave_gs(v);
    vmcs_write(VMCS_GUEST_RIP, eip);
    v->rip = eip;
    bt->in_tc = bt->between = false;
    if (bt->hold_eip != eip)                    /* the guest went on past it */
        bt->hold_eip = 0;
}

/* One instruction in place: at ring 1 it faults into the hypervisor if it
 * is one the hypervisor emulates, and the single-step trap brings the
 * guest back if it is not. Not with the guest's own TF (its #DB comes
 * anyway). Blocking by STI goes (with TF = 1 VM entry wants the trap
 * pending then, SDM 27.3.1.5); in MOV SS's shadow the trap is made pending
 * instead, for after the instruction (6.8.3). */
static void step_in_place(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    bt->step_in_place = false;
    bt->steps_in_place++;
    if ((rflags & RFLAGS_TF) || bt->in_place_exits) {
        bt->in_place_exits = false;
        return;
    }
    vmcs_write(VMCS_GUEST_RFLAGS, rflags | RFLAGS_TF);
    bt->stepping = true;
    uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
    if (blocking & BLOCKING_STI) {              /* "one instruction first": the trap after it */
        vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~(uint64_t)BLOCKING_STI);
        depriv_interrupt_window();              /* brings the guest back for what waits */
    }
    if (blocking & BLOCKING_MOV_SS)
        make_single_step_pending();
}

void depriv_bt_after_delivery(struct vcpu *v)
{
    /* "One instruction first" (after STI, IRET, a delivery: depriv_deliver_
     * pending) is one guest instruction: if its translation hands it to the
     * hypervisor, its exit must still hold what waits (translator_exit). */
    if (vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & BLOCKING_STI)
        v->depriv.bt->hold_eip = (uint32_t)vmcs_read(VMCS_GUEST_RIP);
}

/* One decision of depriv_bt_enter's; true if the instruction to run in
 * place was refused (depriv_bt_refuse_hv_selector) and the guest moved. */
static bool enter(struct vcpu *v)
{
    struct depriv *dp = &v->depriv;
    struct depriv_bt *bt = dp->bt;
    if (v->stopped || dp->halted_at)
        return false;
    if (bt->seen_breakpoint_writes != dp->breakpoint_writes) {
        bt->seen_breakpoint_writes = dp->breakpoint_writes;
        depriv_bt_breakpoints_changed(v);       /* the guest's MOV DR: no translation past a new one */
    }
    if (bt->between && !bt->in_tc)
        return false;                           /* inside the gates' trampoline: it goes on */
    if (bt->in_tc) {                            /* between two guest instructions */
        fill_page(v);
        return false;
    }
    if (((vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3) != 1) {
        depriv_bt_gate_entry(v, &bt->gates, true, true);    /* user mode runs in place; its INT n through the gates */
        return false;
    }
    uint32_t eip = (uint32_t)vmcs_read(VMCS_GUEST_RIP), tc;
    bool kept;
    bt_cache_check_mappings(v);                 /* the guest's TLB events since */
    /* The translator reads 32-bit code at linear = EIP: other code (a
     * 16-bit segment, a CS base) runs in place one instruction at a time,
     * as with cpu=deprivileged alone. */
    const struct bt_segment cs = { .base = vmcs_read(VMCS_GUEST_CS_BASE), .limit = vmcs_read(VMCS_GUEST_CS_LIMIT),
                                   .access = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) };
    bool flat = bt_cs_flat(&cs);
    if (bt_past_cs_limit(&cs, eip)) {
        /* An EIP past CS's limit that no translated branch took there
         * (those fault at the branch: depriv_bt_limit.c): the guest went on
         * past the limit, or an emulated instruction took it there, and
         * the CPU's fetch raises #GP(0) with that EIP. In place it would
         * fault at every entry, its decoding never done. */
        depriv_deliver(v, VEC_GP, 0, eip, 0);
        if (v->stopped || depriv_cpl() != 0) {
            depriv_bt_gate_entry(v, &bt->gates, depriv_cpl() == 3, depriv_cpl() == 3);
            return false;
        }
        eip = (uint32_t)vmcs_read(VMCS_GUEST_RIP);
    }
    if (bt->step_in_place && bt->step_eip != eip)
        bt->step_in_place = false;              /* an event was delivered first: it comes back there */
    /* The guest single-steps itself (TF, its own): one instruction's
     * translation at a time, so that its trap comes after each of its
     * instructions and after none of the translation's own (SDM 18.3.1.4). */
    bool tf = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF;
    bool translated = bt_cache_translation(v, eip, tf ? BT_WANT_ONE : BT_WANT_ENTRY, &tc, &kept);
    if (bt->step_in_place || !flat || !translated) {
        if (depriv_bt_refuse_hv_selector(v)) {
            bt->step_in_place = false;
            return true;
        }
        depriv_bt_gate_entry(v, &bt->gates, false, false);   /* no kernel code in place through them */
        step_in_place(v);                       /* no translation: the CPU's fetch fault, in place */
    } else {
        enter_at(v, tc);
        bt->tf_step = tf;
        depriv_bt_gate_entry(v, &bt->gates, false, true);   /* it may return to user mode by itself */
    }
    return false;
}

/* A guest whose every handler begins with a load of the hypervisor's
 * selectors faults for ever on the bare CPU; here that loop would run
 * inside the hypervisor, with no exit to end it: it is bounded. */
#define REFUSED_IN_A_ROW 64u

void depriv_bt_enter(struct vcpu *v)
{
    for (unsigned i = 0; enter(v); i++) {
        if (i + 1 == REFUSED_IN_A_ROW) {
            guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: %u instructions in a row at ring 0 each loaded one of "
                       "the hypervisor's selectors (#GP delivered each time): stopped", REFUSED_IN_A_ROW);
            return;
        }
    }
}

/* The translation of an IRET took the guest back to its user mode
 * (bt_iret.h): out of the translations without a leave (the CPU loaded the
 * user's CS, SS and GS); the guest's IF the one of the image it popped
 * (depriv_bt.h). */
void depriv_bt_back_in_user(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    bt->in_tc = bt->between = false;
    bt->hold_eip = 0;
    bt->iret_returns++;
    depriv_set_vif(v, bt->page->iret_if & (BT_EFLAGS_IF >> 8));
}

/* The guest's IF as its translations left it. */
static void take_vif(struct vcpu *v)
{
    bool on = v->depriv.bt->page->vif & BT_EFLAGS_IF;
    if (on != v->depriv.vif)
        depriv_set_vif(v, on);
}

/* An instruction emulated at its translation's exit moves RIP on, or
 * delivers an event, or stops the guest. One that did none of these, again
 * and again at the same EIP, would loop between the translation and the
 * hypervisor without a report (exit.c's stuck-RIP watch sees RIP move
 * between the TC and the guest's EIP): stopped, naming it. */
#define BT_NO_PROGRESS_LIMIT 10000u
static void watch_progress(struct vcpu *v, uint32_t eip)
{
    struct depriv_bt *bt = v->depriv.bt;
    bool progress = v->stopped || (uint32_t)vmcs_read(VMCS_GUEST_RIP) != eip ||
                    v->depriv.delivered != bt->delivered_seen;
    bt->delivered_seen = v->depriv.delivered;
    bt->no_progress = progress ? 0 : bt->no_progress + 1;
    if (bt->no_progress == BT_NO_PROGRESS_LIMIT)
        guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: the instruction at 0x%08x was handed to the hypervisor %u "
                   "times in a row and its emulation neither moved RIP on nor delivered an event: stopped "
                   "(a hypervisor bug)", eip, BT_NO_PROGRESS_LIMIT);
}

/* The exit routine's VMCALL: the record says what the guest needs. Its
 * words were written by translated code, so they are checked as the
 * guest's own data: the kind against the list, the slot against the
 * cache's slots (bt_cache_chain), the EIP translated or run like any. */
static void translator_exit(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    struct bt_vcpu_page *p = bt->page;
    uint32_t kind = p->exit_kind, eip = p->exit_eip, arg = p->exit_arg, tc;
    bool kept;
    p->exit_kind = BT_EXIT_NONE;
    if (kind == BT_EXIT_NONE || kind >= BT_EXIT_KINDS) {
        leave(v, (uint32_t)bt->cs.base);        /* somewhere the guest owns, for the report */
        guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: the exit routine ran with no exit recorded (kind %u): "
                   "a translation jumped there by itself (a translator bug)", kind);
        return;
    }
    if (kind == BT_EXIT_LOOKUP && arg)
        eip = p->target;                        /* a branch site's first miss (bt_lookup.h) */
    bt->exits_by_kind[kind]++;
    leave(v, eip);
    uint32_t from;
    if ((kind == BT_EXIT_BRANCH || kind == BT_EXIT_LOOKUP) && bt_past_cs_limit(&bt->cs, eip) &&
        (from = bt_cache_branch_at(bt, kind, arg))) {
        depriv_bt_fault_at_branch(v, from);     /* #GP(0) at the branch, as the CPU's */
        bt->branches_past_limit++;
        return;
    }
    switch (kind) {
    case BT_EXIT_BRANCH:
        bt_cache_chain(v, arg, eip);
        break;
    case BT_EXIT_LOOKUP:
        if (bt_cache_translation(v, eip, BT_WANT_LOOKUP, &tc, &kept) && kept) {
            bt_cache_lookup_filled(bt, bt_lookup_set(p, eip, tc));
            bt->lookups_filled++;
            if (arg)
                bt_cache_learn(v, arg, eip, tc);
            depriv_bt_gate_translated(&bt->gates, eip, tc);
        }
        break;
    case BT_EXIT_EMULATE:
        if (depriv_bt_emulate(v, eip)) {        /* done here (depriv_bt_emulate.c) */
            watch_progress(v, eip);
            break;
        }
        __attribute__((fallthrough));   /* everything else faults or exits in place */
    case BT_EXIT_NO_CODE:
        if (bt->hold_eip == eip)                /* the one instruction first: it runs first, in place */
            v->depriv.hold_interrupts = true;
        bt->step_in_place = true;
        bt->step_eip = eip;
        break;
    case BT_EXIT_STI:                           /* the next instruction runs first */
        bt->hold_eip = eip;
        v->depriv.hold_interrupts = true;
        break;
    case BT_EXIT_FAULT:
        depriv_deliver(v, arg == VEC_GP ? VEC_GP : VEC_UD, arg == VEC_GP ? 0 : -1, eip, 0);
        break;
    case BT_EXIT_INTERRUPT:                     /* POPF set IF: the interrupt comes right */
        v->depriv.hold_interrupts = false;      /* after it (no STI shadow: SDM vol. 2B, POPF) */
        break;
    }
}

bool depriv_bt_fetchable(struct vcpu *v, uint32_t eip, unsigned length)
{
    uint32_t pages[2] = { eip, eip + length - 1 };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t gpa;
        if (guest_shadow_gpa(v->guest, pages[i], &gpa))
            continue;
        struct shadow_fault_info f;
        struct walked_entries e;
        depriv_entries_before(v, pages[i], &e);
        shadow_fault(v->guest->shadow, pages[i], 0, &f);
        depriv_entries_after(v, &e);
        if (f.outcome != SHADOW_FILLED)
            return false;
        bt_cache_filled(v, pages[i], false);
    }
    return true;
}

/* A #PF inside the gates' trampoline (depriv_bt_gate.c) that the shadow
 * fills (the guest's TSS, IDT or kernel stack not yet in this address
 * space's shadow): it goes on, nothing delivered inside it. */
static bool trampoline_page_filled(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint32_t va = (uint32_t)v->exit_qualification;
    uint32_t error = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE);
    struct shadow_fault_info f;
    shadow_fault(v->guest->shadow, va, error, &f);
    if (f.outcome != SHADOW_FILLED)
        return false;
    bt_cache_filled(v, va, error & PFEC_W);
    bt->between = true;
    bt->gates.filled++;
    return true;
}

/* A #DB exit for a single-step trap (DR6.BS in the qualification, SDM
 * 28.2.1). */
static bool single_step_trap(const struct vcpu *v)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    return (v->exit_reason & 0xFFFF) == EXIT_EXCEPTION_NMI && e.type == EVENT_HARDWARE_EXCEPTION &&
           e.vector == VEC_DB && (v->exit_qualification & DR6_BS);
}

static bool asynchronous(const struct vcpu *v)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    return exit_asynchronous(reason, reason == EXIT_EXCEPTION_NMI ? (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO) : 0);
}

/* An exit between two instructions of the lookup routine (an interrupt):
 * the indirect branch is done, the guest before its target, its EAX, ECX
 * and arithmetic flags in their registers or in the routine's slots
 * (bt_lookup.h): a boundary, as between two translated instructions,
 * with no steps to the routine's end. Not while the guest or a debugger
 * single-steps: the trap owed after the branch is the stepping's. Done at
 * the exit itself, unlike rewind_translation (only before a delivery):
 * finishing moves the guest forward, so it cannot undo its progress. */
static bool finish_lookup(struct vcpu *v, uint32_t rip)
{
    struct depriv_bt *bt = v->depriv.bt;
    const struct bt_lookup_layout *l = &bt->lookup_layout;
    if (rip < l->start || rip >= l->end || bt->tf_step || v->depriv.debugger_step ||
        (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF))
        return false;
    if (bt_lookup_in_slot(l, BT_LOOKUP_EAX, rip))
        v->regs.rax = bt_lookup_slot(bt->page, BT_LOOKUP_EAX, 0);
    if (bt_lookup_in_slot(l, BT_LOOKUP_ECX, rip))
        v->regs.rcx = bt_lookup_slot(bt->page, BT_LOOKUP_ECX, 0);
    if (bt_lookup_in_slot(l, BT_LOOKUP_FLAGS, rip))
        vmcs_write(VMCS_GUEST_RFLAGS,
                   bt_lookup_slot(bt->page, BT_LOOKUP_FLAGS, (uint32_t)vmcs_read(VMCS_GUEST_RFLAGS)));
    bt->lookups_finished++;
    leave(v, bt->page->target);
    return true;
}

/* An exit inside a translation up to its commit (bt_block.h: a segment
 * load's check, MOV or POP GS, IRET before the way to ring 0), the
 * instruction there not run yet: the guest is before the instruction, its
 * ECX in the page. After a segment load's copied load, only the page's
 * copy of the selector is left to write, which fill_page writes anyway at
 * the next entry: the guest is past the instruction, before the next
 * entry's. No steps to the translation's end either way. Only for an
 * event to deliver now (depriv_bt_before_delivery): else the guest goes
 * on to the boundary, so that it makes progress even while an interrupt
 * due comes back at every entry and cannot be taken (its IF clear: an
 * interrupt storm). Not while the guest or a debugger single-steps (as
 * finish_lookup). */
static bool rewind_translation(struct vcpu *v, uint32_t rip)
{
    struct depriv_bt *bt = v->depriv.bt;
    struct bt_place place = bt_cache_place(bt, rip);
    const struct bt_cached *b = place.block;
    const struct bt_map_entry *e = place.entry;
    if (!e || e->kind != BT_MAP_INSN || !e->commit || bt->tf_step || v->depriv.debugger_step ||
        (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF))
        return false;
    uint32_t at = rip - b->tc_address;
    if (at <= e->commit) {
        v->regs.rcx = bt_commit_saved_ecx(bt->page);
        bt->commits_rewound++;
        bt_cache_left_at(bt, b, e);
        leave(v, e->guest_eip);
        return true;
    }
    const struct bt_map_entry *next = e + 1;
    if (e->action != BT_SEGMENT_LOAD || (unsigned)(next - bt_cache_map(bt, b)) >= b->entries)
        return false;
    bt->loads_finished++;
    leave(v, next->guest_eip);
    return true;
}

/* Nothing traps after the instruction at e, which the hypervisor's view
 * of a canonical guest would handle: the guest's TF or a debugger's step,
 * a breakpoint enabled in DR7 (an I/O one, SDM 18.2.4), the instruction
 * itself the one that runs before an interrupt (hold_eip: one at another
 * EIP has run, the guest being past it). */
static bool nothing_traps_after(const struct vcpu *v, const struct bt_map_entry *e, bool debugger)
{
    const struct depriv_bt *bt = v->depriv.bt;
    return !debugger && !v->depriv.debugger_step && !bt->tf_step && bt->hold_eip != e->guest_eip &&
           !bt->gates.breakpoints && !(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF);
}

/* The I/O exit of a copied IN or OUT (BT_PORT_IO), at its boundary: the
 * guest stays in the translation while depriv_io does the port's work and
 * moves RIP past the copy, to the next instruction's translation (the
 * qualification and instruction length are the copy's, the same as the
 * original's, SDM 28.2.1 and 28.2.4; RIP is the only register that
 * differs); depriv_bt_before_delivery leaves the translation after all if
 * an event must come then. Leaving and entering again cost more than the
 * port (about 1300 cycles to its 800: with devices=virtual a clock's
 * periodic interrupt at 128 Hz, four ports a period, fell behind). Not
 * when something traps after it (nothing_traps_after); not for string
 * I/O, whose elements may fault on guest memory. */
static bool stay_for_port_io(const struct vcpu *v, const struct bt_map_entry *e, bool debugger)
{
    return (v->exit_reason & 0xFFFF) == EXIT_IO_INSTRUCTION && e->action == BT_PORT_IO &&
           !io_qual_decode(v->exit_qualification).string && nothing_traps_after(v, e, debugger);
}

/* An external interrupt's exit at a boundary: the guest stays in the
 * translation, the interrupt pending (depriv_external_interrupt), and
 * depriv_bt_before_delivery leaves after all if it can be delivered now.
 * With the guest's IF clear (a kernel's critical section: the scheduler
 * runs so) it waits for the translated STI or POPF that sets IF, which
 * exits for it (fill_page's `pending`). Leaving and entering again cost
 * about 600 cycles of a tick's 5,000. Not while interrupts are held for
 * an instruction (the one at e may be it: it has not run) nor when
 * something traps after it (nothing_traps_after). */
static bool stay_for_interrupt(const struct vcpu *v, const struct bt_map_entry *e, bool debugger)
{
    return (v->exit_reason & 0xFFFF) == EXIT_EXTERNAL_INTERRUPT && !v->depriv.hold_interrupts &&
           nothing_traps_after(v, e, debugger);
}

/* The #GP(0) exit of a copied MOV to CR3 or INVLPG (BT_PRIVILEGED), the
 * privilege check's (SDM vol. 2B, MOV, INVLPG: CPL > 0): the same stay,
 * the emulation cpu=deprivileged does at that #GP in place done at the
 * copy (depriv_bt_privileged_in_tc). A context switch's CR3 load was an
 * EMULATE exit that left and entered the translation, about 1,900 cycles;
 * staying saves about 350 of them (fork + exit + wait makes eight). */
static bool stay_for_privileged(const struct vcpu *v, const struct bt_map_entry *e, bool debugger)
{
    if ((v->exit_reason & 0xFFFF) != EXIT_EXCEPTION_NMI || e->action != BT_PRIVILEGED)
        return false;
    struct event_info i = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    return i.type == EVENT_HARDWARE_EXCEPTION && i.vector == VEC_GP &&
           vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE) == 0 && nothing_traps_after(v, e, debugger);
}

/* After a stay's exit (stay_for_port_io, stay_for_privileged), before the
 * deliveries: anything they would do needs the guest canonical, before its
 * next instruction (or before the IN or OUT itself, if the port's work
 * faulted and left RIP there). A hold of interrupts for one instruction
 * with none pending only ends (depriv_only_held): the held one has run. */
void depriv_bt_before_delivery(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint32_t rewind_at = bt->rewind_at;
    bt->rewind_at = 0;
    if (rewind_at && bt->between && !v->stopped && depriv_delivery_due(v) && rewind_translation(v, rewind_at))
        return;                                 /* before (or past) its instruction: the event comes now */
    if (!bt->stays_in_tc)
        return;
    bt->stays_in_tc = false;
    if (!v->stopped && !depriv_delivery_due(v))
        return;
    if (!v->stopped && depriv_only_held(v)) {
        v->depriv.hold_interrupts = false;      /* the held instruction has run: past it, none waits */
        return;
    }
    uint32_t rip = (uint32_t)vmcs_read(VMCS_GUEST_RIP);
    struct bt_place place = bt_cache_place(bt, rip);
    if (place.boundary) {
        bt_cache_left_at(bt, place.block, place.entry);   /* its handler's IRET may come back there */
        leave(v, place.entry->guest_eip);
    } else if (!v->stopped) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: an exit that stayed left RIP at 0x%x in the translation "
                   "cache, outside every boundary (a translator bug)", rip);
    }
}

/* The deliveries (exit.c) would find nothing to do: no event due, no
 * debug trap, no interrupt window to keep, no halt, no devices=virtual
 * clock to bring to now; depriv_bt_enter would only refill the page. A
 * context switch's exit so costs about 200 cycles less. */
bool depriv_bt_stay_done(struct vcpu *v, struct depriv_step step)
{
    struct depriv *dp = &v->depriv;
    struct depriv_bt *bt = dp->bt;
    if (!bt->stays_in_tc || bt->between || step.tf || v->stopped || dp->halted_at || vm_devices_virtual(v) ||
        bt->seen_breakpoint_writes != dp->breakpoint_writes || depriv_delivery_due(v))
        return false;
    bt->stays_in_tc = false;
    depriv_bt_after_delivery(v);
    fill_running(v);                            /* the rest is as the last entry left it */
    return true;
}

/* Does this exit leave the guest's CR0 and CR4 as they were? They change
 * only where the hypervisor emulates an instruction of the guest's (MOV to
 * CR, CLTS, LMSW: an EMULATE exit, or the #GP of one run in place), never
 * at an interrupt, an I/O exit, a page fault, or the translator's
 * branches: fill_page keeps the page's copies then (and after a copied
 * MOV to CR3 or INVLPG done in place, depriv_bt_exit). */
static bool keeps_cr0_cr4(const struct vcpu *v)
{
    const struct depriv_bt *bt = v->depriv.bt;
    switch (v->exit_reason & 0xFFFF) {
    case EXIT_EXTERNAL_INTERRUPT: case EXIT_INTERRUPT_WINDOW: case EXIT_PREEMPTION_TIMER:
    case EXIT_IO_INSTRUCTION:
        return true;
    case EXIT_EXCEPTION_NMI: {
        struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
        return e.type == EVENT_HARDWARE_EXCEPTION && e.vector == VEC_PF;
    }
    case EXIT_VMCALL:
        return v->rip == bt->rt.exit && (bt->page->exit_kind == BT_EXIT_BRANCH ||
                                         bt->page->exit_kind == BT_EXIT_LOOKUP);
    default:
        return false;
    }
}

bool depriv_bt_exit(struct vcpu *v, struct depriv_step *step, bool debugger)
{
    struct depriv_bt *bt = v->depriv.bt;
    unsigned reason = v->exit_reason & 0xFFFF;
    bool cr0_cr4_known = bt->cr0_cr4_known;
    if (!keeps_cr0_cr4(v))
        bt->cr0_cr4_known = false;
    bt->left_tc = false;
    bt->rewind_at = 0;
    if (bt->stepping) {                         /* the step in place is over */
        bt->stepping = false;
        bt->hold_eip = 0;
        vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(uint64_t)RFLAGS_TF);
        /* An instruction that exited with TF = 1 (I/O) leaves its trap
         * pending in the VMCS (SDM 28.3.4): the hypervisor's, gone too. */
        vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
                   vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS) & ~(uint64_t)DR6_BS);
        if (single_step_trap(v))
            return true;                        /* its trap, the hypervisor's own */
    }
    switch (depriv_bt_gate_quiet(v, &bt->gates, bt->in_tc) ? GATE_EXIT_NONE
                                                            : depriv_bt_gate_exit(v, &bt->gates, bt->in_tc)) {           /* INT n through the real IDT (depriv_bt_gate.c) */
    case GATE_EXIT_PAGE_FAULT:
        if (trampoline_page_filled(v))
            return true;
        depriv_bt_gate_fallback(v, &bt->gates);
        __attribute__((fallthrough));
    case GATE_EXIT_HANDLED:
        bt->between = false;
        if (bt->in_tc && depriv_cpl() == 3)     /* put back in user mode, which a translated */
            depriv_bt_back_in_user(v);          /* IRET had reached first */
        return true;
    case GATE_EXIT_ENTERED:
        depriv_bt_entered_by_gate(v);
        break;
    case GATE_EXIT_IN_USER:
        depriv_bt_back_in_user(v);
        break;
    case GATE_EXIT_PUT_BACK:
        bt->between = false;
        break;
    case GATE_EXIT_NONE:
        break;
    }
    *step = depriv_step_begin(v);
    if (!bt->in_tc)
        return false;                           /* in place: as the guest is */
    if (depriv_cpl() == 3) {
        depriv_bt_back_in_user(v);              /* an exit from user mode, handled as any */
        return false;
    }
    take_vif(v);
    uint32_t rip = (uint32_t)v->rip;
    if (reason == EXIT_VMCALL && rip == bt->rt.exit) {
        uint32_t kind = bt->page->exit_kind;
        translator_exit(v);
        /* The guest's single-step trap: the stub's instructions trapped
         * (swallowed, below); the guest instruction's own comes now if it
         * began with TF set (tf_step: a POPF that clears TF owes one too)
         * and completed (a branch taken, POPF, STI), before the next one
         * (SDM 18.3.1.4); an emulated one's comes from depriv_step_end. */
        uint64_t pending = vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS) & ~(uint64_t)DR6_BS;
        if (bt->tf_step && (kind == BT_EXIT_BRANCH || kind == BT_EXIT_LOOKUP || kind == BT_EXIT_INTERRUPT ||
                   kind == BT_EXIT_STI))
            pending |= DR6_BS;
        vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS, pending);
        depriv_bt_debug_translator_exit();     /* a data breakpoint's trap owed (depriv_bt_debug.c) */
        return true;
    }
    struct bt_place place = bt_cache_place(bt, rip);
    const struct bt_cached *b = place.block;
    const struct bt_map_entry *e = place.entry;
    bool boundary = place.boundary;             /* before a guest instruction */
    /* A #DB's exit (the other exits have neither trap to report). */
    bool db = reason == EXIT_EXCEPTION_NMI &&
              event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO)).vector == VEC_DB;
    if (db && depriv_bt_debug_trap(v, boundary))
        return true;                            /* a data breakpoint's, between two guest instructions */
    if (db && single_step_trap(v)) {
        if (!boundary) {
            bt->between = true;                 /* inside one of the guest's instructions' translation: */
            return true;                        /* its trap, if it owes one, comes at the boundary */
        }
        if (!bt->tf_step && rip != bt->owed_trap_at) {   /* TF set inside the run (POPF): no trap owed for the */
            leave(v, e->guest_eip);             /* instruction that set it; from here on, one by one */
            return true;
        }
    }
    if (boundary && stay_for_interrupt(v, e, debugger)) {
        bt->stays_in_tc = true;                 /* pending, if it cannot be delivered now */
        bt->interrupt_stays++;
        return false;
    }
    if (boundary && stay_for_port_io(v, e, debugger)) {
        bt->stays_in_tc = true;                 /* depriv_io does it where it is */
        bt->port_io_stays++;
        return false;
    }
    bool stay;
    if (boundary && stay_for_privileged(v, e, debugger) && depriv_bt_privileged_in_tc(v, rip, &stay)) {
        bt->cr0_cr4_known = cr0_cr4_known;      /* MOV to CR3 and INVLPG leave them */
        if (stay) {
            bt->stays_in_tc = true;             /* done where it is */
            bt->privileged_stays++;
        } else {
            leave(v, e->guest_eip + v->instruction_length);   /* past it: a translation was dropped */
        }
        return true;
    }
    if (boundary || (e && !asynchronous(v))) {
        bt->left_action = e->action;
        bt->left_tc = true;
        bt_cache_left_at(bt, b, e);             /* its handler's IRET may come back there */
        leave(v, e->guest_eip);
        if (!asynchronous(v))                   /* its handler may decode it */
            depriv_bt_fetchable(v, e->guest_eip, 1);
        return false;
    }
    if (asynchronous(v)) {                      /* between two guest instructions: */
        if (finish_lookup(v, rip))
            return false;                       /* done (the lookup's): before the branch's target */
        bt->rewind_at = rip;                    /* if an event is to come now */
        bt->between = true;                     /* else wait */
        bt->between_exits++;
        return false;
    }
    guest_stop(v, POWEROFF_GUEST_STOPPED, "bt: VM exit %u at 0x%x in the translation cache, outside every "
               "translated instruction (a translator bug)", reason, rip);
    return true;
}

bool depriv_bt_between(const struct vcpu *v)
{
    return v->depriv.bt->between;
}

void depriv_bt_page_fault(struct vcpu *v)
{
    struct depriv_bt *bt = v->depriv.bt;
    uint32_t va = (uint32_t)v->exit_qualification;
    uint32_t error = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE);
    bool from_tc = bt->left_tc;
    bt->left_tc = false;
    struct walked_entries e;
    depriv_entries_before(v, va, &e);           /* the fill's walk sets A and D */
    handle_shadow_page_fault(v);
    depriv_entries_after(v, &e);
    /* A write to translated code: its translations went, and the writing
     * instruction runs in place, so that what is translated next is what
     * it wrote (it may have written the very next instruction: SDM vol.
     * 3, 11.6). */
    if (bt_cache_filled(v, va, error & PFEC_W) && from_tc)
        bt->step_in_place = true;
}

bool depriv_bt_inject(struct vcpu *v)
{
    return depriv_bt_gate_inject(v, &v->depriv.bt->gates);
}

void depriv_bt_written(struct vcpu *v, uint64_t gpa)
{
    bt_cache_invalidate_frame(v, gpa & ~(uint64_t)(PAGE - 1));
}

void depriv_bt_print_stats(const struct vcpu *v)
{
    const struct depriv_bt *bt = v->depriv.bt;
    const uint64_t *k = bt->exits_by_kind;
    printf("hv: %sbt: %lu blocks translated (%lu instructions, %u bytes of the TC), %lu entries into "
           "translations, exits: %lu branch, %lu lookup, %lu emulate, %lu interrupt, %lu sti, %lu fault, "
           "%lu no-code; %lu chained, %lu lookups filled, %lu branch sites learnt, %lu steps in place, %lu exits between "
           "instructions (%lu in the lookup, finished; %lu before a translation's commit, rewound; %lu after a segment load, finished), %lu IRETs to user mode and %u to ring 0 translated, %lu invalidations (%lu pages remapped, %lu single-use "
           "translations), %lu flushes, %lu emulated instructions decoded before, %lu IN and OUT done in "
           "translations, %lu MOV to CR3 and INVLPG done in translations, %lu branches past CS's limit faulted at the branch, %lu exits of external interrupts at a translation's boundary that stayed in it (the interrupt pending until it can be delivered); %lu translations asked for at exits, %lu found in the cache (%lu of them inside a block, where an exit had left it)\n",
           v->guest->tag, bt->translated_blocks,
           bt->translated_insns, bt->tc_used, bt->entries_into_tc, k[BT_EXIT_BRANCH], k[BT_EXIT_LOOKUP],
           k[BT_EXIT_EMULATE], k[BT_EXIT_INTERRUPT], k[BT_EXIT_STI], k[BT_EXIT_FAULT], k[BT_EXIT_NO_CODE],
           bt->chained, bt->lookups_filled, bt->sites_learned, bt->steps_in_place, bt->between_exits, bt->lookups_finished, bt->commits_rewound, bt->loads_finished, bt->iret_returns, bt->page->kernel_irets, bt->invalidations,
           bt->remapped, bt->single_use, bt->flushes, bt->decoded_again, bt->port_io_stays, bt->privileged_stays, bt->branches_past_limit, bt->interrupt_stays, bt->asked, bt->found, bt->resumed);
    printf("hv: %sbt gates: %u INT n and page faults from user mode through the real IDT (%lu page faults "
           "injected), %lu vectors opened, %lu fallbacks to the hypervisor's delivery, %lu faults in the trampoline "
           "filled, %lu interrupted and taken again\n",
           v->guest->tag, bt->page->gate_entries, bt->gates.injected, bt->gates.opened, bt->gates.fallbacks,
           bt->gates.filled, bt->gates.interrupted);
}
