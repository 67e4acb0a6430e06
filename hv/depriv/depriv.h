/*
 * depriv.h: the deprivileged guest, cpu=deprivileged (64-bit, VMX root
 * operation; lab 3, with mem=shadow).
 *
 * The guest kernel runs at ring 1 instead of ring 0, as on x86 before VT-x
 * (VMware's and Xen's ring compression, lecture slides 19 and 38). The CPU
 * itself then stops the guest wherever ring 0 matters, and the hypervisor
 * emulates what it stopped (trap-and-emulate):
 *   - privileged instructions (CLI, STI, HLT, LGDT, LIDT, LTR, MOV to and
 *     from CR0-CR4, INVLPG, RDMSR/WRMSR, MOV SS with a ring-0 selector, IRET
 *     back to ring 0) fault with #GP at CPL 1; every exception exits
 *     (exception bitmap all ones), and the #GP exit decodes the instruction
 *     (x86_decode.c) and emulates it (depriv_emulate.c);
 *   - every event is delivered by the hypervisor, in software: exceptions,
 *     external interrupts (they exit, "external-interrupt exiting") and INT n
 *     (the real IDT is empty, so INT n faults). The hypervisor reads the
 *     guest's own IDT and TSS and builds the frame the guest expects, with
 *     its ring-0 selectors (depriv_deliver.c). The guest's interrupt flag is
 *     virtual: once it has enabled interrupts, the real IF stays 1, and
 *     interrupts wait in the hypervisor while the guest's own IF is 0,
 *     acknowledged at their exit (so under devices=machine a guest that
 *     keeps IF clear across two timer periods is given two ticks where the
 *     bare CPU gives one: depriv_deliver.c, depriv_set_vif);
 *   - the CPU uses the hypervisor's GDT (the guest's descriptors with DPL 0
 *     made 1, every segment cut below the top 64 MiB) and TSS, mapped in the
 *     top 4 MiB of every address space (depriv_gdt.c). Its TSS lets ring 1
 *     reach every port, so every port exits instead, and the hypervisor
 *     checks a user program's access against the guest's own TSS.
 *   - SYSENTER does not exit, and with the guest's IA32_SYSENTER_CS it would
 *     land at real ring 0 with flat 4 GiB segments. The guest's three
 *     SYSENTER MSRs are kept here, the real IA32_SYSENTER_CS stays 0, so
 *     SYSENTER and SYSEXIT fault (#GP) at any ring and are emulated from
 *     the guest's values: the SDM's fixed flat segments, its ring 0 made
 *     ring 1, limits cut below the top 64 MiB (depriv_sysenter.c; SDM vol.
 *     2B, SYSENTER, SYSEXIT);
 *   - the hypervisor's slot (the top 4 MiB) is never the guest's: no INVLPG,
 *     CR3 load or shadow fill touches it (shadow.c), and no segment reaches
 *     it (a read there is the CPU's #GP or #SS for the segment limit, like
 *     Xen's reserved area);
 *   - an event is delivered at most once per guest instruction: after a
 *     delivery, and after the guest sets its IF (IRET, STI), the next VM
 *     entry blocks interrupts for one instruction ("blocking by STI"), so a
 *     fast timer cannot livelock it; an interrupt that waits for such a
 *     boundary, or for an emulated MOV SS's shadow, comes back with an
 *     interrupt-window exit. An instruction emulated with TF set ends in
 *     its single-step #DB, as on the CPU.
 * Ring compression moves ring 0 only. The guest's rings 2 and 3 are the
 * real ones (its exceptions there switch to its TSS's SS0:ESP0, IRET may
 * return there); its ring 1 cannot be told from its ring 0, both being real
 * ring 1: its DPL-1 descriptors stay DPL 1, a same-ring IRET to RPL 1 at
 * real ring 1 (unpatched) stays the guest's ring 0, and an emulated IRET to
 * RPL 1 (patch=1) stops the guest with a report. The GDT is copied at LGDT:
 * a descriptor the guest writes afterwards is seen at its next LGDT (a
 * load the CPU then refuses at ring 1 stops the guest with a report).
 * These limits are tested (tests/kernels/hostile/attacks_depriv_ring.c).
 * What still goes wrong is what lab 3 is about: POPF, PUSHF, segment-register
 * reads, SGDT/SIDT/SLDT/STR and LAR/LSL run at ring 1 without a fault and
 * give the game away (sensitive.h; the guest's virtcheck test shows each).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmx/depriv_cpu.h"   /* struct depriv, held in struct vcpu */
