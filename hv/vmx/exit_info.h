/*
 * exit_info.h: what a VM exit tells about itself, decoded into named fields
 * (pure: no VMCS access; host-unit-tested, tests/unit/test_exit_info.c).
 *
 * The exit qualification's layout depends on the exit reason (SDM vol. 3,
 * 28.2.1 "Basic VM-Exit Information", tables 28-1 to 28-7; here 28-1 #DB,
 * 28-2 task switch, 28-3 CR access, 28-5 I/O, 28-7 EPT violation); the events share
 * one interruption-information format: the VM-exit interruption information
 * (25.9.2, table 25-19; 28.2.2), the IDT-vectoring information (25.9.3,
 * table 25-20; 28.2.4) and the VM-entry interruption information that
 * injects an event (25.8.3, table 25-17). Every handler, depriv's emulation
 * (which encodes the qualification an exit would have had, to reuse a
 * handler) and gdb's `monitor qual` read them here: one decoding of each
 * table, each the other's inverse. The printing, for the debugger and the
 * reports, is exit_info.c.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmx/vmx.h" /* INFO_VALID, INFO_ERROR_CODE, the event types EVENT_* */

/* ---- I/O instruction (table 28-5) ---- */

struct io_qual {
    unsigned size;      /* bits 2:0, size minus one: 1, 2 or 4 bytes */
    bool in;            /* bit 3: IN/INS (else OUT/OUTS) */
    bool string;        /* bit 4: INS/OUTS */
    bool rep;           /* bit 5: with a REP prefix */
    bool immediate;     /* bit 6: the port is an immediate (else in DX) */
    uint16_t port;      /* bits 31:16 */
};

static inline struct io_qual io_qual_decode(uint64_t q)
{
    return (struct io_qual){ .size = (unsigned)(q & 7) + 1, .in = q >> 3 & 1, .string = q >> 4 & 1,
                             .rep = q >> 5 & 1, .immediate = q >> 6 & 1, .port = (uint16_t)(q >> 16) };
}

static inline uint64_t io_qual_encode(struct io_qual io)
{
    return (uint64_t)((io.size - 1) & 7) | (uint64_t)io.in << 3 | (uint64_t)io.string << 4 |
           (uint64_t)io.rep << 5 | (uint64_t)io.immediate << 6 | (uint64_t)io.port << 16;
}

/* ---- Task switch (table 28-2) ---- */

enum { TASK_SWITCH_CALL = 0, TASK_SWITCH_IRET = 1, TASK_SWITCH_JMP = 2, TASK_SWITCH_GATE = 3 };

struct task_switch_qual {
    uint16_t selector;  /* bits 15:0: the new task's TSS selector */
    unsigned source;    /* bits 31:30: CALL, IRET, JMP, or a task gate in the IDT */
};

static inline struct task_switch_qual task_switch_qual_decode(uint64_t q)
{
    return (struct task_switch_qual){ .selector = (uint16_t)q, .source = q >> 30 & 3 };
}

/* ---- Control-register access (table 28-3) ---- */

enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };   /* access type */

struct cr_qual {
    unsigned cr;            /* bits 3:0: the control register (0 for CLTS and LMSW) */
    unsigned type;          /* bits 5:4: CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW */
    bool lmsw_memory;       /* bit 6: LMSW's operand is in memory (else a register) */
    unsigned gpr;           /* bits 11:8, MOV CR only: 0 rax, 1 rcx, ... 4 rsp, ... 15 r15 */
    uint16_t lmsw_source;   /* bits 31:16, LMSW only: its source data */
};

static inline struct cr_qual cr_qual_decode(uint64_t q)
{
    return (struct cr_qual){ .cr = q & 0xF, .type = q >> 4 & 3, .lmsw_memory = q >> 6 & 1,
                             .gpr = q >> 8 & 0xF, .lmsw_source = (uint16_t)(q >> 16) };
}

static inline uint64_t cr_qual_encode(struct cr_qual a)
{
    return (uint64_t)(a.cr & 0xF) | (uint64_t)(a.type & 3) << 4 | (uint64_t)a.lmsw_memory << 6 |
           (uint64_t)(a.gpr & 0xF) << 8 | (uint64_t)a.lmsw_source << 16;
}

/* ---- EPT violation (table 28-7) ---- */

