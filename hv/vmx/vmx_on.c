/*
 * vmx_on.c: find out what this CPU's VMX can do, and enter VMX operation
 * (64-bit, ring 0, still outside VMX when it starts).
 *
 * The order is the SDM's (vol. 3, 24.6 "Discovering Support for VMX", 24.7
 * "Enabling and Entering VMX Operation"): CPUID says whether VMX exists;
 * IA32_FEATURE_CONTROL must allow VMXON outside SMX; CR0 and CR4 must hold
 * the values the fixed-bit MSRs demand, CR4.VMXE included; VMXON takes a
 * page that starts with the VMCS revision identifier.
 */
#include "vmx/vmx_on.h"
#include "mem/memory.h"
#include "cpu/panic.h"
#include "printf.h"
#include "vmx/vmx.h"
#include "x86/x86.h"

#define CPUID_1_ECX_VMX (1u << 5)

/* Read every capability MSR once (SDM Appendix A). */
static void read_caps(struct vmx_caps *c)
{
    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    bool true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
    c->pinbased = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED);
    c->procbased = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED);
    c->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT);
    c->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY);
    c->misc = rdmsr(MSR_IA32_VMX_MISC);
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    /* PROCBASED2 exists only if the primary controls may activate it (A.3.3). */
    c->procbased2 = vmx_ctl_supported(c->procbased, PROC_ACTIVATE_SECONDARY)
                        ? rdmsr(MSR_IA32_VMX_PROCBASED2) : 0;
    /* EPT_VPID_CAP exists only if EPT or VPID may be enabled (A.10). */
    c->ept_vpid = vmx_ctl_supported(c->procbased2, PROC2_ENABLE_EPT) ||
                  vmx_ctl_supported(c->procbased2, PROC2_ENABLE_VPID)
                      ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    c->phys_addr_width = cpuid(0x80000000, 0).eax >= 0x80000008
                             ? (cpuid(0x80000008, 0).eax & 0xFF) : 36;
}

/* IA32_FEATURE_CONTROL (SDM 24.7): firmware normally locks it with VMX
 * allowed; Bochs leaves it 0 (unlocked), and then we may set it ourselves. */
static void allow_vmxon(void)
{
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
        return;
    }
    if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
        panic("VMX is disabled by the firmware: IA32_FEATURE_CONTROL is locked with 'VMX "
              "outside SMX' off (value 0x%lx): enable VT-x in the BIOS set-up",
              fc);
}

/* LAB 1 BEGIN: discover VMX and read its capabilities */
void vmx_detect(struct vmx_caps *caps)
{
    if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX))
        panic("this CPU has no VMX (CPUID.1:ECX.VMX[bit 5] is 0): run the hypervisor in "
              "Bochs (make run), or with EMU=qemu-kvm on an Intel host with nested VT-x; "
              "QEMU TCG does not emulate VMX");
    allow_vmxon();
    read_caps(caps);
    printf("hv: VMX: revision 0x%x, MAXPHYADDR %u, secondary controls %s, EPT %s, "
           "unrestricted guest %s, VPID %s\n",
           (unsigned)(caps->basic & 0x7FFFFFFF), caps->phys_addr_width,
           caps->procbased2 ? "yes" : "no",
           vmx_ctl_supported(caps->procbased2, PROC2_ENABLE_EPT) ? "yes" : "no",
           vmx_ctl_supported(caps->procbased2, PROC2_UNRESTRICTED_GUEST) ? "yes" : "no",
           vmx_ctl_supported(caps->procbased2, PROC2_ENABLE_VPID) ? "yes" : "no");
}
/* LAB 1 END */

static struct vmx_caps hv_vmx_caps;

struct vmx_caps *vmx_cpu_caps(void)
{
    return &hv_vmx_caps;
}

/* The features mem=ept needs: EPT for the guest's physical memory, and the
 * unrestricted guest, which lets a guest run with paging off (SDM 27.3.1.1:
 * without it, CR0.PE and CR0.PG must be 1), as a Multiboot kernel starts. */
void vmx_require_ept(const struct vmx_caps *caps)
{
    uint32_t need = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
    uint32_t missing = need & ~vmx_ctl_may_be_one(caps->procbased2);
    if (missing)
        panic("mem=ept needs %s%s%s, which this CPU's VMX lacks (IA32_VMX_PROCBASED_CTLS2 "
              "allows 0x%08x): use a CPU model that has them (Bochs: CPU=tigerlake), or "
              "mem=shadow (lab 2)", (missing & PROC2_ENABLE_EPT) ? "EPT" : "",
              missing == need ? " and " : "",
              (missing & PROC2_UNRESTRICTED_GUEST) ? "the unrestricted guest" : "",
              vmx_ctl_may_be_one(caps->procbased2));
    uint64_t ept = caps->ept_vpid;
    if (!(ept & (1ull << 6)) || !(ept & (1ull << 14)))
        panic("EPT here lacks 4-level page walks or write-back memory (IA32_VMX_EPT_VPID_CAP "
              "0x%lx, SDM A.10)", ept);
}

/* LAB 1 BEGIN: enter VMX root operation */
void vmx_on(const struct vmx_caps *caps)
{
    /* CR0 and CR4 must have every bit FIXED0 sets and no bit FIXED1 clears
     * (SDM A.7, A.8); CR4.VMXE is among the FIXED0 bits of CR4. */
    write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
    write_cr4((read_cr4() | caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);

    /* The VMXON region: one page whose first 31 bits are the VMCS revision
     * identifier from IA32_VMX_BASIC (SDM 25.11.5 "VMXON Region"). */
    uint64_t region = alloc_page();
    *(uint32_t *)region = (uint32_t)(caps->basic & 0x7FFFFFFF);
    int status = vmxon(region);
    if (status != VMX_OK)
        panic("VMXON failed with %s (the region at 0x%lx starts with revision 0x%x, the CPU's "
              "is 0x%x; CR0=0x%lx, CR4=0x%lx: see SDM 31.3 \"VMXON\")",
              status == VMX_FAIL_INVALID ? "VMfailInvalid: a bad region, revision or CR0/CR4"
                                         : "VMfailValid: already in VMX operation",
              region, *(uint32_t *)region,
              (unsigned)(caps->basic & 0x7FFFFFFF), read_cr0(),
              read_cr4());
    printf("hv: VMXON ok\n");
}
/* LAB 1 END */
