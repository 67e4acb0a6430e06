/*
 * x86_decode.h: decoding one x86 instruction of 16-bit, 32-bit or 64-bit
 * code: its length and its parts (a pure module: any mode, and the host
 * unit tests in tests/unit/test_x86_decode.c).
 *
 * An instruction is, in this order (SDM vol. 2A, 2.1 "Instruction Format"):
 * up to four groups of legacy prefixes, an opcode of one to three bytes (or
 * a VEX, EVEX or XOP prefix that names the opcode map), a ModR/M byte, a SIB
 * byte, a displacement and an immediate, 15 bytes at most. Which of the last
 * four an opcode has is a property of the opcode (SDM vol. 2D, Appendix A
 * "Opcode Map"), and their sizes depend on the operand-size (0x66) and
 * address-size (0x67) prefixes.
 *
 * 64-bit code (IA-32e mode with CS.L = 1) adds the REX prefix (SDM vol. 2A,
 * 2.2.1): 0x40-0x4F, which are INC and DEC elsewhere, name a prefix there,
 * with W (64-bit operand size) and R, X, B (the fourth bit of ModR/M's reg,
 * SIB's index and ModR/M's rm or SIB's base). The address size is 64 bits
 * (0x67: 32), ModR/M's disp32-only form becomes RIP-relative, and some
 * opcodes are gone (2.2.1.6, table A-2's i64 entries).
 *
 * A hypervisor that emulates instructions, or scans a guest's code for the
 * ones it must patch (lab 3), needs exactly this: where an instruction ends,
 * so that a byte 0x9D inside an immediate is not taken for POPF, and which
 * register or memory operand it names.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_LENGTH 15        /* longer raises #GP (SDM vol. 2A, 2.3.11) */

/* The code the bytes are: CS.D (vol. 3, 3.4.5) in legacy and compatibility
 * mode, CS.L in IA-32e mode (5.2.1). The 16- and 32-bit values are the
 * segment's default operand and address size in bytes. */
enum x86_mode {
    X86_MODE_16 = 2,
    X86_MODE_32 = 4,
    X86_MODE_64 = 8,
};

/* Opcode maps (SDM vol. 2D, A.2-A.3). */
enum x86_map {
    X86_MAP_ONE_BYTE = 0,        /* xx */
    X86_MAP_0F = 1,              /* 0F xx, and VEX/EVEX map 1 */
    X86_MAP_0F38 = 2,            /* 0F 38 xx, and VEX/EVEX map 2 */
    X86_MAP_0F3A = 3,            /* 0F 3A xx, and VEX/EVEX map 3 */
};

enum x86_decode_status {
    X86_DECODE_OK = 0,
    X86_DECODE_TRUNCATED,        /* the bytes ended before the instruction did */
    X86_DECODE_TOO_LONG,         /* more than 15 bytes */
    X86_DECODE_UNDEFINED,        /* an opcode with no instruction (it raises #UD) */
};

struct x86_insn {
    uint8_t length;              /* all of it, prefixes included */

    /* Legacy prefixes (SDM vol. 2A, 2.1.1). */
    uint8_t segment;             /* segment override prefix byte, or 0 */
    uint8_t rep;                 /* 0xF2 or 0xF3 (the last of them), or 0 */
    bool lock;
    bool operand_size_prefix;    /* 0x66 */
    bool address_size_prefix;    /* 0x67 */
    uint8_t operand_size;        /* 2, 4 or 8 bytes, after the prefixes */
    uint8_t address_size;        /* 2, 4 or 8 bytes, after the prefixes */
    uint8_t rex;                 /* 64-bit code: the REX prefix that counts
                                    (0x40-0x4F, right before the opcode), or 0 */

    /* The opcode. */
    uint8_t vex;                 /* 0, or the prefix byte: 0xC4/0xC5 (VEX),
                                    0x62 (EVEX), 0x8F (XOP) */
    uint8_t map;                 /* enum x86_map; XOP maps are 8 to 10 */
    uint8_t opcode;              /* the byte within its map */

    /* ModR/M and SIB (SDM vol. 2A, 2.1.5). */
    bool has_modrm;
    uint8_t mod, reg, rm;
    bool has_sib;
    uint8_t scale, index, base;  /* scale as the 2-bit field */
    bool rip_relative;           /* 64-bit code: mod 0, rm 5, no SIB (2.2.1.6) */

    int32_t displacement;        /* sign-extended */
    uint8_t displacement_size;   /* 0, 1, 2 or 4 */
    uint64_t immediate;          /* the first (or only) immediate, or moffs,
                                    zero-extended */
    uint8_t immediate_size;      /* bytes, all immediates together (ENTER: 3) */
};

/* Decode the instruction at code[0..avail) as code of the given mode. On
 * X86_DECODE_OK, *insn describes it; otherwise insn->length is how far the
 * decoder got. */
enum x86_decode_status x86_decode(const uint8_t *code, size_t avail, enum x86_mode mode,
                                  struct x86_insn *insn);

/* The registers ModR/M and SIB name, 0-15 with REX's fourth bit (SDM vol.
 * 2A, 2.2.1.2, table 2-4 and figures 2-4 to 2-7); the fields above are the 3-bit ones, as
 * the encoding's special cases (rm 4: SIB, index 4: none, base 5 with mod
 * 0: none) read them. REX.R does not extend a reg field that is an opcode
 * extension (/0-/7): the caller knows which it is. */
static inline unsigned x86_reg(const struct x86_insn *in) { return in->reg | (in->rex & 4u) << 1; }
static inline unsigned x86_rm(const struct x86_insn *in) { return in->rm | (in->rex & 1u) << 3; }
static inline unsigned x86_base(const struct x86_insn *in) { return in->base | (in->rex & 1u) << 3; }
static inline unsigned x86_index(const struct x86_insn *in) { return in->index | (in->rex & 2u) << 2; }

/* A byte operand's register n (0-7 without REX): AH, CH, DH, BH (bits 15:8
 * of registers 0-3) for 4-7 unless the instruction has a REX prefix, which
 * makes them SPL, BPL, SIL, DIL (vol. 2A, 2.2.1.2, table 3-1 note). */
static inline bool x86_high_byte(const struct x86_insn *in, unsigned n) { return !in->rex && n >= 4 && n < 8; }

/* "ok", "truncated", "longer than 15 bytes", "undefined opcode". */
const char *x86_decode_status_name(enum x86_decode_status status);

/* Does the CPU answer this decoded instruction with #UD, although the
 * opcode maps give it a length? LOCK on an instruction that does not
 * read-modify-write memory (SDM vol. 2A, LOCK), a segment register 6 or 7
 * or MOV to CS (vol. 2B, MOV), a control register other than CR0 and
 * CR2-CR4 (and CR8 in 64-bit mode; MOV to/from CR), group 6 /6 and /7
 * (vol. 2D, table A-6). An emulator and a scanner must treat these as the
 * CPU does, never as the instruction their opcode otherwise names. */
bool x86_raises_ud(const struct x86_insn *insn);
