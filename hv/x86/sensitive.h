/*
 * sensitive.h: the instructions a deprivileged guest kernel runs wrongly
 * without any trap, and a scan of its code for them (a pure module: any
 * mode, and the host unit tests in tests/unit/test_sensitive.c).
 *
 * Popek and Goldberg: a CPU can be virtualised by trap-and-emulate if every
 * sensitive instruction (one that reads or changes the machine's
 * configuration, or behaves differently by privilege level) is privileged
 * (traps outside ring 0). IA-32 breaks that rule with a handful of
 * instructions (Robin and Irvine, USENIX Security 2000; the lecture's
 * "protection system references" and "sensitive register instructions").
 * A guest kernel moved to ring 1 runs them without a fault, and they give
 * away or silently lose what the hypervisor changed:
 *   PUSHF, POPF         the real IF and IOPL; POPF at CPL > IOPL leaves IF
 *                       unchanged without a fault (SDM vol. 2B, POPF);
 *   segment reads       MOV from a segment register, PUSH CS/SS/DS/ES/FS/GS:
 *                       the selector's RPL shows ring 1, not 0;
 *   descriptor tables   SGDT, SIDT, SLDT, STR: the hypervisor's tables, not
 *                       the guest's;
 *   segment probes      LAR, LSL, VERR, VERW: the compressed DPLs and limits;
 *   IRET                back to user mode it leaves IF unchanged at CPL >
 *                       IOPL, as POPF does (SDM vol. 2A, IRET), and runs
 *                       without a fault: the hypervisor does not see the IF
 *                       the kernel returns with.
 * The rest of IA-32's list traps at ring 1 or is virtualised by VT-x itself
 * (SMSW reads the CR0 read shadow, SDM vol. 3, 26.3), so it needs no patch.
 * Lab 3 scans the guest kernel for these and patches each into a trapping
 * instruction that the hypervisor emulates.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "x86/x86_decode.h"

enum sensitive_kind {
    SENSITIVE_NONE = 0,
    SENSITIVE_PUSHF,
    SENSITIVE_POPF,
    SENSITIVE_SEGMENT_READ,
    SENSITIVE_DESCRIPTOR_TABLE_READ,
    SENSITIVE_SEGMENT_PROBE,
    SENSITIVE_IRET,
    SENSITIVE_KINDS
};

/* Which kind this decoded instruction is (SENSITIVE_NONE: no kind). */
enum sensitive_kind sensitive_kind(const struct x86_insn *in);

/* "PUSHF", "POPF", "segment-register read", ... */
const char *sensitive_kind_name(enum sensitive_kind kind);

/* What a scan found, and how much it read. */
struct sensitive_scan {
    unsigned count[SENSITIVE_KINDS];   /* per kind; [SENSITIVE_NONE]: the rest */
    unsigned undecodable;              /* bytes skipped: no instruction starts there */
};

/* Called for each sensitive instruction found: its address and parts. */
typedef void (*sensitive_found_fn)(void *ctx, uint32_t address, enum sensitive_kind kind,
                                   const struct x86_insn *in);

/* Decode code[0..len), 32-bit code at address `address`, one instruction
 * after another (a linear sweep: right for compiled code, which keeps data
 * out of its code sections), and add every instruction to the counts of
 * *scan (so one scan can sum several sections); call found (if not NULL)
 * for each sensitive one. A byte where no instruction decodes is skipped. */
void sensitive_scan_code(const uint8_t *code, size_t len, uint32_t address,
                         struct sensitive_scan *scan, sensitive_found_fn found, void *ctx);

/* How many instructions *scan counted, of every kind. */
unsigned sensitive_scan_instructions(const struct sensitive_scan *scan);
