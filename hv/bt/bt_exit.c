/*
 * bt_exit.c: the exit stub (see bt_exit.h). Three MOVs to GS-relative
 * memory and a JMP: none of them changes EFLAGS (SDM vol. 2B, MOV, JMP:
 * "Flags Affected: None").
 */
#include "bt/bt_exit.h"
#include "bt/bt_vcpu.h"

void bt_emit_exit(struct bt_emit *e, const struct bt_runtime *rt, enum bt_exit_kind kind,
                  uint32_t eip, uint32_t arg)
{
    bt_gs_store_imm(e, BT_VCPU(exit_kind), kind);
    bt_gs_store_imm(e, BT_VCPU(exit_eip), eip);
    bt_gs_store_imm(e, BT_VCPU(exit_arg), arg);
    bt_jmp(e, rt->exit);
}

const char *bt_exit_kind_name(enum bt_exit_kind kind)
{
    static const char *const names[BT_EXIT_KINDS] = {
        "none", "branch", "lookup", "emulate", "interrupt", "sti", "fault", "no code",
    };
    return (unsigned)kind < BT_EXIT_KINDS ? names[kind] : "?";
}
