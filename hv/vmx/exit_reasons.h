/*
 * exit_reasons.h: the basic VM-exit reasons (SDM vol. 3, Appendix C
 * "VMX Basic Exit Reasons"), as one X-macro list: a number and a name each.
 * The exit reason field's bits 15:0 hold the basic reason; bit 31 is set
 * when the exit is a failed VM entry (SDM 25.9.1 "Basic VM-Exit Information").
 */
#pragma once
#include <stdbool.h>

#define EXIT_REASON_LIST(X) \
    X(EXCEPTION_NMI,          0, "exception or NMI") \
    X(EXTERNAL_INTERRUPT,     1, "external interrupt") \
    X(TRIPLE_FAULT,           2, "triple fault") \
    X(INIT,                   3, "INIT signal") \
    X(SIPI,                   4, "start-up IPI") \
    X(IO_SMI,                 5, "I/O SMI") \
    X(OTHER_SMI,              6, "other SMI") \
    X(INTERRUPT_WINDOW,       7, "interrupt window") \
    X(NMI_WINDOW,             8, "NMI window") \
    X(TASK_SWITCH,            9, "task switch") \
    X(CPUID,                 10, "CPUID") \
    X(GETSEC,                11, "GETSEC") \
    X(HLT,                   12, "HLT") \
    X(INVD,                  13, "INVD") \
    X(INVLPG,                14, "INVLPG") \
    X(RDPMC,                 15, "RDPMC") \
    X(RDTSC,                 16, "RDTSC") \
    X(RSM,                   17, "RSM") \
    X(VMCALL,                18, "VMCALL") \
    X(VMCLEAR,               19, "VMCLEAR") \
    X(VMLAUNCH,              20, "VMLAUNCH") \
    X(VMPTRLD,               21, "VMPTRLD") \
    X(VMPTRST,               22, "VMPTRST") \
    X(VMREAD,                23, "VMREAD") \
    X(VMRESUME,              24, "VMRESUME") \
    X(VMWRITE,               25, "VMWRITE") \
    X(VMXOFF,                26, "VMXOFF") \
    X(VMXON,                 27, "VMXON") \
    X(CR_ACCESS,             28, "control-register access") \
    X(DR_ACCESS,             29, "MOV DR") \
    X(IO_INSTRUCTION,        30, "I/O instruction") \
    X(RDMSR,                 31, "RDMSR") \
    X(WRMSR,                 32, "WRMSR") \
    X(ENTRY_FAIL_GUEST_STATE, 33, "VM-entry failure: invalid guest state") \
    X(ENTRY_FAIL_MSR_LOADING, 34, "VM-entry failure: MSR loading") \
    X(MWAIT,                 36, "MWAIT") \
    X(MONITOR_TRAP_FLAG,     37, "monitor trap flag") \
    X(MONITOR,               39, "MONITOR") \
    X(PAUSE,                 40, "PAUSE") \
    X(ENTRY_FAIL_MACHINE_CHECK, 41, "VM-entry failure: machine check") \
    X(TPR_BELOW_THRESHOLD,   43, "TPR below threshold") \
    X(APIC_ACCESS,           44, "APIC access") \
    X(VIRTUALIZED_EOI,       45, "virtualized EOI") \
    X(GDTR_IDTR_ACCESS,      46, "GDTR or IDTR access") \
    X(LDTR_TR_ACCESS,        47, "LDTR or TR access") \
    X(EPT_VIOLATION,         48, "EPT violation") \
    X(EPT_MISCONFIG,         49, "EPT misconfiguration") \
    X(INVEPT,                50, "INVEPT") \
    X(RDTSCP,                51, "RDTSCP") \
    X(PREEMPTION_TIMER,      52, "VMX-preemption timer expired") \
    X(INVVPID,               53, "INVVPID") \
    X(WBINVD,                54, "WBINVD") \
    X(XSETBV,                55, "XSETBV") \
    X(APIC_WRITE,            56, "APIC write") \
    X(RDRAND,                57, "RDRAND") \
    X(INVPCID,               58, "INVPCID") \
    X(VMFUNC,                59, "VMFUNC") \
    X(ENCLS,                 60, "ENCLS") \
    X(RDSEED,                61, "RDSEED") \
    X(PML_FULL,              62, "page-modification log full") \
    X(XSAVES,                63, "XSAVES") \
    X(XRSTORS,               64, "XRSTORS")

enum exit_reason {
#define EXIT_REASON_ENUM(name, num, text) EXIT_##name = num,
    EXIT_REASON_LIST(EXIT_REASON_ENUM)
#undef EXIT_REASON_ENUM
};

#define EXIT_REASON_COUNT 65                 /* one past the highest above */
#define EXIT_REASON_ENTRY_FAILURE (1u << 31) /* bit 31 of the exit reason */

/* "CPUID", "EPT violation", ...; "unknown exit reason" for the rest. */
const char *exit_reason_name(unsigned basic_reason);

/* Whether the exit is an instruction at the guest's RIP that a handler
 * completes by advancing RIP past it (SDM 28.2.5, the VM-exit instruction
 * length), or faults: CPUID, I/O, RDMSR, WRMSR, CR access, VMCALL and the
 * like. Not HLT, PAUSE, MWAIT, RDTSC(P), RDPMC, RDRAND or RDSEED, which an
 * honest guest executes again and again at one RIP (an idle or polling
 * loop), nor exits that no instruction at RIP caused (interrupts,
 * windows, EPT, exceptions). */
bool exit_reason_is_completed_instruction(unsigned basic_reason);