#include "guest/guest_linear.h"
#include "guest/vcpu.h"
#include "x86/x86_decode.h"

/* The hypervisor's top 4 MiB of the guest's linear space, and the limit of
 * every segment the guest gets: none reaches the top 64 MiB, which the
 * guest OS leaves unused (kit contract). */
#define DEPRIV_AREA        0xFFC00000u
#define DEPRIV_SEG_LIMIT   0xFBFFFFFFu        /* 64 MiB below 4 GiB, minus one */
/* The copy of the guest's GDT: as large as a GDT may be (its limit is 16
 * bits: 8192 descriptors in 16 pages, SDM vol. 3, 3.5.1), so that every
 * index the guest may use is its own. The hypervisor's TSS then has no
 * descriptor there: TR's selector, base, limit and rights are the VMCS's
 * (SDM 25.4.1), which VM entry checks without reading the GDT (27.3.1.2:
 * TI 0, a busy TSS), and nothing the guest runs reads TR's descriptor
 * (LTR and task switches are emulated or stopped, depriv_emulate.c). */
#define DEPRIV_GDT         DEPRIV_AREA
#define DEPRIV_GDT_ENTRIES 8192
#define DEPRIV_GDT_PAGES   (DEPRIV_GDT_ENTRIES * 8 / 4096)
#define DEPRIV_TSS_SELECTOR ((DEPRIV_GDT_ENTRIES - 1) * 8)
#define DEPRIV_TSS         (DEPRIV_AREA + DEPRIV_GDT_PAGES * 0x1000)
/* The first of the hypervisor's own descriptors (depriv_cpu.h's hv_slot),
 * just below TR's index, when the guest's GDT ends before it: selectors
 * DEPRIV_HV_SELECTOR and up. The guest may load none of them (its GDT does
 * not reach them): depriv_copied_descriptor hides them from every emulation, and
 * every load the CPU makes at ring 1 is checked first (hv/bt/README.md). */
#define DEPRIV_HV_SLOT     (DEPRIV_GDT_ENTRIES - 1 - DEPRIV_HV_SLOTS)
#define DEPRIV_HV_SELECTOR (DEPRIV_HV_SLOT * 8)

/* depriv_gdt.c: the hypervisor's GDT and TSS, mapped at DEPRIV_AREA through
 * the shadow; and the guest state of a Multiboot entry at ring 1. */
void depriv_setup(struct vcpu *v);
/* Copy the guest's GDT (v->depriv.gdt_base/limit) into the hypervisor's,
 * ring 0 made ring 1; false if a part of it lies outside the guest's RAM.
 * A page of it the guest's tables do not map is copied as zeros, so its
 * descriptors fault on use, as on the CPU, which reads the GDT on use and
 * not at LGDT (depriv_fault.c then turns that fault into the guest's #PF). */
bool depriv_load_gdt(struct vcpu *v);
/* bt=1's own descriptors (DEPRIV_HV_SLOT), in the copy now and after each
 * LGDT whenever the guest's GDT ends below them. */
void depriv_set_hv_slots(struct vcpu *v, const uint64_t slot[DEPRIV_HV_SLOTS]);
/* Load a segment register (its VMCS fields) from the hypervisor's GDT as
 * the CPU would: selector_field is VMCS_GUEST_xS_SELECTOR. A selector the
 * copy does not hold (LDT, past its end) loads an unusable segment. */
