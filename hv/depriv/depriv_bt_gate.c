/*
 * depriv_bt_gate.c: INT n from the guest's user mode without a VM exit,
 * bt=1 (64-bit, VMX root; issue 21 point 5; bt_gate.h has the trampoline,
 * hv/bt/README.md "System calls without an exit" the design).
 *
 * The real IDT was empty: every INT n faulted (#GP, the vector * 8 + 2 as
 * error code, SDM vol. 3, 6.13) and the hypervisor delivered it. Now it
 * holds a trap gate for every vector into the trampoline's stub, at ring 1
 * (BT_TC_SELECTOR), of DPL 0 at first, so that INT n still faults: the
 * hypervisor, seeing that #GP, checks what the guest's own delivery
 * needs (its gate for the vector, a DPL-3 32-bit interrupt or trap gate to
 * a flat 32-bit ring-0 code segment; its TSS's SS0, a 32-bit stack segment
 * that reaches the TSS and the gate) and opens the vector (DPL 3), leaving
 * what it checked in the vCPU page for the trampoline, which compares it
 * with what the guest's tables hold at every INT. What the checks are
 * keyed on (the GDT copy, TR, IDTR) closes every vector when it changes.
 * A failed check or a fault the shadow cannot fill inside the trampoline
 * puts the user back at its INT with the vector closed: the INT faults
 * again and the hypervisor delivers it, as before.
 *
 * A page fault of user mode takes the same way (depriv_bt_gate_inject):
 * the hypervisor leaves it for VM entry to inject (SDM 26.5.1), and the
 * CPU delivers it through gate 14, opened for exceptions only (DPL 0, into
 * an error stub: bt_gate.h).
 *
 * The IDTR holds the real IDT only when nothing else may go through it: in
 * user mode, and in translations (whose INT n exits; they may return to
 * user mode by themselves, bt_iret.h), never while a kernel instruction
 * runs in place (at ring 1 an INT n would find a gate of DPL 3), nor while
 * a debugger steps or a debug register's breakpoint is enabled (the
 * trampoline's accesses are not the guest's).
 */
#include "depriv/depriv_bt_gate.h"
#include "depriv/depriv.h"
#include "depriv/depriv_bt_area.h"
#include "bt/bt_gate.h"
#include "guest/guest_paging.h"
#include "cpu/panic.h"
#include "mem/memory.h"
#include "string.h"
#include "vmx/exit_info.h"
#include "vmx/exit_reasons.h"
#include "vmx/vmcs.h"
#include "x86/control_regs.h"
#include "x86/descriptor.h"
#include "x86/x86.h"

#define PAGE 4096u
#define GATE_TRAP32 0xFu            /* SDM vol. 3, 6.11, figure 6-2 */
#define GATE_INTERRUPT32 0xEu
#define DESC_DB (1ull << 54)        /* a segment's D/B flag: 32-bit */
#define TSS_ESP1 3                  /* the 32-bit TSS's ESP1 and SS1, in words (SDM 7.2.1) */
#define TSS_SS1 4

static uint64_t trap_gate(uint32_t offset, unsigned dpl)
{
    return (offset & 0xFFFF) | (uint64_t)BT_TC_SELECTOR << 16 | (uint64_t)(0x80 | dpl << 5 | GATE_TRAP32) << 40 |
           (uint64_t)(offset >> 16) << 48;
}

/* A 32-bit trap gate into vector n's stub, of DPL dpl. */
static uint64_t gate(const struct depriv_bt_gates *g, unsigned n, unsigned dpl)
{
    return trap_gate(g->code.stubs + n * BT_GATE_STUB_SIZE, dpl);
}

/* Exception n's, into its error stub: DPL 0, so that an INT n of user
 * mode still faults (the DPL is not checked for an exception, SDM 6.12.1.1). */
static uint64_t error_gate(const struct depriv_bt_gates *g, unsigned n)
{
    return trap_gate(g->code.error_stubs + n * BT_GATE_ERROR_STUB_SIZE, 0);
}

/* The exceptions whose delivery pushes an error code (SDM 6.13, table 6-1):
 * an INT n to one pushes none, which a stub cannot tell. */
static bool error_code_vector(unsigned n)
{
    return n == 8 || (n >= 10 && n <= 14) || n == 17 || n == 21;
}

