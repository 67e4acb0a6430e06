/*
 * vmx.h: VMX constants (capability MSRs, control bits) and the VMX
 * instructions as inline functions (64-bit, VMX root operation).
 *
 * Every VMX instruction reports failure in RFLAGS (SDM vol. 3, 31.2
 * "Conventions"): CF=1 is VMfailInvalid (no current VMCS), ZF=1 is
 * VMfailValid (the reason is in the VM-instruction error field). The
 * wrappers return 0 on success, VMX_FAIL_INVALID or VMX_FAIL_VALID.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_entry.h" /* VMX_OK, VMX_FAIL_INVALID, VMX_FAIL_VALID: shared with vmx_entry.S */

/* Feature-control and VMX capability MSRs (SDM vol. 3, Appendix A "VMX
 * Capability Reporting Facility"; vol. 4 for the MSR numbers). */
#define MSR_IA32_FEATURE_CONTROL   0x03A
#define FEATURE_CONTROL_LOCK       (1u << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1u << 2)
#define MSR_IA32_VMX_BASIC         0x480
#define MSR_IA32_VMX_PINBASED      0x481
#define MSR_IA32_VMX_PROCBASED     0x482
#define MSR_IA32_VMX_EXIT          0x483
#define MSR_IA32_VMX_ENTRY         0x484
#define MSR_IA32_VMX_MISC          0x485
#define MSR_IA32_VMX_CR0_FIXED0    0x486
#define MSR_IA32_VMX_CR0_FIXED1    0x487
#define MSR_IA32_VMX_CR4_FIXED0    0x488
#define MSR_IA32_VMX_CR4_FIXED1    0x489
#define MSR_IA32_VMX_PROCBASED2    0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP  0x48C
#define MSR_IA32_VMX_TRUE_PINBASED 0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED 0x48E
#define MSR_IA32_VMX_TRUE_EXIT     0x48F
#define MSR_IA32_VMX_TRUE_ENTRY    0x490

#define VMX_BASIC_TRUE_CTLS        (1ull << 55)   /* A.1: the TRUE_* MSRs exist */
#define VMX_BASIC_ANY_ERROR_CODE   (1ull << 56)   /* A.1: any exception injected with or without an error code */

/* Pin-based VM-execution controls (SDM 25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING            (1u << 3)
#define PIN_VIRTUAL_NMIS           (1u << 5)
#define PIN_PREEMPTION_TIMER       (1u << 6)

/* Primary processor-based VM-execution controls (SDM 25.6.2, table 25-6). */
#define PROC_INTERRUPT_WINDOW_EXITING (1u << 2)
#define PROC_USE_TSC_OFFSETTING    (1u << 3)
#define PROC_HLT_EXITING           (1u << 7)
#define PROC_INVLPG_EXITING        (1u << 9)
#define PROC_RDTSC_EXITING         (1u << 12)
#define PROC_CR3_LOAD_EXITING      (1u << 15)
#define PROC_CR3_STORE_EXITING     (1u << 16)
#define PROC_CR8_LOAD_EXITING      (1u << 19)
#define PROC_CR8_STORE_EXITING     (1u << 20)
#define PROC_USE_TPR_SHADOW        (1u << 21)
#define PROC_NMI_WINDOW_EXITING    (1u << 22)
#define PROC_MOV_DR_EXITING        (1u << 23)
#define PROC_UNCONDITIONAL_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS        (1u << 25)
#define PROC_MONITOR_TRAP_FLAG     (1u << 27)
#define PROC_USE_MSR_BITMAPS       (1u << 28)
#define PROC_ACTIVATE_SECONDARY    (1u << 31)

/* Secondary processor-based VM-execution controls (SDM 25.6.2, table 25-7). */
#define PROC2_VIRTUALIZE_APIC      (1u << 0)
#define PROC2_ENABLE_EPT           (1u << 1)
#define PROC2_DESCRIPTOR_EXITING   (1u << 2)
#define PROC2_ENABLE_RDTSCP        (1u << 3)
#define PROC2_ENABLE_VPID          (1u << 5)
#define PROC2_UNRESTRICTED_GUEST   (1u << 7)
#define PROC2_ENABLE_INVPCID       (1u << 12)
#define PROC2_ENABLE_XSAVES        (1u << 20)

/* VM-exit controls (SDM 25.7.1). */
#define EXIT_SAVE_DEBUG_CONTROLS   (1u << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTERRUPT_ON_EXIT (1u << 15)
#define EXIT_SAVE_IA32_PAT         (1u << 18)
#define EXIT_LOAD_IA32_PAT         (1u << 19)
#define EXIT_SAVE_IA32_EFER        (1u << 20)
#define EXIT_LOAD_IA32_EFER        (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