void depriv_load_segment(const struct vcpu *v, unsigned selector_field, uint16_t selector);
/* The copy of the descriptor a selector names, as those loads read it: 0
 * for the null selector, an LDT selector, one past the guest's GDT, or one
 * of the hypervisor's own slots. */
uint64_t depriv_copied_descriptor(const struct vcpu *v, uint16_t selector);
/* The same with the descriptor d given (SYSENTER's fixed flat segments). */
void depriv_load_descriptor(unsigned selector_field, uint16_t selector, uint64_t d);
/* The base, limit and access rights such a load writes for descriptor d
 * (an absent segment unusable: access rights bit 16, SDM 25.4.1). */
void depriv_descriptor_fields(uint64_t d, uint64_t *base, uint64_t *limit, uint64_t *access);
/* Would the CPU load this selector into DS, ES, FS or GS at ring 1 (SDM
 * vol. 2A, MOV, POP: a null selector, or a present data or readable code
 * segment with DPL >= CPL and RPL unless it is conforming code)? 0 if so,
 * else the vector it raises (#GP or #NP, with the selector as its error). */
unsigned depriv_data_segment_fault(const struct vcpu *v, uint16_t selector);
/* The guest's own TSS (its LTR): base and limit; false if it has none. */
bool depriv_guest_tss(struct vcpu *v, uint32_t *base, uint32_t *limit);
/* Would the CPU take this selector for CS (code) or SS (a writable data
 * segment) at privilege level rpl, its RPL and DPL both rpl? The checks of
 * IRET and of a stack switch (SDM vol. 2A, IRET; vol. 3, 6.12.1): what the
 * hypervisor loads for the guest must pass the VM-entry checks too. */
bool depriv_segment_ok(const struct vcpu *v, uint16_t selector, bool code);

/* depriv_deliver.c: events delivered in software. */
/* The guest's IF changes (CLI, STI, IRET, delivery through an interrupt
 * gate, a return to user mode). */
void depriv_set_vif(struct vcpu *v, bool on);
/* An exit found the guest in user mode: what its IF is (depriv_deliver.c). */
void depriv_returned_to_user(struct vcpu *v);
/* The guest's privilege level as it believes it: 0 for ring 1, else the
 * real ring (2 or 3). */
unsigned depriv_cpl(void);
/* Deliver vector through the guest's IDT for the instruction at eip;
 * error < 0: no error code. length: 0 for an exception or interrupt, the
 * instruction's length for INT n, INT3, INTO (the gate's DPL is checked,
 * and the handler returns after the instruction). */
void depriv_deliver(struct vcpu *v, unsigned vector, int64_t error, uint32_t eip, unsigned length);
/* depriv_fault.c: a fault while an event is delivered in software. */
struct depriv_event {
    unsigned vector;
    bool has_error;                 /* it pushes an error code */
    bool external;                  /* an interrupt or NMI, not an exception */
    uint32_t eip;                   /* where it returns to (after a HLT it ended) */
    unsigned length;                /* INT n, INT3, INTO: the instruction's length */
    unsigned cpl;                   /* the guest's, as it believes (depriv_cpl) */
};
enum depriv_delivery {
    DELIVERY_GOES_ON,               /* nothing the CPU would refuse */
    DELIVERY_FAULTS,                /* deliver *instead, with *error */
    DELIVERY_STOPPED,               /* a fault delivering #DF (a triple fault), or a
                                       table or stack outside its RAM: stopped */
};
/* Would the CPU fault delivering e: a gate past the IDT's limit, absent or
 * of a wrong type, its code segment or the TSS's SS0 refused, a page of
 * the IDT, GDT, TSS or kernel stack not mapped? If so, what the CPU does
 * with that second fault (SDM vol. 3, 6.15, table 6-5): deliver it, or a
 * #DF, instead; or shut down (the guest is stopped with the triple fault's
 * report, handle_triple_fault). One of those tables, or the stack, outside
 * the guest's RAM stops it, naming the address. DELIVERY_GOES_ON where nothing
 * architectural stands in the way: depriv_deliver then delivers, or stops
 * the guest at a limit of its own (ring compression's). The guest's ring-3
 * INT n through a present kernel-only gate is left to depriv_deliver (lab
 * 3), which raises that #GP itself. */
