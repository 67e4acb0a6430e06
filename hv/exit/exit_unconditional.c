/*
 * exit_unconditional.c: the other instructions and events that exit
 * whatever the controls say (SDM vol. 3, 26.1.2 "Instructions That Cause VM
 * Exits Unconditionally", and 26.2 for task switches), besides CPUID
 * (exit_cpuid.c) and the VMX instructions (exit_exception.c). A guest may
 * execute any of them at any time: each gets an answer, never a panic.
 */
#include "vmx/exit_info.h"
#include "exit/handlers.h"
#include "vmx/inject.h"
#include "poweroff.h"

/* LAB 1 BEGIN: INVD, XSETBV, GETSEC and task switches */
/* INVD would throw away dirty cache lines, the hypervisor's among them:
 * write them back instead (WBINVD), which no guest can tell apart. */
void handle_invd(struct vcpu *v)
{
    __asm__ volatile("wbinvd" : : : "memory");
    advance_rip(v);
}

/* XSETBV exits only once CR4.OSXSAVE is set, and GETSEC once CR4.SMXE is:
 * hvlab's guests can set neither (CPUID shows no XSAVE and no SMX, and
 * exit_cr.c refuses both bits). Should one come anyway, it is an
 * instruction the guest does not have. */
void handle_unsupported_instruction(struct vcpu *v)
{
    (void)v;
    inject_exception(VEC_UD, 0);
}

/* A hardware task switch (a JMP, CALL or IRET to a TSS, a task gate) exits
 * before the CPU starts it (SDM 26.2); emulating one is a page of work no
 * kernel since the 1990s needs, so the guest is stopped with the reason. */
void handle_task_switch(struct vcpu *v)
{
    struct task_switch_qual t = task_switch_qual_decode(v->exit_qualification);   /* table 28-2 */
    guest_stop(v, POWEROFF_GUEST_STOPPED, "a hardware task switch to TSS selector 0x%x by %s: "
               "hvlab does not emulate task switches", t.selector, task_switch_source_name(t.source));
}
/* LAB 1 END */
