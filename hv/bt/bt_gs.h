/*
 * bt_gs.h: MOV GS and POP GS translated (issue 21, point 5: no exit in the
 * guest kernel's trap entry and exit, which reload GS every time).
 *
 * In a translation GS is the vCPU page's segment, so the guest's GS is
 * virtual: the selector it believes in the page (selector[BT_GS]), and the
 * real one the hypervisor puts back when the guest leaves the translations
 * (gs_real). A load has the CPU's checks, which only the hypervisor can
 * make from the GDT copy (depriv_data_segment_fault); it records each
 * selector it has let through in the table after the page (BT_GS_OK), so
 * that a translation loads one it already let through without an exit, and
 * exits (EMULATE, the hypervisor's checks and load) for any other. The
 * table is emptied whenever the GDT copy changes (the guest's LGDT). The
 * null selectors are always loadable into GS (SDM vol. 2A, MOV: "loading
 * a null selector into DS, ES, FS or GS does not cause an exception").
 *
 * Only the register form of MOV GS and POP GS: a memory operand exits, as
 * every GS-prefixed instruction does.
 */
#pragma once
#include <stdbool.h>
#include "bt/bt_emit.h"
#include "bt/bt_exit.h"
#include "x86/x86_decode.h"

/* Whether in is a GS load this file translates. */
bool bt_gs_translates(const struct x86_insn *in);

/* Emit its translation: the load without an exit where the table allows
 * it, else the EMULATE exit at eip with the state before it. */
/* Returns the position of its first change of the guest's state (the
 * page's GS): before it, only ECX is borrowed, in scratch[0]
 * (bt_map_entry's commit). */
size_t bt_gs_emit(struct bt_emit *e, const struct bt_runtime *rt, const struct x86_insn *in, uint32_t eip);