enum depriv_delivery depriv_delivery_check(struct vcpu *v, const struct depriv_event *e,
                                           struct depriv_event *instead, uint32_t *error);

/* Do the guest's tables refuse an access (PFEC_W, PFEC_U) to a byte of
 * [linear, linear + len)? If so, the address and the #PF's error code (SDM
 * vol. 3, 4.7) of the first refused; the walk sets the accessed and dirty
 * flags of what it passes, as the CPU's. False with the guest's paging off. */
bool depriv_page_faults(struct vcpu *v, uint32_t linear, unsigned len, uint32_t access, uint32_t *cr2,
                        uint32_t *error);

/* A VM-entry event a handler asked for (inject.c), delivered in software. */
void depriv_deliver_injected(struct vcpu *v);
/* An external interrupt arrived: it waits, pending, for the guest's IF. */
void depriv_interrupt(struct vcpu *v, unsigned vector);
/* An external interrupt waits for the guest's IF. */
bool depriv_interrupt_pending(const struct vcpu *v);
/* Has depriv_deliver_injected or depriv_deliver_pending something to
 * deliver at this entry: an event a handler injected, an NMI, an
 * interrupt the guest's IF lets in? */
bool depriv_delivery_due(const struct vcpu *v);
/* Due only because interrupts are held for one instruction (after STI,
 * IRET, a delivery: hold_interrupts), with nothing pending: the
 * deliveries would only end the hold. */
bool depriv_only_held(const struct vcpu *v);
/* An NMI arrived (devices=virtual: vm_interrupts_take_nmi): delivered
 * before any interrupt, whatever IF, by depriv_deliver_pending. */
void depriv_nmi(struct vcpu *v);
/* Before a VM entry: deliver the lowest pending vector if the guest's IF
 * allows it. One that must wait for an instruction boundary (after STI,
 * MOV SS) brings the guest back with an interrupt-window exit (SDM 26.2:
 * the exit comes once IF = 1 and nothing blocks interrupts). */
void depriv_deliver_pending(struct vcpu *v);
/* bt=1, the guest stopped inside the translation of one of its
 * instructions (depriv_bt.h): what waits is delivered at the next
 * instruction boundary, which the interrupt-window exit brings (it comes
 * after every instruction while the real IF is 1). */
void depriv_deliver_later(struct vcpu *v);
/* The interrupt-window exit: stop asking for it; depriv_deliver_pending
 * delivers before the next entry. */
void depriv_interrupt_window(void);
/* An emulated MOV SS or POP SS: interrupts, and debug traps, wait until the
 * instruction after it has run (SDM vol. 3, 6.8.3; the interruptibility
 * state's blocking by MOV SS, 25.4.2), so that the new SS and the ESP the
 * next instruction loads are never split by an event. */
void depriv_mov_ss_shadow(void);
/* What depriv_step_begin notes before an instruction is emulated. */
struct depriv_step {
    bool tf;                        /* RFLAGS.TF when the instruction began */
    uint64_t delivered;             /* v->depriv.delivered then */
};
struct depriv_step depriv_step_begin(const struct vcpu *v);
/* The single-step trap of an instruction the hypervisor completed (SDM
 * 18.3.1.4: after an instruction begun with TF = 1): the CPU raises none
 * for an instruction that faulted into the hypervisor and was emulated, so
 * depriv_step_end makes it pending in the VMCS (SDM 25.4.2, BS), to come
 * as a #DB right after the VM entry, before any waiting interrupt (SDM
 * 6.9: a trap of the last instruction goes first). True if it did. */
