/*
 * depriv_bt.h: binary translation of a deprivileged guest kernel, bt=1
 * (64-bit, VMX root; lab 3 part two, issue 21). The translator is hv/bt
 * (pure); this is the hypervisor's side of it: where the translations run,
 * entering and leaving them, the exits they take, and keeping them true
 * to the guest's code.
 *
 * With bt=1 the guest kernel's code (real ring 1) never runs in place: at
 * every VM entry into its kernel the hypervisor enters the translation of
 * the guest EIP instead, with CS a code segment of its own that reaches the
 * translation cache (TC) and GS its vCPU page (hv/bt/README.md, "Where
 * things run"). At every VM exit from a translation at a guest instruction
 * boundary it puts the guest back as the CPU would hold it running in
 * place: RIP the guest EIP, CS and GS the guest's ("canonical"), so that
 * every handler of cpu=deprivileged works unchanged. An exit between two
 * guest instructions (an external interrupt inside the few instructions
 * one guest instruction became) stays in the translation, and whatever
 * waits for a boundary is delivered at the next one (the interrupt window
 * brings it).
 *
 * Where the pieces live, all in the hypervisor's top 4 MiB (DEPRIV_AREA,
 * mapped into every address space by the shadow tables, beyond every
 * guest segment's limit):
 *   0xFFC00000  the GDT copy and the TSS (depriv_gdt.c)
 *   0xFFC20000  the TC, 1 MiB, read and execute only: the exit routine
 *               (VMCALL), the indirect-branch lookup, then the blocks
 *   0xFFD20000  the vCPU page (bt_vcpu.h), writable at ring 0-2 through GS
 * (BT_TC_BASE and the rest: depriv_bt_cache.h).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bt/bt_emit.h"
#include "depriv/depriv.h"
#include "guest/vcpu.h"

/* bt=1: the TC and the vCPU page, mapped (after depriv_setup). */
void depriv_bt_setup(struct vcpu *v);

/* The first thing a deprivileged guest's exit does with bt=1: a VM exit
 * from a translation at a guest boundary, or the translator's own exit
 * (the VMCALL of the exit routine), leaves the guest canonical. True if
 * the exit was the translator's alone and is done (the dispatcher then
 * only delivers what waits, and enters again). *step: depriv_step_begin's
 * view, taken before the translator emulates anything (an IRET it
 * emulates may set TF; it owes no trap for itself). The I/O exit of a
 * copied IN or OUT stays in the translation, unless a debugger is
 * attached. */
bool depriv_bt_exit(struct vcpu *v, struct depriv_step *step, bool debugger);
/* After depriv_bt_exit did a copied MOV to CR3 or INVLPG where it is (a
 * context switch's): if nothing is to be delivered, the rest of the exit's
 * way would only refill the vCPU page, which this does (true); else false,
 * and the exit goes on as any. step: depriv_bt_exit's. */
bool depriv_bt_stay_done(struct vcpu *v, struct depriv_step step);
/* The guest is inside a translation between two of its instructions:
 * nothing may be delivered now (depriv_deliver_later). */
bool depriv_bt_between(const struct vcpu *v);
/* Before the deliveries: the guest that stayed in its translation for an
 * IN or OUT, or whose exit came inside a translation before its commit
 * (rewind_translation), leaves it if an event is to be delivered. */
void depriv_bt_before_delivery(struct vcpu *v);
/* After the deliveries before an entry: the instruction that must run
 * before the next interrupt is noted (depriv_bt.c). */
void depriv_bt_after_delivery(struct vcpu *v);
/* Before depriv_deliver_injected: a page fault of user mode left for the
 * CPU to deliver through the real IDT into the trampoline (true), not
 * delivered by the hypervisor (depriv_bt_gate.h, depriv_bt_gate_inject). */
bool depriv_bt_inject(struct vcpu *v);
/* The last thing before a VM entry: a guest kernel at a guest EIP enters
 * its translation (made now if there is none), or runs one instruction in
 * place when the translator asked for that (an instruction the hypervisor
 * emulates when it faults, or a write to translated code). */
void depriv_bt_enter(struct vcpu *v);
/* A #PF exit with bt=1: handled as ever (handle_shadow_page_fault), and a
 * shadow entry it made that maps translated code write-protected; a
 * write to such a page drops the translations made from it first. */
