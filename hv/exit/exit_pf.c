/*
 * exit_pf.c: page faults and INVLPG under shadow paging (64-bit, VMX root
 * operation; lab 2, mem=shadow).
 *
 * With bit 14 of the exception bitmap set and the page-fault error-code
 * mask and match both 0, every #PF in the guest exits (SDM vol. 3, 25.6.3
 * "Exception Bitmap"), before the guest sees it: the exit qualification is
 * the linear address (the guest's CR2 is not written, SDM 28.1) and the
 * VM-exit interruption error code is the error code of the fault on the
 * shadow. The fault is either the shadow's (an entry not made yet, or a
 * page kept read-only until its D flag is set): fill and resume; or the
 * guest's own (its tables say #PF): reflect it with the guest's error code
 * and CR2. INVLPG exits with "INVLPG exiting" (SDM 26.1.3) and drops the
 * page from the shadow.
 */
#include "vmx/exit_info.h"
#include "exit/handlers.h"
#include "guest/guest.h"
#include "guest/guest_paging.h"
#include "vmx/inject.h"
#include "poweroff.h"
#include "guest/shadow.h"
#include "guest/shadow_spaces.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"


/* LAB 2 BEGIN: the #PF and INVLPG exits */
/* The fault interrupted the delivery of another event (an interrupt whose
 * stack page was not in the shadow yet, say): the IDT-vectoring information
 * says which (SDM 28.2.4). Deliver it again now that the shadow has the page
 * (SDM 28.2.4 and 27.6.1.1: software interrupts and exceptions need the
 * instruction length). */
void redeliver(struct event_info idt)
{
    if (idt.has_error_code)
        vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE));
    if (idt.type == EVENT_SOFTWARE_INTERRUPT || idt.type == EVENT_PRIVILEGED_SOFTWARE_EXCEPTION ||
        idt.type == EVENT_SOFTWARE_EXCEPTION)
        vmcs_write(VMCS_VM_ENTRY_INSTRUCTION_LENGTH, vmcs_read(VMCS_EXIT_INSTRUCTION_LENGTH));
    idt.nmi_unblocking = false;     /* bit 12: undefined here, reserved at VM entry */
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, event_info_encode(idt));
}

/* Reflect a page fault the guest's own tables raise. If it happened while
 * another exception was delivered, the two combine as on real hardware
 * (SDM vol. 3, 6.15 "Exception and Interrupt Reference", table 6-5): a #PF
 * while delivering a #PF is a double fault; one while delivering a #DF
 * shuts the CPU down. */
static void reflect_page_fault(struct vcpu *v, uint32_t va, uint32_t error_code, struct event_info idt)
{
    bool during_exception = idt.valid && idt.type == EVENT_HARDWARE_EXCEPTION;
    if (during_exception && idt.vector == VEC_DF) {
        guest_stop(v, POWEROFF_GUEST_STOPPED, "triple fault (a page fault while delivering a "
                   "double fault, linear 0x%08x): the guest's CPU would have shut down", va);
        return;
    }
    if (during_exception && idt.vector == VEC_PF) {
        inject_exception(VEC_DF, 0);
        return;
    }
    write_cr2(va);      /* the guest's handler reads CR2: the host leaves it alone */
    inject_exception(VEC_PF, error_code);
}

void handle_shadow_page_fault(struct vcpu *v)
{
    uint32_t va = (uint32_t)v->exit_qualification;
    uint32_t hw_error = (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE);
    struct event_info idt = event_info_decode((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO));
    struct shadow_fault_info f;
    shadow_fault(v->guest->shadow, va, hw_error, &f);
    switch (f.outcome) {
    case SHADOW_FILLED:
        if (idt.valid)
            redeliver(idt);
        break;
    case SHADOW_GUEST_FAULT:
        reflect_page_fault(v, va, f.error_code, idt);
        break;
    case SHADOW_OUTSIDE_RAM:
        /* Contained like an EPT violation (exit_guest_fault.c): the shadow
         * never maps anything but guest RAM. */
        guest_stop(v, POWEROFF_GUEST_STOPPED, "shadow paging: it %s linear 0x%08x, whose %s is at "
                   "guest-physical 0x%lx, outside its %lu MiB of RAM",
                   (hw_error & PFEC_W) ? "wrote to" : "read from", va, f.what,
                   f.gpa, v->guest->ram_size >> 20);
        break;
    }
}

void handle_invlpg(struct vcpu *v)
{
    /* The qualification is the linear-address operand (SDM 28.2.1, table 28-1). */
    shadow_invlpg(v->guest->shadow, (uint32_t)v->exit_qualification);
    advance_rip(v);
}
/* LAB 2 END */

void handle_invlpg_spaces(struct vcpu *v)
{
    if (!v->guest->spaces) {
        handle_invlpg(v);
        return;
    }
    shadow_spaces_invlpg(v->guest, (uint32_t)v->exit_qualification);
    advance_rip(v);
}
