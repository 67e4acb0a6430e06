/*
 * bt_gate.h: INT n from the guest's user mode without a VM exit (issue 21,
 * point 5: the system call; hv/bt/README.md, "System calls without an
 * exit"). Pure: the code only.
 *
 * The real IDT's gates (the hypervisor's, depriv_bt_gate.c) send INT n at
 * CPL 3 to ring 1, into the TC (its code segment, BT_TC_SELECTOR), onto the
 * stack the real TSS gives ring 1: the vCPU page itself (BT_VCPU_SELECTOR,
 * ESP1 the end of gate_frame), where the CPU pushes the user's EIP, CS,
 * EFLAGS, ESP and SS (SDM vol. 3, 6.12.1, figure 6-4). One stub per vector
 * pushes its vector and jumps to the trampoline, which does what the
 * hypervisor's delivery (depriv_deliver.c) would, against what the
 * hypervisor checked and left in the page:
 *   - GS is the vCPU page's (the user's kept in gs_real, as translations
 *     keep it), its registers and flags saved;
 *   - SS is the guest's TSS.SS0 that the hypervisor checked (gate_ss); its
 *     TSS's SS0 must still be that, and the guest's IDT must still hold the
 *     gate the hypervisor checked for this vector (gate_word), else the
 *     fallback;
 *   - the frame goes onto the guest's kernel stack (its TSS.ESP0, read now),
 *     the EFLAGS image with the IF the guest believes it had in user mode
 *     (iret_if, which the hypervisor writes at each entry into user mode);
 *   - the guest's beliefs in the page: its virtual IF (cleared by an
 *     interrupt gate), CS (the gate's), SS (SS0), DS, ES, FS, GS;
 *   - the registers and flags back, and on to the handler's translation
 *     through the lookup routine (bt_lookup.h), which exits to translate it
 *     if it has none.
 * Nothing the guest sees changes before the last check: the fallback is a
 * VMCALL (at `fallback`), after which the hypervisor puts the user's state
 * back from the page and lets the INT fault as it did before (its #GP
 * exit: the hypervisor's delivery). A fault inside the trampoline is
 * handled the same way, once the shadow cannot fill it.
 *
 * A page fault of user mode comes the same way (depriv_bt_gate_inject):
 * the hypervisor injects the #PF at VM entry, and the CPU delivers it
 * through the real IDT's gate of vector 14 (DPL 0: an INT 14 of user mode
 * still faults), into an error stub, which takes the error code the CPU
 * pushed off into the page (gate_error) and pushes the vector with
 * BT_GATE_HARDWARE; the trampoline then pushes the error code onto the
 * guest's kernel stack below the frame. Put back, the user is at the
 * faulting instruction, which faults again.
 */
#pragma once
#include <stdint.h>
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

/* Where the code is, by linear address: the stub of vector n at
 * stubs + n * BT_GATE_STUB_SIZE. */
struct bt_gate_code {
    uint32_t start, end;         /* all of it: the trampoline, the fallback, the stubs */
    uint32_t gs_kept;            /* from here to the stubs: the user's GS in gs_real */
    uint32_t saved;              /* from here: its EAX-EBX in gate_saved (before: in the CPU) */
    uint32_t fallback;           /* the VMCALL of a failed check */
    uint32_t stubs;
    uint32_t error_stubs;        /* exception n's with an error code: error_stubs +
                                    n * BT_GATE_ERROR_STUB_SIZE, n < BT_GATE_EXCEPTIONS */
};
#define BT_GATE_STUB_SIZE 10u    /* push $n (5 bytes), jmp rel32 (5) */
#define BT_GATE_ERROR_STUB_SIZE 17u   /* pop %ss:gate_error (7), push (5), jmp (5) */
#define BT_GATE_EXCEPTIONS 32u
/* In the vector an error stub pushes: the frame has an error code, and
 * the event is an exception the hypervisor injected (the fallback puts
 * the user back at the faulting instruction itself, not before an INT). */
#define BT_GATE_HARDWARE 0x100u
#define BT_GATE_INT_LENGTH 2u    /* INT imm8 (CD ib): the fallback's INT is at EIP - 2 */

/* The trampoline goes straight to tc, the translation of vector n's
 * handler (gate_handler[n]), once the hypervisor has named it there;
 * forgotten wherever that may no longer hold (the vector closed or opened
 * again, translations dropped), and then it goes through the lookup. */
#define BT_GATE_NO_DIRECT 0xFFFFFFFFu
static inline void bt_gate_direct(struct bt_vcpu_page *p, uint32_t n, uint32_t tc)
{
    p->gate_direct_vector = n;
    p->gate_direct_tc = tc;
}
static inline void bt_gate_no_direct(struct bt_vcpu_page *p) { bt_gate_direct(p, BT_GATE_NO_DIRECT, 0); }

/* Emit the trampoline, the fallback and the 256 stubs at e. */
struct bt_gate_code bt_gate_emit(struct bt_emit *e, const struct bt_runtime *rt);

/* The real TSS's ring-1 stack: its offset in the vCPU page's segment, the
 * end of gate_frame (the CPU pushes five words below it). */
#define BT_GATE_ESP1 (BT_VCPU(gate_frame) + 20u)