void depriv_bt_page_fault(struct vcpu *v);
/* cpu=deprivileged's emulation decodes what the shadow maps at RIP (the
 * bytes the CPU fetched: guest_instruction_fetch), but a translated guest
 * never fetched its instruction in place: the shadow entries of the pages
 * of [eip, eip + length) are made as the CPU's fetch would make them.
 * False if the guest's tables do not map them. */
bool depriv_bt_fetchable(struct vcpu *v, uint32_t eip, unsigned length);
/* depriv_bt_emulate.c: the instruction at eip (a BT_EXIT_EMULATE's, the
 * guest canonical before it) emulated now if it is one cpu=deprivileged
 * emulates when it faults or exits in place; false if it must run in place. */
bool depriv_bt_emulate(struct vcpu *v, uint32_t eip);
/* The #GP exit of a copied MOV to CR3 or INVLPG (BT_PRIVILEGED) at TC
 * address rip, a boundary: emulated there, RIP moved past the copy, in the
 * translation still (*stay), or to leave it, past the instruction (a
 * translation dropped); false: nothing done, it is to be run in place. */
bool depriv_bt_privileged_in_tc(struct vcpu *v, uint32_t rip, bool *stay);
/* The hypervisor is about to write guest-physical gpa's page for the
 * guest (an emulated INS): code translated from it is dropped first, as a
 * write by the guest itself drops it. */
void depriv_bt_written(struct vcpu *v, uint64_t gpa);
/* GS loads (hv/bt/bt_gs.h): the hypervisor found selector loadable into GS
 * at ring 1, and a translation may load it without an exit until the GDT
 * copy changes (depriv_load_gdt). */
void depriv_bt_gs_allow(struct vcpu *v, uint16_t selector);
/* depriv_bt.c: the trampoline took the guest into a translation by itself;
 * the state the hypervisor keeps for one made as enter_at makes it. */
void depriv_bt_entered_by_gate(struct vcpu *v);
/* A translated IRET took the guest back to user mode since the last exit. */
void depriv_bt_back_in_user(struct vcpu *v);

/* depriv_bt_segment.c: the instruction at the guest's EIP is about to run
 * in place at ring 1; if it would load one of the hypervisor's selectors
 * of the GDT copy, what the bare CPU does instead (#GP(selector), or LAR's
 * ZF 0) is done, and true (the guest moved: decide again). */
bool depriv_bt_refuse_hv_selector(struct vcpu *v);
/* `hv: bt ...` at the end of the run: translations, exits by kind, cache. */
void depriv_bt_print_stats(const struct vcpu *v);

/* depriv_bt_debug.c: a translated kernel under a debugger (its top says
 * the design). An instruction breakpoint (DR0-DR3, DR7) at eip: that
 * instruction is never translated; a block of len bytes from eip cut
 * before one. */
bool depriv_bt_breakpoint_at(uint32_t eip);
size_t depriv_bt_cut_before_breakpoint(uint32_t eip, size_t len);
/* The debug registers changed (gdb's hbreak, the guest's MOV DR): the
 * cache emptied, so that no block runs past a new breakpoint. */
void depriv_bt_breakpoints_changed(struct vcpu *v);
/* The debugger wrote guest-physical gpa's page (a breakpoint's INT3 in or
 * out): its translations dropped. */
void depriv_bt_debug_written(struct vcpu *v, uint64_t gpa);
/* The guest is at one of its instruction boundaries, canonical (not inside
 * a translation): where a debugger may stop it. */
bool depriv_bt_stoppable(const struct vcpu *v);
/* The guest EIP whose translation holds rip (rip itself when canonical). */
uint32_t depriv_bt_guest_address(const struct vcpu *v, uint64_t rip);
/* A debugger's single step of the instruction at from, begun with ESP
 * esp and the guest's own TF guest_tf, ended at the next boundary: a
 * translated PUSHF's image and POPF's TF made the guest's own. */
void depriv_bt_step_ended(struct vcpu *v, uint32_t from, uint32_t esp, bool guest_tf);
/* depriv_bt_exit's #DB exits from a translation (boundary: at a guest
 * instruction's start): a data breakpoint's trap between two guest
 * instructions is owed to the next boundary (true: the exit is done), and
 * that boundary's single-step trap reported as it. At the exit routine's
 * VMCALL (a boundary), the owed trap is made to come right after the entry. */
bool depriv_bt_debug_trap(struct vcpu *v, bool boundary);
void depriv_bt_debug_translator_exit(void);
/* `monitor depriv`'s line on the translator. */
void depriv_bt_show(const struct vcpu *v);
