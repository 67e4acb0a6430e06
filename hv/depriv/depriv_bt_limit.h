/*
 * depriv_bt_limit.h: a translated near branch to an EIP past CS's limit,
 * bt=1 (depriv_bt_limit.c).
 */
#pragma once
#include <stdint.h>

struct vcpu;

/* The guest's translated branch at `from` went past CS's limit (its
 * translation's exit, left with RIP the target): its work is undone and
 * #GP(0) delivered at it, as the CPU's check before the branch would. */
void depriv_bt_fault_at_branch(struct vcpu *v, uint32_t from);
