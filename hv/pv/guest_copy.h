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
