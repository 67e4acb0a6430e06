/* exit_reasons.c: names of the basic exit reasons (exit_reasons.h). Pure. */
#include "vmx/exit_reasons.h"

const char *exit_reason_name(unsigned basic_reason)
{
    switch (basic_reason) {
#define EXIT_REASON_CASE(name, num, text) case num: return text;
    EXIT_REASON_LIST(EXIT_REASON_CASE)
#undef EXIT_REASON_CASE
    }
    return "unknown exit reason";
}

bool exit_reason_is_completed_instruction(unsigned basic_reason)
{
    switch (basic_reason) {
    case EXIT_CPUID: case EXIT_GETSEC: case EXIT_INVD: case EXIT_INVLPG: case EXIT_VMCALL:
    case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST: case EXIT_VMREAD:
    case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF: case EXIT_VMXON: case EXIT_CR_ACCESS:
    case EXIT_DR_ACCESS: case EXIT_IO_INSTRUCTION: case EXIT_RDMSR: case EXIT_WRMSR:
    case EXIT_GDTR_IDTR_ACCESS: case EXIT_LDTR_TR_ACCESS: case EXIT_INVEPT: case EXIT_INVVPID:
    case EXIT_WBINVD: case EXIT_XSETBV: case EXIT_INVPCID: case EXIT_XSAVES: case EXIT_XRSTORS:
        return true;
    default:
        return false;
    }
}
