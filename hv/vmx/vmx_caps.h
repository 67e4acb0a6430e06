/*
 * vmx_caps.h: what this CPU's VMX supports, read once from the capability
 * MSRs (SDM vol. 3, Appendix A "VMX Capability Reporting Facility").
 *
 * A control MSR holds two 32-bit masks (SDM A.3 "VM-Execution Controls"):
 * the low half has a 1 for every control that must be 1 (allowed 0-settings),
 * the high half has a 0 for every control that must be 0 (allowed
 * 1-settings). Where VMX_BASIC bit 55 is set, the TRUE_* MSRs give the real
 * masks and replace the plain ones (A.2 "Reserved Controls and Defaults").
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vmx_caps {
    uint64_t basic;        /* IA32_VMX_BASIC: VMCS revision, size, memory type */
    uint64_t misc;         /* IA32_VMX_MISC: activity states, CR3 targets, timer rate */
    uint64_t pinbased;     /* TRUE_PINBASED if available, else PINBASED */
    uint64_t procbased;    /* TRUE_PROCBASED ... */
    uint64_t procbased2;   /* PROCBASED2, or 0 without secondary controls */
    uint64_t exit;         /* TRUE_EXIT ... */
    uint64_t entry;        /* TRUE_ENTRY ... */
    uint64_t cr0_fixed0, cr0_fixed1;   /* A.7: bits fixed to 1 / bits allowed to be 1 */
    uint64_t cr4_fixed0, cr4_fixed1;   /* A.8 */
    uint64_t ept_vpid;     /* IA32_VMX_EPT_VPID_CAP, or 0 */
    unsigned phys_addr_width;          /* CPUID.80000008H:EAX[7:0] (MAXPHYADDR) */
};

/* The controls that must be 1, and those that may be 1, in a control MSR. */
static inline uint32_t vmx_ctl_must_be_one(uint64_t cap) { return (uint32_t)cap; }
static inline uint32_t vmx_ctl_may_be_one(uint64_t cap) { return (uint32_t)(cap >> 32); }

/* The setting to write: what we want, plus what must be 1, minus what must be 0. */
static inline uint32_t vmx_ctl_adjust(uint64_t cap, uint32_t wanted)
{
    return (wanted | vmx_ctl_must_be_one(cap)) & vmx_ctl_may_be_one(cap);
}

static inline bool vmx_ctl_supported(uint64_t cap, uint32_t controls)
{
    return (vmx_ctl_may_be_one(cap) & controls) == controls;
}
