/* inject.c: event injection into the guest (see inject.h). */
#include "vmx/inject.h"
#include "x86/control_regs.h"
#include "vmx/cpu_rules.h"
#include "vmx/exit_info.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmx_on.h" /* vmx_cpu_caps: injection has no vCPU at hand */

/* Every injection goes through here: the deliver-error-code bit must be
 * what VM entry allows on this CPU for the guest's mode (SDM 27.2.1.3,
 * cpu_rules.c). CR0.PE is the CR0 field's: without the unrestricted guest
 * it is always 1, in real mode the CPU pushes no error code. Only a
 * hardware exception can deliver one (the rule's first test, made first
 * here): an interrupt or NMI, injected at every tick of devices=virtual,
 * reads neither CR0 nor the capabilities. */
static void inject_event(unsigned type, unsigned vector, uint32_t error_code)
{
    struct event_info e = { .vector = vector, .type = type, .valid = true };
    if (type == EVENT_HARDWARE_EXCEPTION &&
        injection_delivers_error_code(vmx_cpu_caps()->basic, vmcs_read(VMCS_GUEST_CR0) & CR0_PE, type, vector)) {
        e.has_error_code = true;
        vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
    }
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, event_info_encode(e));
}

void inject_exception(unsigned vector, uint32_t error_code)
{
    inject_event(EVENT_HARDWARE_EXCEPTION, vector, error_code);
}

void inject_external_interrupt(unsigned vector)
{
    inject_event(EVENT_EXTERNAL_INTERRUPT, vector, 0);
}

void inject_nmi(void)
{
    inject_event(EVENT_NMI, VEC_NMI, 0);
}

void inject_software_exception(unsigned vector, uint32_t instruction_length)
{
    vmcs_write(VMCS_VM_ENTRY_INSTRUCTION_LENGTH, instruction_length);
    inject_event(EVENT_SOFTWARE_EXCEPTION, vector, 0);
}

void make_single_step_pending(void)
{
    vmcs_write(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS,
               vmcs_read(VMCS_GUEST_PENDING_DEBUG_EXCEPTIONS) | PENDING_BS);
}

void debug_exception_exited(uint64_t qualification)
{
    struct debug_qual d = debug_qual_decode(qualification);
    uint64_t dr6 = 0xFFFF0FF0u | d.b0_3 | (d.bd ? DR6_BD : 0) | (d.bs ? DR6_BS : 0);
    __asm__ volatile("mov %0, %%db6" : : "r"(dr6));
    vmcs_write(VMCS_GUEST_DR7, vmcs_read(VMCS_GUEST_DR7) & ~(uint64_t)DR7_GD);
}
