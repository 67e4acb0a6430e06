/*
 * bt_iret.h: IRET back to the guest's user mode, and back to its ring 0,
 * translated (issue 21, point 5: a system call, and an interrupt of the
 * kernel, without an exit on the way back).
 *
 * At ring 1 the CPU itself can return to ring 3: an IRET whose frame's CS
 * has RPL 3 pops EIP, CS, EFLAGS, ESP and SS and checks them exactly as at
 * ring 0 (SDM vol. 2A, IRET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"), against
 * the hypervisor's copy of the guest's GDT, which is what the hypervisor's
 * own emulation (depriv_iret) checks them against too. What the CPU would
 * do differently at ring 1 is what the translation rules out first, with
 * an EMULATE exit (the hypervisor's IRET) when any holds:
 *   - a return to the guest's ring 0 (RPL 0 in the frame: the real ring 1),
 *     but for the same-privilege return below;
 *   - VM in the image (at ring 0 a return to virtual-8086 mode);
 *   - an interrupt waits (the virtual IF the image sets lets it in, and only
 *     the hypervisor delivers).
 * IF and IOPL stay the real ones (at ring 1 IRET changes neither, as the
 * hypervisor's emulation keeps them); the guest's GS goes back into the real
 * GS first (the vCPU page's segment is the translation's only); the image's
 * IF is left in the page for the hypervisor (iret_if), which reads it at
 * the next exit, from user mode.
 *
 * Back to the guest's ring 0 the CPU's own IRET at ring 1 would fault (RPL
 * 0 < CPL 1): the translation pops the frame itself, and goes on to EIP
 * through the lookup, where nothing but EIP and the flags change: the
 * frame's CS the one the guest runs with, as the hypervisor found it in
 * the GDT copy (iret_cs_complement), EIP within its limit, no flag the
 * CPU would load that a POPF at ring 1 does not, nothing waiting; else the
 * EMULATE exit (bt_iret.c says each rule).
 *
 * Every check is a table lookup or a LEA through a register the
 * translation saves and restores, and a JECXZ: no flag changes before the
 * exit, so that the EMULATE exit finds the guest's state as it was
 * (bt_exit.h).
 */
#pragma once
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

/* Emit the translation of the 32-bit IRET at eip. */
/* Returns the position of the return to ring 0's way: everything before
 * it (the way back to user mode up to its IRET, the exit) changes nothing
 * of the guest's but ECX, kept in scratch[0] (bt_map_entry's commit). */
size_t bt_iret_emit(struct bt_emit *e, const struct bt_runtime *rt, uint32_t eip);

/* Fill the page's constant tables (user_return, no_vm) the translation reads. */
void bt_iret_tables(struct bt_vcpu_page *p);
