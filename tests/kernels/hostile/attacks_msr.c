/*
 * attacks_msr.c: model-specific registers. A guest may read and write only
 * the MSRs the hypervisor emulates, and only with values a CPU would take
 * (hv/exit/exit_msr.c); anything else is the guest's #GP.
 */
#include "attack.h"

ATTACK(efer_lme, "msr-efer-lme", "all icelake", "native; shadow depriv patch: stop long mode needs mem=ept",
       "EFER.LME with paging off: taken under EPT (long mode comes with CR0.PG), refused where the guest "
       "cannot run 64-bit")
{
    wrmsr_at(0xC0000080, 0x100);
    result("took it, EFER reads 0x%llx", (unsigned long long)rdmsr_at(0xC0000080));
}

ATTACK(lstar_read, "msr-lstar-read", "all icelake",
       "native; depriv patch: result exception 13 error=0x0 cpl=0 at=expected",
       "RDMSR IA32_LSTAR: the guest's own (0 at power-on), never a value of the hypervisor's, which has no SYSCALL")
{
    result("read 0x%llx", (unsigned long long)rdmsr_at(0xC0000082));
}

ATTACK(vmx_basic_read, "msr-vmx-basic", "all icelake", "result exception 13 error=0x0 cpl=0 at=expected",
       "RDMSR IA32_VMX_BASIC: VMX is hidden from the guest")
{
    result("read 0x%llx", (unsigned long long)rdmsr_at(0x480));
}

ATTACK(feature_control, "msr-feature-control-write", "all icelake",
       "result exception 13 error=0x0 cpl=0 at=expected",
       "WRMSR IA32_FEATURE_CONTROL: unlock VMX or SMX for the guest")
{
    wrmsr_at(0x3A, 0x7);
}

ATTACK(pat_bad_type, "msr-pat-bad-type", "all icelake", "native",
       "WRMSR IA32_PAT with a reserved memory type: VM entry would fail")
{
    wrmsr_at(0x277, 0x0007040600070106ull);
}

ATTACK(sysenter_eip_noncanonical, "msr-sysenter-eip-noncanonical", "all icelake", "native",
       "WRMSR IA32_SYSENTER_EIP, upper half set: the VMCS field must stay canonical")
{
    wrmsr_at(0x176, 0x8000000000001000ull);
    result("took it, reads 0x%llx", (unsigned long long)rdmsr_at(0x176));
}

ATTACK(msr_hypervisor_range, "msr-kvm-range", "all icelake",
       "result exception 13 error=0x0 cpl=0 at=expected",
       "WRMSR 0x4b564d00 (KVM's paravirtual clock): no hypervisor MSR is offered")
{
    wrmsr_at(0x4B564D00, 0x1000);
}

ATTACK(apic_base_move, "msr-apic-base-move", "all icelake virtual vshadow vdepriv", "result exception 13 error=0x0 cpl=0 at=expected",
       "WRMSR IA32_APIC_BASE: move the local APIC's page into guest RAM")
{
    wrmsr_at(0x1B, 0x00200000ull | 1u << 11 | 1u << 8);
}

ATTACK(x2apic_on, "msr-x2apic-enable", "all icelake virtual vshadow vdepriv", "result exception 13 error=0x0 cpl=0 at=expected",
       "WRMSR IA32_APIC_BASE with EXTD: switch the local APIC to x2APIC mode")
{
    wrmsr_at(0x1B, 0xFEE00000ull | 1u << 11 | 1u << 10 | 1u << 8);
}
