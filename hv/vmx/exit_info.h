/*
 * exit_info.h: what a VM exit tells about itself, decoded into named fields
 * (pure: no VMCS access; host-unit-tested, tests/unit/test_exit_info.c).
 *
 * The exit qualification's layout depends on the exit reason (SDM vol. 3,
 * 28.2.1 "Basic VM-Exit Information", tables 28-1 to 28-7: 28-1 #DB,
 * 28-2 task switch, 28-3 CR access, 28-4 MOV DR, 28-5 I/O, 28-6 APIC access,
 * 28-7 EPT violation); an instruction's memory or register operand is in
 * the VM-exit instruction-information field (28.2.5, tables 28-8 to 28-14),
 * its displacement in the qualification; the events share
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
#include "vmx/exit_reasons.h"
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

/* ---- MOV DR (table 28-4) ---- */

struct dr_qual {
    unsigned dr;        /* bits 2:0: the debug register */
    bool from;          /* bit 4: MOV from DR (else MOV to DR) */
    unsigned gpr;       /* bits 11:8: the general-purpose register, numbered as gpr_name's */
};

static inline struct dr_qual dr_qual_decode(uint64_t q)
{
    return (struct dr_qual){ .dr = q & 7, .from = q >> 4 & 1, .gpr = q >> 8 & 0xF };
}

static inline uint64_t dr_qual_encode(struct dr_qual d)
{
    return (uint64_t)(d.dr & 7) | (uint64_t)d.from << 4 | (uint64_t)(d.gpr & 0xF) << 8;
}

/* ---- APIC access (table 28-6) ---- */

enum {   /* bits 15:12: how the guest reached the APIC-access page */
    APIC_LINEAR_READ = 0, APIC_LINEAR_WRITE = 1, APIC_LINEAR_FETCH = 2, APIC_LINEAR_EVENT = 3,
    APIC_PHYSICAL_EVENT = 10, APIC_PHYSICAL_INSTRUCTION = 15,
};

struct apic_qual {
    unsigned offset;    /* bits 11:0, for a linear access: the offset within the APIC page */
    unsigned type;      /* bits 15:12: APIC_LINEAR_READ ... APIC_PHYSICAL_INSTRUCTION */
    bool asynchronous;  /* bit 16: an access not part of instruction execution or event
                         * delivery (e.g. the processor's own, to set A/D bits) */
};

static inline struct apic_qual apic_qual_decode(uint64_t q)
{
    return (struct apic_qual){ .offset = q & 0xFFF, .type = q >> 12 & 0xF, .asynchronous = q >> 16 & 1 };
}

/* ---- VM-exit instruction information (28.2.5, tables 28-8 to 28-14) ----
 * The operand of LGDT/SGDT and their kin, LLDT/LTR, INVEPT, the VMX
 * instructions, RDRAND and (address size and segment only, table 28-8)
 * INS/OUTS: a register (reg1), or memory at segment:[base + index * scale +
 * displacement], the displacement in the exit qualification. Which fields
 * an instruction defines is its table's: the others hold garbage. */

enum { ADDR_16 = 0, ADDR_32 = 1, ADDR_64 = 2 };          /* bits 9:7 */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };  /* bits 17:15 */

struct instr_info {
    unsigned scale;         /* bits 1:0: index scaled by 1 << scale */
    unsigned reg1;          /* bits 6:3: the register operand (bit 10 set) */
    unsigned address_size;  /* bits 9:7: ADDR_16, ADDR_32, ADDR_64 */
    bool is_register;       /* bit 10: the operand is reg1 (else memory) */
    unsigned segment;       /* bits 17:15: SEG_ES ... SEG_GS */
    unsigned index;         /* bits 21:18 */
    bool index_valid;       /* bit 22 clear */
    unsigned base;          /* bits 26:23 */
    bool base_valid;        /* bit 27 clear */
    unsigned reg2;          /* bits 31:28: a second register (VMREAD's field, INVEPT's type);
                             * for LGDT ... and LLDT ... bits 29:28 name the instruction */
};

static inline struct instr_info instr_info_decode(uint32_t i)
{
    return (struct instr_info){ .scale = i & 3, .reg1 = i >> 3 & 0xF, .address_size = i >> 7 & 7,
                                .is_register = i >> 10 & 1, .segment = i >> 15 & 7,
                                .index = i >> 18 & 0xF, .index_valid = !(i >> 22 & 1),
                                .base = i >> 23 & 0xF, .base_valid = !(i >> 27 & 1), .reg2 = i >> 28 };
}

/* The memory operand's offset in its segment: base + index * scale +
 * displacement (the qualification, which the CPU sign-extended to 64
 * bits), cut to the address size as the CPU's own address arithmetic
 * wraps. gpr holds the guest's 16 registers, numbered as gpr_name's. */
static inline uint64_t instr_info_offset(struct instr_info ii, uint64_t displacement, const uint64_t gpr[16])
{
    uint64_t offset = displacement;
    if (ii.base_valid)
        offset += gpr[ii.base & 15];
    if (ii.index_valid)
        offset += gpr[ii.index & 15] << (ii.scale & 3);
    return ii.address_size == ADDR_16 ? offset & 0xFFFF
         : ii.address_size == ADDR_32 ? offset & 0xFFFFFFFFu : offset;
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

/* An exit that no instruction of the guest's caused: an external interrupt,
 * an NMI, their windows, the preemption timer (basic reasons, appendix C);
 * info: the VM-exit interruption information (an NMI comes as an
 * exception-or-NMI exit, 28.2.2). */
static inline bool exit_asynchronous(unsigned reason, uint32_t info)
{
    switch (reason) {
    case EXIT_EXTERNAL_INTERRUPT: case EXIT_INTERRUPT_WINDOW: case EXIT_NMI_WINDOW:
    case EXIT_PREEMPTION_TIMER:
        return true;
    case EXIT_EXCEPTION_NMI:
        return event_info_decode(info).type == EVENT_NMI;
    }
    return false;
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

/* "es", "cs", "ss", "ds", "fs", "gs": bits 17:15 of the instruction
 * information ("seg6", "seg7" for the reserved values). */
const char *segment_name(unsigned segment);

/* "a data read", "a data write", ...: an APIC access's type, bits 15:12. */
const char *apic_access_type_name(unsigned type);

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
int dr_qual_describe(char *buf, size_t size, struct dr_qual d);
int apic_qual_describe(char *buf, size_t size, struct apic_qual a);
/* "ds:[ebx + esi*4 + 0x10] (32-bit address)" or "register eax": the operand
 * an instruction-information field names, its displacement given. */
int instr_info_describe(char *buf, size_t size, struct instr_info ii, uint64_t displacement);
/* The event, with its error code when it has one (the caller reads the
 * error-code field that goes with the information field). */
int event_info_describe(char *buf, size_t size, struct event_info e, uint32_t error_code);
