/*
 * apf_abi.h: pseudo page faults (issue 20, lab 6), the interface between
 * the hypervisor (hv/exit/async_pf.c) and a guest OS that agrees to them
 * (guestos/kernel/apf.c). It is the lecture's protocol (slide 9: the VMM
 * starts the page-in, "triggers a guest pseudo page fault", the guest OS
 * suspends the process, and at the page-in's completion the VMM "calls the
 * guest's handler again", which wakes it) in the shape of KVM's
 * asynchronous page faults (Linux, Documentation/virt/kvm/x86/msr.rst,
 * MSR_KVM_ASYNC_PF_EN, _INT, _ACK; cpuid.rst, KVM_FEATURE_ASYNC_PF_INT):
 * the same layout, bits and order of events, at hvlab's own MSR numbers
 * ("HVL" in place of KVM's "KVM", 0x4b564d__), so that what a student
 * learns here reads straight into KVM's sources.
 *
 * Both sides include it; the layouts are 32-bit x86's and 64-bit's alike.
 */
#pragma once
#include <stdint.h>

/* CPUID leaf 0x40000003 (the hypervisor's range, 0x40000000-0x400000FF):
 * EAX bit 0 = pseudo page faults offered (the hypervisor pages this VM:
 * resident=). Leaf 0x40000000's EAX (the highest leaf) is then 0x40000003.
 * KVM says the same with KVM_FEATURE_ASYNC_PF_INT in leaf 0x40000001. */
#define APF_CPUID_LEAF          0x40000003u
#define APF_CPUID_EAX_OFFERED   (1u << 0)

/* MSRs (WRMSR; RDMSR reads back what was written, 0 at the start). */
#define MSR_HVL_APF_EN   0x48564c02u   /* KVM: MSR_KVM_ASYNC_PF_EN  0x4b564d02 */
#define MSR_HVL_APF_INT  0x48564c06u   /* KVM: MSR_KVM_ASYNC_PF_INT 0x4b564d06 */
#define MSR_HVL_APF_ACK  0x48564c07u   /* KVM: MSR_KVM_ASYNC_PF_ACK 0x4b564d07 */

/* Double paging (lecture slide 8), a hint and nothing more: the guest
 * writes the guest-physical address of a frame it is about to write to
 * its own swap (bits 11:0 zero, in its RAM; else #GP). The hypervisor
 * counts it as a page written twice when it had paged that frame out
 * itself (the guest's read of it will bring it back, only to be written
 * out again). Offered with the rest (CPUID leaf 0x40000003). */
#define MSR_HVL_PAGEOUT_HINT 0x48564c10u

/* MSR_HVL_APF_EN: bits 63:6 the guest-physical address of a 64-byte area
 * (struct apf_area), 64-byte aligned, in the VM's RAM; bit 0 enables; bit 3
 * says "page ready" comes as the interrupt MSR_HVL_APF_INT names (KVM's
 * KVM_ASYNC_PF_DELIVERY_AS_INT, the only delivery offered here: it must be
 * set, and MSR_HVL_APF_INT written before). Bits 5:4, 2 and 1 (KVM's
 * "send always", "as #PF VM exit") are refused: #GP, as is an area outside
 * the RAM. Writing 0 turns the protocol off. */
#define APF_EN_ENABLED          (1ull << 0)
#define APF_EN_DELIVERY_AS_INT  (1ull << 3)
#define APF_EN_ADDR_MASK        (~0x3Full)

/* MSR_HVL_APF_INT: bits 7:0 the vector of "page ready", 32..255; the rest 0. */
#define APF_INT_VECTOR_MASK     0xFFull

/* MSR_HVL_APF_ACK: write 1 once the "page ready" in the area was taken
 * (token set to 0 first): the next one can come. */
#define APF_ACK_DONE            1ull

/* The area (KVM's struct kvm_vcpu_pv_apf_data). */
struct apf_area {
    /* "page not present": the hypervisor sets APF_FLAG_NOT_PRESENT and
     * injects #PF with error code 0 and CR2 = the token; the guest's #PF
     * handler reads it, sets flags back to 0 and blocks the process that
     * faulted on the token. While flags is not 0, no new one is sent (the
     * fault waits, as an unmodified guest's does). */
    uint32_t flags;
    /* "page ready": the hypervisor writes the token and raises the vector
     * of MSR_HVL_APF_INT; the guest wakes the process blocked on it, sets
     * token to 0 and writes MSR_HVL_APF_ACK. While token is not 0, no new
     * one is written. */
    uint32_t token;
    uint8_t pad[56];
};
_Static_assert(sizeof(struct apf_area) == 64, "the area is 64 bytes (KVM's layout)");

#define APF_FLAG_NOT_PRESENT    1u     /* KVM_PV_REASON_PAGE_NOT_PRESENT */