struct ept_qual {
    bool read, write, fetch;    /* bits 0-2: the access (a read-modify-write sets read and write) */
    bool readable, writable, executable;   /* bits 3-5: what the EPT entries allowed (ANDed
                                            * over the walk); 5 is supervisor-mode execute with
                                            * mode-based execute control */
    bool user_executable;       /* bit 6: user-mode execute, with mode-based execute control */
    bool linear_valid;          /* bit 7: the guest linear-address field is valid */
    bool translation;           /* bit 8, when bit 7 is set: the access was to the linear
                                 * address's translation (else to a guest paging-structure
                                 * entry, during the guest's own page walk) */
    bool nmi_unblocking;        /* bit 12: NMI unblocking due to IRET */
};

static inline struct ept_qual ept_qual_decode(uint64_t q)
{
    return (struct ept_qual){ .read = q & 1, .write = q >> 1 & 1, .fetch = q >> 2 & 1,
                              .readable = q >> 3 & 1, .writable = q >> 4 & 1, .executable = q >> 5 & 1,
                              .user_executable = q >> 6 & 1, .linear_valid = q >> 7 & 1,
                              .translation = q >> 8 & 1, .nmi_unblocking = q >> 12 & 1 };
}

/* ---- Debug exception (table 28-1) ---- */

struct debug_qual {
    unsigned b0_3;      /* bits 3:0: the breakpoint conditions met (DR6.B0-B3) */
    bool bd;            /* bit 13: a debug-register access under DR7.GD */
    bool bs;            /* bit 14: a single step (RFLAGS.TF) */
};

static inline struct debug_qual debug_qual_decode(uint64_t q)
{
    return (struct debug_qual){ .b0_3 = q & 0xF, .bd = q >> 13 & 1, .bs = q >> 14 & 1 };
}

/* ---- Interruption information: VM exit, IDT vectoring, VM entry ---- */

struct event_info {
    unsigned vector;        /* bits 7:0 */
    unsigned type;          /* bits 10:8: EVENT_EXTERNAL_INTERRUPT ... EVENT_OTHER (vmx.h) */
    bool has_error_code;    /* bit 11: an error code goes with it (its own VMCS field) */
    bool nmi_unblocking;    /* bit 12, VM-exit field only: NMI unblocking due to IRET
                             * (undefined in the IDT-vectoring field, reserved at VM entry) */
    bool valid;             /* bit 31 */
};

static inline struct event_info event_info_decode(uint32_t info)
{
    return (struct event_info){ .vector = info & 0xFF, .type = info >> 8 & 7,
                                .has_error_code = info >> 11 & 1, .nmi_unblocking = info >> 12 & 1,
                                .valid = info >> 31 & 1 };
}

static inline uint32_t event_info_encode(struct event_info e)
{
    return (e.vector & 0xFF) | (e.type & 7) << 8 | (uint32_t)e.has_error_code << 11 |
           (uint32_t)e.nmi_unblocking << 12 | (uint32_t)e.valid << 31;
}

/* ---- In words (exit_info.c): for gdb's `monitor qual` and the reports ---- */

/* The name of general-purpose register n (0-15) in the instruction
 * encoding's numbering, as a 32-bit guest knows them: "eax" ... "edi",
 * "r8" ... "r15". */
const char *gpr_name(unsigned n);

/* "CALL", "IRET", "JMP", "a task gate in the IDT": bits 31:30 of a task
 * switch's qualification. */
const char *task_switch_source_name(unsigned source);

/* "external interrupt", "NMI", "hardware exception", ...: type bits 10:8. */
const char *event_type_name(unsigned type);

/* What the EPT-violating access did, as a verb: "fetched from", "wrote to"
 * or "read from". */
const char *ept_access_verb(struct ept_qual e);

/* One line each, without a newline, into buf (snprintf's contract: the
 * length the whole text needs). */
int io_qual_describe(char *buf, size_t size, struct io_qual io);
int cr_qual_describe(char *buf, size_t size, struct cr_qual a);
int ept_qual_describe(char *buf, size_t size, struct ept_qual e);
int debug_qual_describe(char *buf, size_t size, struct debug_qual d);
/* The event, with its error code when it has one (the caller reads the
 * error-code field that goes with the information field). */
int event_info_describe(char *buf, size_t size, struct event_info e, uint32_t error_code);
