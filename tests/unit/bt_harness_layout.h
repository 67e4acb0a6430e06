/*
 * bt_harness_layout.h: the memory the host harness of binary translation
 * runs 32-bit code in (tests/unit/bt_runner.c, bt_harness.c), and what the
 * two sides say to each other. One region at a fixed address below 4 GiB,
 * in the 32-bit runner process:
 *   GATE    the harness's exit: a JMP to the runner's return path; the
 *           native runs end there, and every exit stub jumps there;
 *   CODE    guest code, three pages (not executable in translated runs:
 *           a jump into the original instead of its translation faults);
 *   TC      the translation cache (the lookup routine first);
 *   DATA    guest data;  STACK  the guest's stack;  VCPU  the vCPU page and
 *           its tables after it (GS).
 */
#pragma once

#define BT_H_BASE   0x40000000u
#define BT_H_SIZE   0x28000u
#define BT_H_GATE   (BT_H_BASE + 0x0000u)
#define BT_H_CODE   (BT_H_BASE + 0x1000u)
#define BT_H_CODE_END (BT_H_BASE + 0x4000u)
#define BT_H_TC     (BT_H_BASE + 0x4000u)
#define BT_H_TC_END (BT_H_BASE + 0xA000u)
#define BT_H_DATA   (BT_H_BASE + 0xA000u)
#define BT_H_STACK  (BT_H_BASE + 0xB000u)
#define BT_H_STACK_TOP (BT_H_BASE + 0xD000u)
#define BT_H_VCPU   (BT_H_BASE + 0xE000u)
#define BT_H_VCPU_SIZE 0x19000u     /* the page and its tables after it (BT_VCPU_SEGMENT_SIZE) */

#ifndef __ASSEMBLER__
#include <stdint.h>

#define BT_H_MAGIC  0x42547231u      /* "BTr1" */

/* Sent before the region's bytes, and sent back after the run before them. */
struct bt_h_state {
    uint32_t magic;
    uint32_t entry;                  /* where to start; back: 0 */
    uint32_t reg[8];                 /* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
    uint32_t eflags;
    uint32_t code_exec;              /* 0: the CODE pages not executable */
};
#endif