void depriv_bt_gate_setup(struct vcpu *v, struct depriv_bt_gates *g, struct bt_vcpu_page *page, struct bt_emit *e,
                          const struct bt_runtime *rt)
{
    struct depriv *dp = &v->depriv;
    g->page = page;
    g->code = bt_gate_emit(e, rt);
    bt_gate_no_direct(page);
    uint64_t idt = alloc_page();
    if (!idt)
        panic("out of memory: no page for a deprivileged guest's real IDT");
    g->idt = (uint64_t *)idt;
    for (unsigned n = 0; n < 256; n++)
        g->idt[n] = gate(g, n, 0);
    memset(g->idt + 256, 0, PAGE - 256 * 8);
    dp->area[(BT_IDT - DEPRIV_AREA) / PAGE] = (uint32_t)idt | GPTE_P | GPTE_A;   /* read-only, as the GDT */
    /* The ring-1 stack of the real TSS: the vCPU page (bt_gate.h). */
    uint32_t *tss = (uint32_t *)(uintptr_t)(dp->area[DEPRIV_GDT_PAGES] & ~(PAGE - 1));
    tss[TSS_ESP1] = BT_GATE_ESP1;
    tss[TSS_SS1] = BT_VCPU_SELECTOR;
}

static void close_vector(struct depriv_bt_gates *g, unsigned n)
{
    if (g->page->gate_direct_vector == n)
        bt_gate_no_direct(g->page);
    g->idt[n] = gate(g, n, 0);
    g->page->gate_word[n][0] = g->page->gate_word[n][1] = 0;
    g->open[n / 64] &= ~(1ull << (n % 64));
    if (n < BT_GATE_EXCEPTIONS)
        g->exceptions &= ~(1u << n);
}

static void close_all(struct depriv_bt_gates *g)
{
    for (unsigned n = 0; n < 256; n++)
        if (g->open[n / 64] >> (n % 64) & 1)
            close_vector(g, n);
    g->page->gate_ss = g->page->gate_ss_guest = 0;
}

/* What the checks depend on changed (LGDT, LTR, LIDT): none holds. */
static void check_key(const struct vcpu *v, struct depriv_bt_gates *g)
{
    const struct depriv *dp = &v->depriv;
    struct depriv_bt_gate_key *k = &g->key;
    if (k->gdt_copies == dp->gdt_copies && k->tr == dp->tr && k->idt_base == dp->idt_base &&
        k->idt_limit == dp->idt_limit)
        return;
    *k = (struct depriv_bt_gate_key){ dp->gdt_copies, dp->tr, dp->idt_base, dp->idt_limit };
    close_all(g);
}

/* INT n (vector n) faulted in user mode, or exception n is to be
 * delivered there (depriv_bt_gate_inject): may it go through the real
 * gate? True if it may. An exception does not check the gate's DPL
 * (SDM 6.12.1.1); an INT n to a vector whose exception pushes an error
 * code stays the hypervisor's. */
static bool open_vector(struct vcpu *v, struct depriv_bt_gates *g, unsigned n, bool exception)
{
    struct depriv *dp = &v->depriv;
    struct bt_vcpu_page *p = g->page;
    uint64_t word;
    if (!exception && error_code_vector(n))
        return false;
    if (!dp->hv_slots_in_use || n * 8 + 7 > dp->idt_limit || !depriv_read(v, dp->idt_base + n * 8, &word, 8))
        return false;
    unsigned type = (word >> 40) & 0xF;
    if (!(word & DESC_P) || (type != GATE_TRAP32 && type != GATE_INTERRUPT32) || (!exception && DESC_DPL(word) != 3))
        return false;                           /* the guest's #GP, #NP: the hypervisor's delivery */
    uint16_t cs = (uint16_t)(word >> 16);
    uint64_t code = depriv_copied_descriptor(v, cs);
    if (!depriv_segment_ok(v, cs | 1, true) || descriptor_base(code) || !(code & DESC_DB))
        return false;                           /* bt=1 translates flat 32-bit code only */
    uint32_t tss, tss_limit, ss0_esp0[2];
    if (!depriv_guest_tss(v, &tss, &tss_limit) || tss_limit < 11 || !depriv_read(v, tss + 4, ss0_esp0, 8))
        return false;
    uint16_t ss0 = (uint16_t)ss0_esp0[1];
    uint64_t stack = depriv_copied_descriptor(v, ss0);
    if ((ss0 & 3) || !depriv_segment_ok(v, ss0 | 1, false) || !(stack & DESC_DB))
        return false;                           /* (the CPU's #TS: the hypervisor's delivery) */
    uint32_t base = descriptor_base(stack), limit = descriptor_limit(stack);
    uint32_t tss_at = tss - base, idt_at = dp->idt_base - base;
    if ((uint64_t)tss_at + 11 > limit || (uint64_t)idt_at + n * 8 + 7 > limit)
        return false;                           /* the trampoline reads both through SS */
    if (p->gate_ss && p->gate_ss != (uint32_t)(ss0 | 1))
        close_all(g);                           /* another TSS.SS0: the others were checked against the old */
    p->gate_ss = ss0 | 1;
    p->gate_ss_guest = ss0;
    p->gate_tss = tss_at;
    p->gate_idt = idt_at;
    p->gate_word[n][0] = (uint32_t)word;
    p->gate_word[n][1] = (uint32_t)(word >> 32);
    if (p->gate_direct_vector == n)
        bt_gate_no_direct(p);
    p->gate_handler[n] = (uint32_t)((word & 0xFFFF) | ((word >> 32) & 0xFFFF0000));
    g->idt[n] = exception ? error_gate(g, n) : gate(g, n, 3);
    g->open[n / 64] |= 1ull << (n % 64);
    if (exception)
        g->exceptions |= 1u << n;
    g->opened++;
    return true;
}

