/*
 * hypercall.h: calling the hypervisor (lib/pv_abi.h sections 1 and 2).
 *
 * The hypervisor fills hypercall_page with one stub per call
 * ("mov $n, %eax; vmcall; ret" at n * 32); the kernel calls the stub, so it
 * need not know which instruction traps to this hypervisor (Xen's reason
 * for the page). Arguments in EBX, ECX, EDX, ESI, EDI; the result in EAX,
 * every other register kept.
 */
#pragma once
#include <stdint.h>
#include "../../../lib/pv_abi.h"

extern char hypercall_page[PV_PAGE_SIZE];

#define HYPERCALL(nr, a1, a2, a3, a4, a5) ({                                      \
    uint32_t b_ = (uint32_t)(a1), c_ = (uint32_t)(a2), d_ = (uint32_t)(a3);      \
    uint32_t s_ = (uint32_t)(a4), D_ = (uint32_t)(a5);                           \
    int32_t r_;                                                                  \
    __asm__ volatile("call *%[stub]"                                             \
                     : "=a"(r_), "+b"(b_), "+c"(c_), "+d"(d_), "+S"(s_), "+D"(D_) \
                     : [stub] "a"(hypercall_page + (nr) * PV_HYPERCALL_STUB)      \
                     : "memory", "cc");                                          \
    r_; })

#define hypercall1(nr, a1)             HYPERCALL(nr, a1, 0, 0, 0, 0)
#define hypercall2(nr, a1, a2)         HYPERCALL(nr, a1, a2, 0, 0, 0)
#define hypercall3(nr, a1, a2, a3)     HYPERCALL(nr, a1, a2, a3, 0, 0)
#define hypercall4(nr, a1, a2, a3, a4) HYPERCALL(nr, a1, a2, a3, a4, 0)

/* A machine address, for the hypervisor, of a kernel virtual address. */
uint32_t pv_machine_addr(const void *va);

/* The start-of-day information (pv/start.c) and the shared-info page. */
extern struct pv_start_info *pv_start_info;
extern struct pv_shared_info *pv_shared;
