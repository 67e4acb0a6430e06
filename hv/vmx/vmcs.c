/*
 * vmcs.c: access to the current VMCS (64-bit, VMX root operation).
 *
 * A VMCS is read and written only with VMREAD and VMWRITE, by field
 * encoding (SDM vol. 3, 25.11.2): its memory layout is the CPU's secret.
 * VMCLEAR initialises it and VMPTRLD makes it the current VMCS, the one
 * these instructions and VMLAUNCH work on (SDM 25.11.3 "Initializing a VMCS").
 */
#include "vmx/vmcs.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "printf.h"
#include "vmx/vmx_entry.h" /* struct vcpu */
#include "vmx/vmx.h"

/* SDM 31.4, table 31-1. */
const char *vm_instruction_error_name(unsigned error)
{
    switch (error) {
    case 1: return "VMCALL executed in VMX root operation";
    case 2: return "VMCLEAR with invalid physical address";
    case 3: return "VMCLEAR with VMXON pointer";
    case 4: return "VMLAUNCH with non-clear VMCS";
    case 5: return "VMRESUME with non-launched VMCS";
    case 6: return "VMRESUME after VMXOFF";
    case 7: return "VM entry with invalid control field(s)";
    case 8: return "VM entry with invalid host-state field(s)";
    case 9: return "VMPTRLD with invalid physical address";
    case 10: return "VMPTRLD with VMXON pointer";
    case 11: return "VMPTRLD with incorrect VMCS revision identifier";
    case 12: return "VMREAD/VMWRITE from/to unsupported VMCS component";
    case 13: return "VMWRITE to read-only VMCS component";
    case 15: return "VMXON executed in VMX root operation";
    case 26: return "VM entry with events blocked by MOV SS";
    case 28: return "invalid operand to INVEPT/INVVPID";
    default: return "unknown VM-instruction error";
    }
}

_Noreturn void vmcs_failed(const char *what, unsigned field, int status)
{
    if (status == VMX_FAIL_INVALID)
        panic("%s %s (0x%04x) failed: there is no current VMCS", what,
              vmcs_field_name(field) ? vmcs_field_name(field) : "?", field);
    uint64_t err = 0;
    vmread_checked(VMCS_VM_INSTRUCTION_ERROR, &err);
    panic("%s %s (0x%04x) failed: VM-instruction error %lu (%s)", what,
          vmcs_field_name(field) ? vmcs_field_name(field) : "?", field,
          err, vm_instruction_error_name((unsigned)err));
}

/* LAB 1 BEGIN: allocate a VMCS and make it current */
void vmcs_create(struct vcpu *v, const struct vmx_caps *caps)
{
    /* A VMCS region starts with the revision identifier (SDM 25.2). */
    v->vmcs_pa = alloc_page();
    *(uint32_t *)v->vmcs_pa = (uint32_t)(caps->basic & 0x7FFFFFFF);
    if (vmclear(v->vmcs_pa) != VMX_OK)
        panic("VMCLEAR of the VMCS at 0x%lx failed", v->vmcs_pa);
    if (vmptrld(v->vmcs_pa) != VMX_OK)
        panic("VMPTRLD of the VMCS at 0x%lx failed", v->vmcs_pa);
}
/* LAB 1 END */

void vmcs_dump(void)
{
    static const unsigned fields[] = {
#define VMCS_FIELD_ENCODING(name, enc) enc,
        VMCS_FIELD_LIST(VMCS_FIELD_ENCODING)
#undef VMCS_FIELD_ENCODING
    };
    printf("hv: VMCS at the time of failure:\n");
    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        uint64_t value;
        if (vmread_checked(fields[i], &value) == VMX_OK)
            printf("  %-32s 0x%lx\n", vmcs_field_name(fields[i]), value);
    }
}
