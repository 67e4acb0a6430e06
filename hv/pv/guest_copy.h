/*
 * guest_copy.h: a hypercall's pointer arguments (lib/pv_abi.h section 2;
 * 64-bit, VMX root): the guest's linear addresses, read and written through
 * its current page tables as its kernel at ring 0 would touch them (the
 * CPU's walk, CR0.WP set: a write needs every entry on the way writable),
 * and then only in frames the VM owns (guest_ptr under direct paging). A
 * byte the guest could not reach so is -PV_EFAULT, never a fault in the
 * hypervisor; on -PV_EFAULT copy_to_guest may have written the pages
 * before the first it could not.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "guest/vcpu.h"

int copy_from_guest(struct vcpu *v, void *dst, uint32_t linear, size_t len);
int copy_to_guest(struct vcpu *v, uint32_t linear, const void *src, size_t len);

/* A hypercall's list of count requests of size bytes each at the guest's
 * linear address at (mmu_update's, mmuext_op's, multicall's), read in pieces: the
 * requests that lie in one page together, one walk for them all, instead
 * of one per request. A request is read before the ones before it have run:
 * a batch that changes the mapping of its own list gets the requests the
 * list held when their page was read (the frame stays the VM's throughout:
 * no request of these calls gives a frame away). */
#define GUEST_LIST_BYTES 384    /* 48 mmu_update requests, 32 mmuext_op ones, 12 multicall entries */

struct guest_list {
    struct vcpu *v;
    uint32_t at, size, left;    /* the next unread request, its size, how many are unread */
    uint32_t held, next;        /* requests in buf, and the next of them to give */
    uint8_t buf[GUEST_LIST_BYTES];
};

void guest_list_start(struct guest_list *l, struct vcpu *v, uint32_t at, uint32_t count, uint32_t size);

/* The next request, or NULL when the guest could not read it (-PV_EFAULT;
 * a list that would wrap at 4 GiB too). */
const void *guest_list_next(struct guest_list *l);