bool depriv_step_end(struct vcpu *v, struct depriv_step s);
/* IRET at ring 1 to a ring-0 frame: emulated. */
void depriv_iret(struct vcpu *v);
/* depriv_touch.c: the guest's memory at a linear address, as the CPU
 * would touch it (accessed and dirty flags set); false if its tables do
 * not map it (guest_linear.c). Between depriv_delivery_begin and _end (one
 * event's check and delivery), through the translations walked since the
 * beginning, as the CPU's TLB would hold them. */
bool depriv_touch(struct vcpu *v, uint32_t linear, void *buf, unsigned len, bool write);
void depriv_delivery_begin(struct vcpu *v);
void depriv_delivery_end(struct vcpu *v);
/* One page's translation for the CPU's own access (access: PFEC_W or 0, a
 * supervisor's): this delivery's earlier walk of it, or a new walk (kept
 * for the rest of the delivery if it translated). */
struct gpt_walk;
void depriv_walk_page(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w);
/* bt=1 (the hook `written`): a software walk of linear sets the accessed
 * and dirty flags of the guest's PDE and PTE as the CPU would (SDM vol. 3,
 * 4.8), and a table may be translated code too (hostile
 * bt-emul-rewrite-accessed-flag). Before the walk, where its entries are
 * and what they hold; after it, each frame whose entry changed told. */
struct walked_entries { unsigned n; uint64_t gpa[2]; uint32_t value[2]; };
void depriv_entries_before(struct vcpu *v, uint32_t linear, struct walked_entries *e);
void depriv_entries_after(struct vcpu *v, const struct walked_entries *e);
/* guest_cpu_walk, and those frames told. */
void depriv_cpu_walk(struct vcpu *v, uint32_t at, uint32_t access, struct gpt_walk *w);
static inline bool depriv_read(struct vcpu *v, uint32_t linear, void *buf, unsigned len)
{
    return depriv_touch(v, linear, buf, len, false);
}
static inline bool depriv_write(struct vcpu *v, uint32_t linear, const void *buf, unsigned len)
{
    return depriv_touch(v, linear, (void *)buf, len, true);
}

/* depriv_sysenter.c: SYSENTER and SYSEXIT, emulated. */
/* in faulted with #GP: if it is SYSENTER or SYSEXIT, do what it does with
 * the guest's MSRs (or deliver the CPU's #GP) and say true. */
bool depriv_sysenter(struct vcpu *v, const struct x86_insn *in);

/* depriv_emulate.c: the exits of a deprivileged guest. */
/* The linear address of an instruction's memory operand (32- or 16-bit
 * addressing); false for a register operand. */
bool depriv_effective_address(const struct vcpu *v, const struct x86_insn *in, uint32_t *out);
/* An emulated instruction's memory operand, read or written as the CPU
 * would at the guest's privilege level (its ring 3 with user rights): a
 * page its tables refuse is its #PF, delivered, and false (the instruction
 * is over); memory outside its RAM stops it. */
bool depriv_operand_read(struct vcpu *v, uint32_t linear, void *buf, unsigned len);
bool depriv_operand_write(struct vcpu *v, uint32_t linear, const void *buf, unsigned len);
void depriv_exception(struct vcpu *v);
/* What the #GP exit of the guest's instruction at RIP does (error: the
 * #GP's error code), for the instruction in, decoded there by the caller:
 * emulate it, or deliver the #GP. bt=1 calls it for an instruction that
 * would fault so in place (its translator exit decoded it already). */
void depriv_emulate_general_protection(struct vcpu *v, const struct x86_insn *in, uint32_t error);
void depriv_external_interrupt(struct vcpu *v);
void depriv_io(struct vcpu *v);
void depriv_print_stats(const struct vcpu *v);
/* A halted guest waits in the HLT activity state, its CS and SS parked at
 * ring 0, until an exit; which first of all unparks them (depriv_halt.c). */
