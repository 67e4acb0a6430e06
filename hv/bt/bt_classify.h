/*
 * bt_classify.h: what the translator does with each instruction (binary
 * translation, issue 21; pure). The table is in bt_classify.c, each row
 * with its reason; hv/bt/README.md sums it up.
 */
#pragma once
#include "x86/x86_decode.h"

enum bt_action {
    BT_COPY,             /* identical translation: the bytes as they are */
    BT_SEGMENT_LOAD,     /* copied, then the vCPU page's selector updated
                            (MOV, POP to DS, ES, FS; LDS, LES, LFS) */
    BT_SENSITIVE,        /* rewritten inline on the vCPU page (bt_sensitive.h) */
    BT_DIRECT,           /* Jcc, JMP rel, CALL rel, LOOPcc, JECXZ: exit slots; ends the block
                            (but a Jcc: bt_block.c) */
    BT_INDIRECT,         /* RET, JMP r/m, CALL r/m: the lookup; ends the block */
    BT_PORT_IO,          /* IN, OUT: copied; the CPU's own VM exit (every port
                            exits) is handled without leaving the translation */
    BT_PRIVILEGED,       /* MOV to CR3, INVLPG: copied; at ring 1 they raise #GP(0),
                            whose exit the hypervisor emulates without leaving the
                            translation; ends the block */
    BT_EMULATE,          /* an exit for the hypervisor to emulate it; ends the block */
    BT_UD,               /* raises #UD (UD2, LOCK where not allowed, ...): an exit */
};

enum bt_action bt_classify(const struct x86_insn *in);