/* The user back before its INT, from what the CPU pushed and the
 * trampoline saved (nothing of what it wrote is the guest's yet but the
 * words below its kernel stack's top); with close, the vector closed, so
 * that the INT faults into the hypervisor's delivery when it runs again. */
static void put_user_back(struct vcpu *v, struct depriv_bt_gates *g, bool close)
{
    const struct bt_vcpu_page *p = g->page;
    const uint32_t *f = p->gate_frame;          /* EIP, CS, EFLAGS, ESP, SS */
    uint32_t rip = (uint32_t)v->rip;
    bool in_trampoline = rip < g->code.stubs;  /* not in a stub */
    /* An injected exception's frame holds the faulting instruction's EIP
     * (an error stub's, or the trampoline's after one: its vector says) */
    bool exception = rip >= g->code.error_stubs || (in_trampoline && (p->gate_vector & BT_GATE_HARDWARE));
    uint32_t eip = exception ? f[0] : f[0] - BT_GATE_INT_LENGTH;
    if (in_trampoline && rip >= g->code.saved) {   /* else the CPU's are the user's still */
        v->regs.rax = p->gate_saved[BT_EAX];
        v->regs.rcx = p->gate_saved[BT_ECX];
        v->regs.rdx = p->gate_saved[BT_EDX];
        v->regs.rbx = p->gate_saved[BT_EBX];
    }
    if (in_trampoline && rip >= g->code.gs_kept)   /* else GS is the user's still */
        depriv_load_segment(v, VMCS_GUEST_GS_SELECTOR, (uint16_t)p->gs_real);
    depriv_load_segment(v, VMCS_GUEST_CS_SELECTOR, (uint16_t)f[1]);
    depriv_load_segment(v, VMCS_GUEST_SS_SELECTOR, (uint16_t)f[4]);
    vmcs_write(VMCS_GUEST_RSP, f[3]);
    vmcs_write(VMCS_GUEST_RFLAGS, f[2]);
    vmcs_write(VMCS_GUEST_RIP, eip);
    vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
    v->rip = eip;
    if (close)
        close_vector(g, p->gate_vector & 0xFF);
    /* The fault comes again at once: the hypervisor delivers that one, as
     * an INT n's #GP is delivered by it at the reopening (else the same
     * check fails for ever: ESP0 in a page not present). */
    if (close && exception)
        g->deliver_next = true;
}

static bool page_fault(const struct vcpu *v)
{
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    return (v->exit_reason & 0xFFFF) == EXIT_EXCEPTION_NMI && e.type == EVENT_HARDWARE_EXCEPTION &&
           e.vector == VEC_PF;
}

void depriv_bt_gate_fallback(struct vcpu *v, struct depriv_bt_gates *g)
{
    put_user_back(v, g, true);
    g->fallbacks++;
}

static bool asynchronous(const struct vcpu *v)
{
    unsigned reason = v->exit_reason & 0xFFFF;
    return exit_asynchronous(reason, reason == EXIT_EXCEPTION_NMI ? (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO) : 0);
}