void depriv_park_if_halted(struct vcpu *v);
void depriv_unpark(struct vcpu *v);

/* A selector as the guest reads it: the real ring 1 is its ring 0. */
static inline uint32_t depriv_guest_selector(uint16_t selector)
{
    return (selector & 3) == 1 ? selector & ~3u : selector;
}
/* MOV from CR0, CR2, CR3, CR4 as the guest reads them: the hypervisor's
 * view of CR0 and CR4, the CR3 the guest loaded, CR2 (the real one: a #PF
 * that exits leaves it alone, SDM 27.1). depriv_emulate.c. */
uint32_t depriv_control_register(const struct vcpu *v, unsigned cr);
/* The guest's EFLAGS as it reads them: its own IF (depriv_deliver.c). */
uint32_t depriv_guest_eflags(const struct vcpu *v);

/* depriv_view.c: the guest as a debugger sees it. Where the guest's
 * instruction at address runs while the debugger holds it, and back (a
 * RIP in bt=1's translation cache: the guest instruction it is part of). */
uint64_t depriv_runs_at(const struct vcpu *v, uint32_t address);
uint32_t depriv_guest_address(const struct vcpu *v, uint64_t rip);
/* May the debugger stop the guest at this exit? Not inside a translation,
 * between two of its instructions (bt=1): it stops at the next boundary. */
bool depriv_debug_stoppable(const struct vcpu *v);
/* The debugger changed the debug registers' breakpoints (bt=1: the
 * translations must not run past them). */
void depriv_debug_breakpoints_changed(struct vcpu *v);
/* Its single step of the instruction at from (ESP esp, the guest's own TF
 * guest_tf, when it began) ended after it: bt=1 makes the flags the
 * instruction pushed or popped the guest's own (depriv_bt_step_ended). */
void depriv_debug_step_ended(struct vcpu *v, uint32_t from, uint32_t esp, bool guest_tf);
/* Its memory at linear addresses through its own tables, the patched
 * bytes as its own; how many bytes could be read (written). */
size_t depriv_debug_read(struct vcpu *v, uint64_t linear, void *buf, size_t len);
size_t depriv_debug_write(struct vcpu *v, uint64_t linear, const void *buf, size_t len);
/* `monitor depriv`: the state the hypervisor keeps for it, printed. */
void depriv_show(const struct vcpu *v);

/* LAR, LSL, VERR, VERW (decoded: in) emulated with the checks of SDM vol.
 * 2A/2B against the guest's own descriptor and its own privilege level; ZF
 * says whether they pass. False if reading the operand faulted (the fault
 * is delivered). depriv_patch.c, for patch=1 and bt=1. */
bool depriv_emulate_probe(struct vcpu *v, const struct x86_insn *in);

/* depriv_patch.c: scan-and-patch (patch=1). Before the guest runs, each
 * sensitive instruction of its kernel becomes INT3 (the list of them is its
 * VM's, v->vm->patches); at such an INT3, emulate the original and say
 * true. */
struct boot_module;
void depriv_patch_kernel(struct vcpu *v, const struct boot_module *kernel);
bool depriv_patched_breakpoint(struct vcpu *v);
/* A debugger's read of guest-physical [gpa, gpa + len), already copied
 * into buf: the patched bytes shown as the guest's own. Its write, already
 * made: the patches there made coherent (depriv_patch.c says how). */
struct vm;
void depriv_patch_debug_read(const struct vm *vm, uint64_t gpa, uint8_t *buf, size_t len);
void depriv_patch_debug_written(struct vm *vm, uint64_t gpa, const uint8_t *buf, size_t len);
/* `monitor depriv`'s line on them (nothing without patch=1): how many,
 * how many disarmed (a debugger's INT3 on one, or its bytes changed). */
void depriv_patch_show(const struct vm *vm);
