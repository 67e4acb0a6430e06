/*
 * pv_sched.h: sched_op (lib/pv_abi.h section 9), a hypercall (hypercall.h's
 * shape: the caller's vCPU and its arguments, the result).
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

int32_t pv_sched_op(struct vcpu *v, const uint32_t *args);
