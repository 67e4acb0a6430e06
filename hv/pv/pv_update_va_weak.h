/*
 * pv_update_va_weak.h: TEMPORARY (branch pvevents): update_va_mapping, which
 * the balloon's cases need to unmap a frame before giving it back, until
 * the PV MMU's calls (pv/pv_mmu_calls.c) are in the tree. Delete this file
 * and pv_update_va_weak.c on that merge; the real call replaces the weak
 * one at link time meanwhile.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* update_va_mapping(va, pte, flags) (lib/pv_abi.h section 5). */
int32_t pv_update_va_mapping(struct vcpu *v, const uint32_t *args);
