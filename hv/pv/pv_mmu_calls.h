/*
 * pv_mmu_calls.h: the PV MMU's hypercalls (lib/pv_abi.h section 5):
 * mmu_update, mmuext_op and update_va_mapping, each a hypercall
 * (hypercall.h's shape: the caller's vCPU and its arguments, the result).
 * The rules are guest/direct_paging.c's; these read the guest's requests
 * and flush its TLB.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

int32_t pv_mmu_update(struct vcpu *v, const uint32_t *args);
int32_t pv_mmuext_op(struct vcpu *v, const uint32_t *args);
int32_t pv_update_va_mapping(struct vcpu *v, const uint32_t *args);
