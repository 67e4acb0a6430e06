/*
 * attacks_apf.c: pseudo page faults (issue 20; lib/apf_abi.h,
 * hv/exit/async_pf.c). Mode "paged" is "virtual" with the hypervisor
 * paging the VM (resident=), where the MSRs exist: every field the guest
 * gives is hostile, and each value lib/apf_abi.h refuses must be #GP at
 * the WRMSR, as KVM refuses its own (a value KVM takes and hvlab does not
 * is refused all the same: reserved here). Without resident= the MSRs are
 * none of the VM's: #GP too. What a guest does with the protocol at run
 * time (never acknowledging, moving the area while page-ins are under way)
 * is the guest OS's apfbug= (tests/integration/apf_cases.py).
 */
#include "attack.h"
#include "apf_abi.h"

#define GP_AT_WRMSR "result exception 13 error=0x0 cpl=0 at=expected"
#define VECTOR 0xF3
#define ENABLE (APF_EN_ENABLED | APF_EN_DELIVERY_AS_INT)

static struct apf_area area __attribute__((aligned(64)));

/* The vector chosen, then one WRMSR the hypervisor must refuse. */
static void refused(uint32_t msr, uint64_t value)
{
    wrmsr(MSR_HVL_APF_INT, VECTOR);
    wrmsr_at(msr, value);
    result("took 0x%llx in MSR 0x%x", (unsigned long long)value, msr);
}

#define APF_REFUSED(fn, name, msr, value, what) \
    ATTACK(fn, name, "paged", GP_AT_WRMSR, what) { refused(msr, value); }

APF_REFUSED(apf_area_outside, "apf-area-outside-ram", MSR_HVL_APF_EN, 0xFFFFF000ull | ENABLE,
            "the pseudo page fault area at 0xFFFFF000, outside the VM's RAM")
APF_REFUSED(apf_area_high, "apf-area-above-4g", MSR_HVL_APF_EN, 0x100000000ull | ENABLE,
            "the area at 4 GiB: bits the RAM's addresses never have")
APF_REFUSED(apf_area_unaligned, "apf-area-unaligned", MSR_HVL_APF_EN, ((uint32_t)&area + 0x20) | ENABLE,
            "the area 32 bytes into a 64-byte line: bit 5, reserved (an area that would straddle a page)")
APF_REFUSED(apf_send_always, "apf-en-send-always", MSR_HVL_APF_EN, (uint32_t)&area | ENABLE | 2,
            "bit 1 (KVM's 'send always', faults at CPL 0 too): not offered")
APF_REFUSED(apf_as_pf_vmexit, "apf-en-as-pf-vmexit", MSR_HVL_APF_EN, (uint32_t)&area | ENABLE | 4,
            "bit 2 (KVM's delivery as a #PF VM exit, for nested guests): not offered")
APF_REFUSED(apf_no_int, "apf-en-without-int", MSR_HVL_APF_EN, (uint32_t)&area | APF_EN_ENABLED,
            "enabled without bit 3 (page ready as an interrupt): the only delivery there is")
APF_REFUSED(apf_int_junk, "apf-int-junk", MSR_HVL_APF_INT, 0x1F3,
            "MSR_HVL_APF_INT with bits above the vector's")
APF_REFUSED(apf_int_exception, "apf-int-exception-vector", MSR_HVL_APF_INT, 14,
            "page ready as vector 14: an exception's, which an external interrupt may not use")
APF_REFUSED(apf_hint_unaligned, "apf-pageout-hint-unaligned", MSR_HVL_PAGEOUT_HINT, 0x100010,
            "the double paging hint for a frame address with bits 11:0 set")
APF_REFUSED(apf_hint_outside, "apf-pageout-hint-outside-ram", MSR_HVL_PAGEOUT_HINT, 0x40000000,
            "the double paging hint for a frame outside the VM's RAM")
APF_REFUSED(apf_ack_junk, "apf-ack-junk", MSR_HVL_APF_ACK, 3,
            "MSR_HVL_APF_ACK with a bit besides bit 0")

ATTACK(apf_en_before_int, "apf-en-before-int", "paged", GP_AT_WRMSR,
       "enabled before a vector was chosen: page ready would have nowhere to go")
{
    wrmsr_at(MSR_HVL_APF_EN, (uint32_t)&area | ENABLE);
    result("took it with no vector");
}

ATTACK(apf_unpaged, "apf-msrs-unpaged", "virtual", GP_AT_WRMSR,
       "MSR_HVL_APF_EN in a VM the hypervisor does not page: an MSR the VM has not")
{
    wrmsr_at(MSR_HVL_APF_EN, (uint32_t)&area | ENABLE);
    result("took it");
}

/* What must be taken: the area anywhere in RAM, in the page at its top too
 * (paged out at the first VM entry: the hypervisor brings it in and keeps
 * it), moved, turned off and on, an ACK with nothing to acknowledge. */
ATTACK(apf_accepted, "apf-msrs-accepted", "paged", "result EN 0x00fffe49 INT 0xf3 CPUID 0x1",
       "every MSR value the protocol takes, the area in the RAM's last page")
{
    uint32_t a, b, c, d;
    a = APF_CPUID_LEAF;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    wrmsr(MSR_HVL_APF_INT, VECTOR);
    wrmsr(MSR_HVL_APF_EN, (uint32_t)&area | ENABLE);
    wrmsr(MSR_HVL_APF_ACK, APF_ACK_DONE);
    wrmsr(MSR_HVL_APF_EN, 0);
    wrmsr(MSR_HVL_APF_EN, (ram_top - 0x1C0) | ENABLE);
    result("EN 0x%08llx INT 0x%llx CPUID 0x%x", (unsigned long long)rdmsr(MSR_HVL_APF_EN),
           (unsigned long long)rdmsr(MSR_HVL_APF_INT), a);
}

/* A guest that loops on a refused WRMSR: each one #GP, and the
 * hypervisor's log a line for the first few only (apf-refused-many in
 * tests/integration/apf_cases.py counts them), the rest counted. */
#define STORM 40
ATTACK(apf_refused_many, "apf-refused-many", "paged", "result 40 refused writes, 40 #GP",
       "40 refused WRMSRs in a row (the hypervisor's log must not grow a line each)")
{
    unsigned gp = 0;
    for (unsigned i = 0; i < STORM; i++) {
        recovered_vector = NO_FAULT;
        TRY("wrmsr", : : "c"(MSR_HVL_APF_ACK), "a"(3), "d"(0) : "memory");
        gp += recovered_vector == 13;
    }
    result("%u refused writes, %u #GP", STORM, gp);
}
