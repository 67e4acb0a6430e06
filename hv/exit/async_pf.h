/*
 * async_pf.h: pseudo page faults (64-bit, VMX root operation; issue 20,
 * lab 6; lecture slide 9), the protocol of lib/apf_abi.h over the
 * hypervisor's paging of a VM (resident=, guest/overcommit.h), in the
 * shape of KVM's asynchronous page faults.
 *
 * A fault on a page that is out (an EPT violation) holds the vCPU until
 * the page is in (the unmodified guest stalls: its time passes; with
 * another VM on the CPU, that VM runs meanwhile, vm_interrupts.c's
 * held_for_page_in; alone, the hypervisor waits on the TSC), unless the
 * guest agreed (MSR_HVL_APF_EN) and can take a pseudo page fault now: at
 * CPL 3 with interrupts on (KVM's rule for a guest that did not ask for
 * faults in its kernel too), no event being delivered, its last "page not
 * present" taken (the area's flags 0), the page not coming in already for
 * another fault (KVM stalls that one too) and a place left among the
 * page-ins held (guest/pageins.h). Then the page-in starts, the area says
 * "page not present", and #PF is injected with error code 0 and CR2 = the
 * token: the guest runs another process. When the page-in is done (its
 * time comes as one of the VM's timer events), the page is mapped, and,
 * once the guest has acknowledged the last one, the area's token says
 * "page ready" and the vector the guest chose is raised as an external
 * interrupt, when its IF allows (vm_interrupts.c, FROM_HV: before the chips' interrupts).
 *
 * Double paging (slide 8) is counted, not cured: a guest that pages too
 * names each frame it writes to its own swap (MSR_HVL_PAGEOUT_HINT), and
 * the frames the hypervisor had paged out then are the pages written twice.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "guest/vcpu.h"

struct vm;

/* resident= for this VM: its paging (overcommit_create) with at most
 * `pages` resident, each page-in `latency` TSC cycles; the EPT pointer
 * rewritten in its VMCS (current: vm_create leaves it so), with the
 * accessed flags where the CPU has them. */
void async_pf_setup(struct vm *vm, uint32_t pages, uint64_t latency, uint64_t ept_vpid_cap);

/* The exits of a paged VM's (exit.c calls these for no other VM, so that
 * theirs pay nothing for them):
 * an EPT violation on a page the hypervisor paged out: handled (a pseudo
 * page fault, or a stall); false for any other (the caller goes on). */
bool async_pf_ept_violation(struct vcpu *v);

/* RDMSR or WRMSR of MSR_HVL_APF_EN, _INT, _ACK or _PAGEOUT_HINT, handled
 * (a value refused is #GP); false for any other MSR. */
bool async_pf_msr_exit(struct vcpu *v);

/* After CPUID: leaf 0x40000000's EAX up to APF_CPUID_LEAF, and that leaf
 * saying pseudo page faults are offered. */
void async_pf_after_cpuid(struct vcpu *v, uint32_t leaf);

/* Before each VM entry of a paged VM: the page-ins done by now mapped, the
 * next "page ready" told, the pages over the limit out, and the next
 * page-in's end as a timer event (vm_devices.h's apf_ fields). */
void async_pf_before_entry(struct vcpu *v);

/* "hv: <tag>paging: ..." and "hv: <tag>pseudo page faults: ...". */
void async_pf_print_stats(const struct vcpu *v);
