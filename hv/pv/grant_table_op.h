/*
 * grant_table_op.h: the grant_table_op hypercall (lab 6, issue 20;
 * lib/pv_abi.h section 10; cpu=pv, 64-bit, VMX root): the guest's ops read
 * and written through its tables, the grants themselves pv/grant_table.c's.
 */
#pragma once
#include <stdint.h>
#include "guest/vcpu.h"

/* The VM's grant table joins the machine's (its domid is its VM id). */
void pv_grant_setup(struct vm *vm);

/* grant_table_op(cmd, op *, count): each op done, its status (and a map's
 * handle) written back; 0, -PV_EINVAL (cmd, count) or -PV_EFAULT. */
int32_t pv_grant_table_op(struct vcpu *v, const uint32_t *args);
