/*
 * bt_exit.h: how translated code hands the guest to the hypervisor (binary
 * translation, issue 21; pure).
 *
 * An exit stub writes the exit record into the vCPU page (kind, guest EIP,
 * argument) and jumps to the exit routine, whose linear address the caller
 * gives (struct bt_runtime): in the hypervisor one VMCALL (it exits in VMX
 * non-root operation at any CPL, SDM vol. 3, 26.1.2), in the host tests the
 * harness's return. A stub changes neither EFLAGS nor a general register:
 * at the exit the real registers and arithmetic flags are the guest's,
 * exactly as before the guest instruction at exit_eip (or after the one
 * before it: the kinds say which).
 */
#pragma once
#include <stdint.h>
#include "bt/bt_emit.h"

enum bt_exit_kind {
    BT_EXIT_NONE = 0,
    BT_EXIT_BRANCH,      /* continue at exit_eip, which has no translation yet;
                            arg: the linear address of the slot to chain (bt_chain.h) */
    BT_EXIT_LOOKUP,      /* an indirect branch (RET, JMP r/m, CALL r/m) to exit_eip
                            missed the lookup table (bt_lookup.h); arg 0 */
    BT_EXIT_EMULATE,     /* the instruction at exit_eip is the hypervisor's: privileged,
                            IRET, far control flow, LAR/LSL/VERR/VERW, GS or CS data,
                            INT n (bt_classify.h); arg 0 */
    BT_EXIT_INTERRUPT,   /* POPF set the virtual IF with an interrupt pending: deliver
                            it before the instruction at exit_eip; arg 0 */
    BT_EXIT_STI,         /* STI did, with an interrupt pending: deliver it after the
                            instruction at exit_eip (blocking by STI, SDM vol. 2B, STI) */
    BT_EXIT_FAULT,       /* the bytes at exit_eip raise exception arg (#UD: no
                            instruction; #GP: longer than 15 bytes, vol. 2A, 2.3.11) */
    BT_EXIT_NO_CODE,     /* the instruction at exit_eip runs past the bytes the
                            translator was given (into the next page); arg 0 */
    BT_EXIT_KINDS
};

/* The two routines every translation reaches, by their linear addresses. */
struct bt_runtime {
    uint32_t exit;       /* the exit routine */
    uint32_t lookup;     /* the indirect-branch lookup (bt_lookup_emit) */
};

/* movl $kind, exit_kind; movl $eip, exit_eip; movl $arg, exit_arg; jmp exit. */
void bt_emit_exit(struct bt_emit *e, const struct bt_runtime *rt, enum bt_exit_kind kind,
                  uint32_t eip, uint32_t arg);
#define BT_EXIT_STUB_SIZE 38u

/* "branch", "lookup", ... */
const char *bt_exit_kind_name(enum bt_exit_kind kind);
