/*
 * pv_cr.h: a PV guest's control-register exits (MOV to CR3 as
 * NEW_BASEPTR; the CR0 and CR4 bits direct paging keeps).
 */
#pragma once
#include "guest/vcpu.h"

void pv_cr_access(struct vcpu *v);
