/*
 * depriv_bt_limit.c: a translated near branch to an EIP past CS's limit
 * (64-bit, VMX root; bt=1, issue 21 point 2: a fault in translated code is
 * the original instruction's, with the original's state).
 *
 * The CPU checks a near branch's target against CS's limit before the
 * branch changes anything, and raises #GP(0) at the branch (SDM vol. 2A,
 * JMP, Jcc, CALL, RET, LOOP/LOOPcc, JECXZ: "If the target operand is
 * beyond the code segment limits"); a fault leaves the state as it was
 * before the instruction (SDM vol. 3, 6.5). A translation learns the
 * target only at its exit (a slot's, a lookup's miss), the branch's other
 * work done: CALL's push, RET's pop, LOOP's count. Those are undone here,
 * from the branch's own bytes, and #GP(0) is delivered at the branch.
 * Which branch it was comes from the cache's own map (bt_cache_branch_at).
 */
#include "depriv/depriv_bt_limit.h"
#include "depriv/depriv.h"
#include "guest/guest_linear.h"
#include "vmx/vmcs.h"
#include "x86/segment_access.h"
#include "x86/x86.h"
#include "x86/x86_decode.h"

/* A register moved by `by`, in the width the instruction used (SP for a
 * 16-bit stack, CX for a LOOP with address size 16). */
static uint64_t moved(uint64_t r, int32_t by, bool wide)
{
    return wide ? (uint32_t)(r + (uint64_t)(int64_t)by) : (r & ~0xFFFFull) | ((r + (uint64_t)(int64_t)by) & 0xFFFF);
}

/* Undo what the translation of the branch at `from` did before its exit:
 * the stack as the translation moved it (CALL's push of the 32-bit return
 * EIP, RET's pop of one and its imm16), LOOP's count. The branch's bytes
 * are read again, as they were translated: its page is write-protected, or
 * hot and not written since its block was translated (the block ends
 * after each store that may reach what follows it: bt_block.h). */
static void undo(struct vcpu *v, uint32_t from)
{
    uint8_t bytes[X86_MAX_LENGTH];
    size_t n = guest_linear_read(v->guest, from, bytes, sizeof(bytes));
    struct x86_insn in;
    if (x86_decode(bytes, n, X86_MODE_32, &in) != X86_DECODE_OK || in.map != X86_MAP_ONE_BYTE)
        return;
    int32_t esp = 0;
    if (in.opcode == 0xE8 || (in.opcode == 0xFF && in.reg == 2))
        esp = 4;                                        /* CALL: its push */
    else if (in.opcode == 0xC3 || in.opcode == 0xC2)
        esp = -4 - (in.opcode == 0xC2 ? (int32_t)(in.immediate & 0xFFFF) : 0);   /* RET: its pop */
    else if (in.opcode >= 0xE0 && in.opcode <= 0xE2)
        v->regs.rcx = moved(v->regs.rcx, 1, in.address_size == 4);             /* LOOPcc: its count */
    if (esp)
        vmcs_write(VMCS_GUEST_RSP, moved(vmcs_read(VMCS_GUEST_RSP), esp,
                                         vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) & SEG_AR_DB));
}

void depriv_bt_fault_at_branch(struct vcpu *v, uint32_t from)
{
    undo(v, from);
    vmcs_write(VMCS_GUEST_RIP, from);
    v->rip = from;
    depriv_deliver(v, VEC_GP, 0, from, 0);
}