enum gate_exit depriv_bt_gate_exit(struct vcpu *v, struct depriv_bt_gates *g, bool in_tc)
{
    struct bt_vcpu_page *p = g->page;
    uint32_t rip = (uint32_t)v->rip;
    unsigned reason = v->exit_reason & 0xFFFF, cpl = depriv_cpl();
    if (cpl == 0 && rip >= g->code.start && rip < g->code.end) {   /* in the trampoline */
        if (asynchronous(v)) {
            /* An interrupt while the INT is under way: the CPU takes it at
             * an instruction boundary, here the one before the INT (SDM
             * 6.9); the INT runs again after it, through its gate. */
            put_user_back(v, g, false);
            g->interrupted++;
            return GATE_EXIT_PUT_BACK;
        }
        if (page_fault(v))
            return GATE_EXIT_PAGE_FAULT;        /* the shadow's to fill, or depriv_bt_gate_fallback */
        depriv_bt_gate_fallback(v, g);          /* its fallback, or a fault of the guest's */
        return GATE_EXIT_HANDLED;
    }
    /* The trampoline ran since the last exit (it counts): the guest went
     * into its kernel's translations without the hypervisor, perhaps back
     * to user mode too with a translated IRET, and in_tc says nothing of
     * either. */
    bool through_gate = p->gate_entries != g->entries_seen;
    g->entries_seen = p->gate_entries;
    if (cpl == 0)                               /* in a translation since: as if entered there */
        return rip >= BT_TC_BASE && rip < BT_TC_END && (through_gate || !in_tc) ? GATE_EXIT_ENTERED
                                                                                : GATE_EXIT_NONE;
    if (cpl == 3 && reason == EXIT_EXCEPTION_NMI) {
        struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
        uint32_t error = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE);
        if (e.type == EVENT_HARDWARE_EXCEPTION && e.vector == VEC_GP && (error & 7) == 2 && error >> 3 < 256) {
            check_key(v, g);
            open_vector(v, g, error >> 3, false);   /* INT n: its delivery is the hypervisor's this time */
        }
    }
    return cpl == 3 && through_gate ? GATE_EXIT_IN_USER : GATE_EXIT_NONE;   /* by a translated IRET */
}

bool depriv_bt_gate_inject(struct vcpu *v, struct depriv_bt_gates *g)
{
    const struct depriv *dp = &v->depriv;
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO));
    if (!e.valid || e.type != EVENT_HARDWARE_EXCEPTION || e.vector != VEC_PF || depriv_cpl() != 3 ||
        (vmcs_read(VMCS_GUEST_RFLAGS) & (RFLAGS_TF | RFLAGS_VM)) || !dp->hv_slots_in_use || dp->debugger_step ||
        g->breakpoints)
        return false;                           /* the gates are shut then (depriv_bt_gate_entry) */
    /* An NMI or an interrupt waiting too (devices=virtual takes them at
     * every exit): the hypervisor's deliveries order them, and the
     * trampoline would enter the handler without the page's `pending`
     * written (fill_page), so that its IRET would not come back for it. */
    if (dp->nmi_pending || depriv_interrupt_pending(v))
        return false;
    check_key(v, g);
    if (g->deliver_next) {                      /* after a fallback (put_user_back) */
        g->deliver_next = false;
        return false;
    }
    if (!(g->exceptions >> e.vector & 1) && !open_vector(v, g, e.vector, true))
        return false;
    g->page->cr[2] = (uint32_t)read_cr2();      /* the handler's MOV from CR2 (exit_pf.c wrote it) */
    g->injected++;
    return true;
}

void depriv_bt_gate_switch(struct vcpu *v, struct depriv_bt_gates *g, bool on)
{
    check_key(v, g);
    if (on == g->idt_on)
        return;
    g->idt_on = on;
    vmcs_write(VMCS_GUEST_IDTR_BASE, on ? BT_IDT : 0);
    vmcs_write(VMCS_GUEST_IDTR_LIMIT, on ? 256 * 8 - 1 : 0);
}

void depriv_bt_gate_translated(struct depriv_bt_gates *g, uint32_t eip, uint32_t tc)
{
    unsigned n = g->page->gate_vector & 0xFF;
    if ((g->open[n / 64] >> (n % 64) & 1) && g->page->gate_handler[n] == eip)
        bt_gate_direct(g->page, n, tc);
}
