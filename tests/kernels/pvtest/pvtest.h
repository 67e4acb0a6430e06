/*
 * pvtest.h: how the PV test kernel's cases are written. One case per boot
 * (case=NAME on the kernel's command line; case=list lists them), each one
 * function in the cases_*.c file of its area (cases_hv.c: the mode, the
 * start of day and the hypercall path; other areas add their own files,
 * none touches another's). A case ends in one of three ways:
 *   - result("...")    "pvtest: result ..." and sched_op shutdown poweroff 0
 *                      (common/verdict.h; verdict_poweroff(N) powers off with N);
 *   - an exception     "pvtest: result exception V error=0x.. at=..." and
 *                      poweroff 0 (at=expected where EXPECT_AT marked the
 *                      instruction);
 *   - breach("...")    it got past a check it should not have:
 *                      "pvtest: BREACH ..." and poweroff 1;
 * or the hypervisor stops the guest ("hv: guest stopped: ..."), which
 * tests/integration/pv_cases.py expects for some.
 */
#pragma once
#include <stdint.h>
#include "pv_abi.h"
#include "recover.h"
#include "verdict.h"   /* result, breach */

struct pv_case {
    const char *name;
    const char *what;
    void (*run)(void);
};

#define PV_CASE(fn, name_, what_)                                               \
    static void fn(void);                                                       \
    static const struct pv_case pv_case_##fn                                    \
        __attribute__((used, section(".pvcases." #fn), aligned(4))) =           \
        { name_, what_, fn };                                                   \
    static void fn(void)

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

extern uint32_t expect_eip;
#define EXPECT_AT(insn) "movl $1f, expect_eip\n1: " insn "\n"

/* The start of day and the command line (pv_main keeps them). */
extern const struct pv_start_info *start_info;
extern const char *pv_cmdline;
extern uint8_t hypercall_page[4096];

/* A hypercall by VMCALL itself (the ABI's registers), and through the
 * hypercall page's stub (once hypercall_page_setup has run). The argument
 * registers are outputs too: a call continued in parts (lib/pv_abi.h
 * section 5) comes back with them rewritten, and a compiler that thought
 * them kept would reuse a list's address that is no longer there (the
 * fuzzer found it: cases_fuzz.c). */
static inline int32_t vmcall5(uint32_t op, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5)
{
    int32_t r;
    __asm__ volatile("vmcall" : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3), "+S"(a4), "+D"(a5) : "a"(op)
                     : "memory", "cc");
    return r;
}
#define vmcall3(op, a1, a2, a3) vmcall5(op, a1, a2, a3, 0, 0)

static inline int32_t stubcall3(uint32_t op, uint32_t a1, uint32_t a2, uint32_t a3)
{
    int32_t r;
    __asm__ volatile("call *%[stub]" : "=a"(r), "+b"(a1), "+c"(a2), "+d"(a3)
                     : [stub] "r"(hypercall_page + op * PV_HYPERCALL_STUB) : "memory", "cc");
    return r;
}

/* The machine frame of one of the kernel's own virtual addresses (its
 * direct map, through the P2M list). */
uint32_t virt_to_mfn(const void *p);

/* The hypercall page placed (CPUID leaf 0x40000002's MSR). */
void hypercall_page_setup(void);

/* Set by a case that goes to ring 3: called (at ring 0) for an exception
 * from ring 3, which main.c's handler would otherwise report. */
extern void (*ring3_exception)(uint32_t vector, uint32_t eip);
