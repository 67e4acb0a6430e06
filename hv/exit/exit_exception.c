/*
 * exit_exception.c: exceptions and NMIs that exit, and the VMX instructions
 * (64-bit, VMX root operation).
 *
 * The exception bitmap is 0 (vmcs_setup.c): the guest handles its own
 * exceptions. What exits here is an NMI, which belongs to the host (pin-based
 * "NMI exiting"), or an exception a later lab or a debugger chose to
 * intercept. Both are reflected: injected into the guest as they came, so
 * the guest sees what it would have seen without the hypervisor.
 */
#include "vmx/exit_info.h"
#include "exit/handlers.h"
#include "guest/guest.h"
#include "vmx/inject.h"
#include "vmx/vmcs.h"
#include "x86/x86.h"


/* LAB 1 BEGIN: reflect exceptions and NMIs */
void handle_exception_or_nmi(struct vcpu *v)
{
    /* The VM-exit interruption information (SDM 25.9.2, table 25-19). */
    struct event_info e = event_info_decode((uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_INFO));
    unsigned vector = e.vector;
    if (e.type == EVENT_NMI) {
        inject_nmi();
        return;
    }
    /* Under shadow paging every #PF exits: exit_pf.c sorts them (lab 2). */
    if (vector == VEC_PF && v->guest->shadow_paging) {
        handle_shadow_page_fault(v);
        return;
    }
    /* A #PF exit leaves CR2 alone and puts the address in the qualification
     * (SDM 28.1): the guest's handler will read CR2, so set it. The host
     * does not use CR2, so the register carries the guest's value. */
    if (vector == VEC_PF)
        write_cr2(v->exit_qualification);
    uint32_t error = e.has_error_code ? (uint32_t)vmcs_read(VMCS_EXIT_INTERRUPTION_ERROR_CODE) : 0;
    inject_exception(vector, error);
}

/* VMCALL from a guest that is not paravirtualised, and every VMX instruction:
 * the guest was told it has no VMX (exit_cpuid.c), so they are undefined
 * opcodes to it (SDM vol. 3, 26.1.2). */
void handle_vmx_instruction(struct vcpu *v)
{
    (void)v;
    inject_exception(VEC_UD, 0);
}
/* LAB 1 END */