/* VM-entry controls (SDM 25.8.1). */
#define ENTRY_LOAD_DEBUG_CONTROLS  (1u << 2)
#define ENTRY_IA32E_MODE_GUEST     (1u << 9)
#define ENTRY_SMM                  (1u << 10)
#define ENTRY_DEACTIVATE_DUAL_MONITOR (1u << 11)
#define ENTRY_LOAD_IA32_PAT        (1u << 14)
#define ENTRY_LOAD_IA32_EFER       (1u << 15)

/* The interruption-information format the VM-exit, IDT-vectoring and
 * VM-entry fields share (SDM 25.8.3, table 25-17, and 25.9.2): vector,
 * type, whether an error code goes with it, valid. Its bits; exit_info.h
 * decodes and encodes the whole field (struct event_info). */
#define INFO_VALID          (1u << 31)
#define INFO_ERROR_CODE     (1u << 11)
#define INFO_RESERVED       0x7FFFF000u    /* bits 30:12 of the VM-entry field */

/* Interruption types (bits 10:8 of the interruption information). */
enum {
    EVENT_EXTERNAL_INTERRUPT = 0, EVENT_RESERVED = 1, EVENT_NMI = 2, EVENT_HARDWARE_EXCEPTION = 3,
    EVENT_SOFTWARE_INTERRUPT = 4, EVENT_PRIVILEGED_SOFTWARE_EXCEPTION = 5,
    EVENT_SOFTWARE_EXCEPTION = 6, EVENT_OTHER = 7,
};

/* Guest non-register state (SDM 25.4.2): the activity state, the
 * interruptibility state and the pending debug exceptions. */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };
#define BLOCKING_STI               (1u << 0)
#define BLOCKING_MOV_SS            (1u << 1)
#define BLOCKING_SMI               (1u << 2)
#define BLOCKING_NMI               (1u << 3)
#define PENDING_BS                 (1ull << 14)   /* a single-step #DB is pending */

/* Turn the flags a VMX instruction left into VMX_OK / VMX_FAIL_*: each
 * wrapper reads CF and ZF with setc/setz right after the instruction. */
#define VMX_STATUS(cf, zf) ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

static inline int vmxon(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
    return VMX_STATUS(cf, zf);
}

static inline int vmxoff(void)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxoff; setc %0; setz %1" : "=r"(cf), "=r"(zf) : : "cc", "memory");
    return VMX_STATUS(cf, zf);
}

static inline int vmclear(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
    return VMX_STATUS(cf, zf);
}

static inline int vmptrld(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(phys) : "cc", "memory");
    return VMX_STATUS(cf, zf);
}

/* VMREAD returns its status in the flags, not the value: read into *value. */
static inline int vmread_checked(uint64_t field, uint64_t *value)
{
    uint8_t cf, zf;
    __asm__ volatile("vmread %3, %2; setc %0; setz %1"
                     : "=r"(cf), "=r"(zf), "=rm"(*value) : "r"(field) : "cc");
    return VMX_STATUS(cf, zf);
}

static inline int vmwrite_checked(uint64_t field, uint64_t value)
{
    uint8_t cf, zf;
    __asm__ volatile("vmwrite %3, %2; setc %0; setz %1"
                     : "=r"(cf), "=r"(zf) : "r"(field), "rm"(value) : "cc");
    return VMX_STATUS(cf, zf);
}

/* INVVPID (SDM 31.3 "INVVPID"): type 1 (single context) flushes every
 * translation tagged with the VPID, global ones too; type 3 (single
 * context, retaining globals) all but the global ones, as a MOV to CR3
 * does (SDM 4.10.4.1). Which types the CPU has: IA32_VMX_EPT_VPID_CAP
 * bits 32 (INVVPID at all), 41 (type 1) and 43 (type 3), SDM A.10. */
#define INVVPID_SINGLE_CONTEXT          1ull
#define INVVPID_SINGLE_CONTEXT_GLOBALS  3ull
#define VPID_CAP_INVVPID                (1ull << 32)
#define VPID_CAP_SINGLE_CONTEXT         (1ull << 41)
#define VPID_CAP_SINGLE_CONTEXT_GLOBALS (1ull << 43)
static inline int invvpid(uint64_t type, uint16_t vpid)
{
    struct { uint64_t vpid, linear; } desc = { vpid, 0 };
    uint8_t cf, zf;
    __asm__ volatile("invvpid %2, %3; setc %0; setz %1"
                     : "=r"(cf), "=r"(zf) : "m"(desc), "r"(type) : "cc", "memory");
    return VMX_STATUS(cf, zf);
}

/* INVEPT type 1 (single context) flushes the EPT-derived translations of
 * one EPTP (SDM 31.3 "INVEPT"). */
static inline int invept_single(uint64_t eptp)
{
    struct { uint64_t eptp, zero; } desc = { eptp, 0 };
    uint8_t cf, zf;
    __asm__ volatile("invept %2, %3; setc %0; setz %1"
                     : "=r"(cf), "=r"(zf) : "m"(desc), "r"(1ull) : "cc", "memory");
    return VMX_STATUS(cf, zf);
}
