/*
 * bt_chain.c: exit slots and chaining (see bt_chain.h).
 */
#include "bt/bt_chain.h"
#include "bt/bt_vcpu.h"

#define JMP_REL32 0xE9

uint32_t bt_emit_slot(struct bt_emit *e, const struct bt_runtime *rt, uint32_t eip)
{
    uint32_t slot = bt_here(e);
    bt_jmp(e, slot + 5);                       /* unchained: to the stub after it */
    bt_emit_exit(e, rt, BT_EXIT_BRANCH, eip, slot);
    return slot;
}

/* LAB 3 BEGIN: chaining a slot to a translation, and unchaining it */
/* Aim the slot's JMP rel32 at `to`: a rel32 counts from the end of the
 * JMP, the next instruction (SDM vol. 2A, JMP); only its 4 bytes change. */
void bt_chain(uint8_t *code, uint32_t address, uint32_t to)
{
    bt_put32(code + 1, to - (address + 5));
}

/* Aim it back at its stub, right after the JMP. */
void bt_unchain(uint8_t *code, uint32_t address) { bt_chain(code, address, address + 5); }
/* LAB 3 END */

uint32_t bt_chained_to(const uint8_t *code, uint32_t address) { return address + 5 + bt_get32(code + 1); }

bool bt_is_slot(const uint8_t *code, uint32_t address)
{
    /* The stub's first two MOVs: 65 C7 05 <offset> <imm32>, 11 bytes each. */
    const uint8_t *kind = code + 5, *arg = code + 5 + 22;
    return code[0] == JMP_REL32 && kind[0] == 0x65 && kind[1] == 0xC7 && kind[2] == 0x05 &&
           bt_get32(kind + 3) == BT_VCPU(exit_kind) && bt_get32(kind + 7) == BT_EXIT_BRANCH &&
           arg[0] == 0x65 && arg[1] == 0xC7 && arg[2] == 0x05 &&
           bt_get32(arg + 3) == BT_VCPU(exit_arg) && bt_get32(arg + 7) == address;
}
