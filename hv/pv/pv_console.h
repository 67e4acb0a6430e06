/*
 * pv_console.h: console_io (lib/pv_abi.h section 7), a hypercall
 * (hypercall.h's shape: the caller's vCPU and its arguments, the result).
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

int32_t pv_console_io(struct vcpu *v, const uint32_t *args);
