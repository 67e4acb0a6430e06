/* inject.c: event injection into the guest (see inject.h). */
#include "inject.h"
#include "vmcs.h"


/* The exceptions that push an error code (SDM vol. 3, 6.13 "Error Code"). */
static bool has_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

void inject_exception(unsigned vector, uint32_t error_code)
{
    uint32_t info = INFO_VALID | EVENT_HARDWARE_EXCEPTION << 8 | vector;
    if (has_error_code(vector)) {
        info |= INFO_ERROR_CODE;
        vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
    }
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, info);
}

void inject_nmi(void)
{
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO, INFO_VALID | EVENT_NMI << 8 | VEC_NMI);
}

void inject_software_exception(unsigned vector, uint32_t instruction_length)
{
    vmcs_write(VMCS_VM_ENTRY_INSTRUCTION_LENGTH, instruction_length);
    vmcs_write(VMCS_VM_ENTRY_INTERRUPTION_INFO,
               INFO_VALID | EVENT_SOFTWARE_EXCEPTION << 8 | vector);
}
