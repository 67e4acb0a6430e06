/*
 * test_x86_decode.c: hv/x86/x86_decode.c, the x86 instruction decoder, checked
 * two ways:
 *   - hand-picked instructions, each with its parts (ModR/M, SIB,
 *     displacement, immediate, prefixes) and the decoder's refusals;
 *   - against GNU objdump, instruction by instruction: every instruction of
 *     the 32-bit programs this kit builds (the guest kernel, its programs,
 *     badguest, whose fuzzer runs every privileged instruction), of its
 *     64-bit ones (the hypervisor, the long64 kernel), and of a megabyte of
 *     random bytes in each mode, must have the length objdump gives it.
 * The 64-bit cases' expected parts are objdump's reading of their bytes
 * (-m i386:x86-64 -M intel64: Intel's CPUs, which VT-x runs on), quoted
 * beside each.
 * The ELF files come from the build (unit.mk passes their names); objdump
 * is binutils', which the build needs anyway.
 */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "objdump_listing.h"
#include "x86/x86_decode.h"

static struct x86_insn decode_mode_ok(const char *hex, enum x86_mode mode, unsigned expect_length)
{
    uint8_t bytes[32];
    size_t n = unit_hex_bytes(hex, bytes, sizeof(bytes));
    struct x86_insn in;
    enum x86_decode_status st = x86_decode(bytes, n, mode, &in);
    if (st != X86_DECODE_OK || in.length != expect_length)
        fail_msg("%s: %s, length %u (expected ok, %u)", hex, x86_decode_status_name(st),
                 in.length, expect_length);
    return in;
}

static struct x86_insn decode_ok(const char *hex, unsigned expect_length)
{
    return decode_mode_ok(hex, X86_MODE_32, expect_length);
}

static struct x86_insn decode64_ok(const char *hex, unsigned expect_length)
{
    return decode_mode_ok(hex, X86_MODE_64, expect_length);
}

static enum x86_decode_status decode64_status(const char *hex)
{
    uint8_t bytes[32];
    size_t n = unit_hex_bytes(hex, bytes, sizeof(bytes));
    struct x86_insn in;
    return x86_decode(bytes, n, X86_MODE_64, &in);
}

static void test_popf_pushf_and_segment_reads(void **state)
{
    (void)state;
    struct x86_insn in = decode_ok("9d", 1);
    assert_int_equal(in.map, X86_MAP_ONE_BYTE);
    assert_int_equal(in.opcode, 0x9D);
    assert_false(in.has_modrm);
    in = decode_ok("9c", 1);
    assert_int_equal(in.opcode, 0x9C);
    in = decode_ok("8c d8", 2);                        /* mov %ds, %eax */
    assert_int_equal(in.opcode, 0x8C);
    assert_int_equal(in.mod, 3);
    assert_int_equal(in.reg, 3);                       /* DS */
    assert_int_equal(in.rm, 0);                        /* EAX */
    in = decode_ok("8c 0d 44 33 22 11", 6);            /* mov %cs, 0x11223344 */
    assert_int_equal(in.mod, 0);
    assert_int_equal(in.rm, 5);
    assert_int_equal(in.displacement, 0x11223344);
    assert_int_equal(in.displacement_size, 4);
}

static void test_modrm_sib_and_displacements(void **state)
{
    (void)state;
    struct x86_insn in = decode_ok("8b 84 24 00 01 00 00", 7);   /* mov 0x100(%esp), %eax */
    assert_true(in.has_sib);
    assert_int_equal(in.base, 4);
    assert_int_equal(in.index, 4);                     /* none */
    assert_int_equal(in.displacement, 0x100);
    in = decode_ok("8b 44 8e f8", 4);                  /* mov -8(%esi,%ecx,4), %eax */
    assert_int_equal(in.scale, 2);
    assert_int_equal(in.index, 1);
    assert_int_equal(in.base, 6);
    assert_int_equal(in.displacement, -8);
    in = decode_ok("8b 04 85 00 10 00 00", 7);         /* mov 0x1000(,%eax,4): SIB base 5, mod 0 */
    assert_int_equal(in.displacement_size, 4);
    in = decode_ok("67 8b 46 08", 4);                  /* 16-bit addressing: mov 8(%bp), %eax */
    assert_int_equal(in.address_size, 2);
    assert_int_equal(in.displacement, 8);
    in = decode_ok("67 8b 06 34 12", 5);               /* mov 0x1234, %eax (16-bit: rm 6, mod 0) */
    assert_int_equal(in.displacement, 0x1234);
    in = decode_ok("0f 22 d8", 3);                     /* mov %eax, %cr3 */
    assert_int_equal(in.reg, 3);
    in = decode_ok("0f 20 05", 3);                     /* MOV CR ignores mod: no displacement */
    assert_int_equal(in.displacement_size, 0);
}

static void test_immediates_and_prefixes(void **state)
{
    (void)state;
    struct x86_insn in = decode_ok("66 b8 34 12", 4);  /* mov $0x1234, %ax */
    assert_int_equal(in.operand_size, 2);
    assert_int_equal(in.immediate, 0x1234);
    assert_int_equal(in.immediate_size, 2);
    in = decode_ok("c7 05 00 10 00 00 78 56 34 12", 10);   /* movl $0x12345678, 0x1000 */
    assert_int_equal(in.immediate, 0x12345678);
    in = decode_ok("c8 10 00 01", 4);                  /* enter $16, $1 */
    assert_int_equal(in.immediate_size, 3);
    in = decode_ok("9a 78 56 34 12 cd ab", 7);         /* lcall $0xabcd, $0x12345678 */
    in = decode_ok("66 9a 34 12 cd ab", 6);            /* lcall $0xabcd, $0x1234 */
    in = decode_ok("a1 44 33 22 11", 5);               /* mov 0x11223344, %eax (moffs) */
    in = decode_ok("67 a1 44 33", 4);                  /* the same with a 16-bit offset */
    in = decode_ok("f6 c3 01", 3);                     /* test $1, %bl: group 3 /0 has one */
    in = decode_ok("f6 d3", 2);                        /* not %bl: /2 has none */
    in = decode_ok("f7 c1 00 00 01 00", 6);            /* test $0x10000, %ecx */
    in = decode_ok("f3 a4", 2);                        /* rep movsb */
    assert_int_equal(in.rep, 0xF3);
    in = decode_ok("2e 3e f0 ff 00", 5);               /* prefixes: the last segment counts */
    assert_int_equal(in.segment, 0x3E);
    assert_true(in.lock);
    in = decode_ok("66 e8 00 10", 4);                  /* call with a 16-bit displacement */
    in = decode_ok("0f 84 00 10 00 00", 6);            /* je rel32 */
}

static void test_two_and_three_byte_maps_and_vex(void **state)
{
    (void)state;
    struct x86_insn in = decode_ok("0f 01 15 44 33 22 11", 7);   /* lgdt 0x11223344 */
    assert_int_equal(in.map, X86_MAP_0F);
    assert_int_equal(in.opcode, 0x01);
    assert_int_equal(in.reg, 2);
    in = decode_ok("0f 01 c1", 3);                     /* vmcall */
    in = decode_ok("0f a2", 2);                        /* cpuid */
    in = decode_ok("66 0f 3a 0f c1 08", 6);            /* palignr $8, %xmm1, %xmm0 */
    assert_int_equal(in.map, X86_MAP_0F3A);
    assert_int_equal(in.immediate, 8);
    in = decode_ok("66 0f 38 00 c1", 5);               /* pshufb %xmm1, %xmm0 */
    assert_int_equal(in.map, X86_MAP_0F38);
    in = decode_ok("c5 f8 77", 3);                     /* vzeroupper */
    assert_int_equal(in.vex, 0xC5);
    in = decode_ok("c4 e3 79 0f c1 08", 6);            /* vpalignr $8, %xmm1, %xmm0, %xmm0 */
    assert_int_equal(in.map, X86_MAP_0F3A);
    in = decode_ok("c4 00", 2);                        /* les (%eax), %eax: not VEX in 32-bit mode */
    assert_int_equal(in.vex, 0);
    in = decode_ok("0f 0f c1 b4", 4);                  /* 3DNow!: pfadd, its opcode last */
}

static void test_refusals(void **state)
{
    (void)state;
    struct x86_insn in;
    uint8_t mov[] = { 0x8B, 0x84, 0x24 };             /* its displacement missing */
    assert_int_equal(x86_decode(mov, sizeof(mov), X86_MODE_32, &in), X86_DECODE_TRUNCATED);
    uint8_t prefixes[16];
    memset(prefixes, 0x66, sizeof(prefixes));
    assert_int_equal(x86_decode(prefixes, sizeof(prefixes), X86_MODE_32, &in), X86_DECODE_TOO_LONG);
    uint8_t undefined[] = { 0x0F, 0x04 };
    assert_int_equal(x86_decode(undefined, sizeof(undefined), X86_MODE_32, &in), X86_DECODE_UNDEFINED);
    uint8_t nothing[1];
    assert_int_equal(x86_decode(nothing, 0, X86_MODE_32, &in), X86_DECODE_TRUNCATED);
}

/* Encodings with a length but no instruction: the CPU raises #UD. */
static void test_encodings_that_raise_ud(void **state)
{
    (void)state;
    struct x86_insn in;
    in = decode_ok("0f 22 e8", 3);                    /* mov %eax, %cr5 */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("0f 20 c8", 3);                    /* mov %cr1, %eax */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("0f 22 e0", 3);                    /* mov %eax, %cr4 */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("8c f8", 2);                       /* mov from segment register 7 */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("8e c8", 2);                       /* mov %eax, %cs */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("8c d8", 2);                       /* mov %ds, %eax */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("0f 00 f0", 3);                    /* group 6 /6 */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("f0 fa", 2);                       /* lock cli */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("f0 9c", 2);                       /* lock pushf */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("f0 01 c0", 3);                    /* lock add %eax, %eax: a register */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("f0 39 03", 3);                    /* lock cmp: not read-modify-write */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("f0 01 03", 3);                    /* lock add %eax, (%ebx) */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("f0 0f b1 0b", 4);                 /* lock cmpxchg %ecx, (%ebx) */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("f0 0f c7 0b", 4);                 /* lock cmpxchg8b (%ebx) */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("f0 ff 03", 3);                    /* lock incl (%ebx) */
    assert_false(x86_raises_ud(&in));
    in = decode_ok("f0 ff 13", 3);                    /* lock call *(%ebx) */
    assert_true(x86_raises_ud(&in));
    in = decode_ok("c5 f8 01 15 00 00 30 00", 8);     /* VEX: not LGDT; its own #UD is the CPU's */
    assert_int_equal(in.vex, 0xC5);
}

static void test_sixteen_bit_code(void **state)
{
    (void)state;
    struct x86_insn in;
    uint8_t mov[] = { 0xB8, 0x34, 0x12 };             /* mov $0x1234, %ax */
    assert_int_equal(x86_decode(mov, sizeof(mov), X86_MODE_16, &in), X86_DECODE_OK);
    assert_int_equal(in.length, 3);
    uint8_t mov32[] = { 0x66, 0xB8, 0x78, 0x56, 0x34, 0x12 };   /* with 0x66: 32-bit */
    assert_int_equal(x86_decode(mov32, sizeof(mov32), X86_MODE_16, &in), X86_DECODE_OK);
    assert_int_equal(in.length, 6);
}

/* ---- 64-bit code (SDM vol. 2A, 2.2.1) ---- */

static void test_64_bit_rip_relative_and_absolute(void **state)
{
    (void)state;
    struct x86_insn in = decode64_ok("8b 05 10 00 00 00", 6);    /* mov 0x10(%rip),%eax */
    assert_true(in.rip_relative);
    assert_int_equal(in.displacement, 0x10);
    assert_int_equal(in.address_size, 8);
    assert_int_equal(in.operand_size, 4);
    in = decode64_ok("48 8b 05 f9 ff ff ff", 7);                  /* mov -0x7(%rip),%rax */
    assert_true(in.rip_relative);
    assert_int_equal(in.displacement, -7);
    assert_int_equal(in.operand_size, 8);
    in = decode64_ok("67 8b 05 10 00 00 00", 7);                  /* mov 0x10(%eip),%eax */
    assert_true(in.rip_relative);
    assert_int_equal(in.address_size, 4);
    in = decode64_ok("48 8b 04 25 30 00 e0 fe", 8);               /* mov 0xfffffffffee00030,%rax */
    assert_false(in.rip_relative);                                /* SIB base 5: disp32 alone */
    assert_true(in.has_sib);
    assert_int_equal(in.displacement, (int32_t)0xFEE00030);
    in = decode_ok("8b 05 10 00 00 00", 6);                       /* 32-bit: mov 0x10,%eax */
    assert_false(in.rip_relative);
}

static void test_64_bit_rex_registers(void **state)
{
    (void)state;
    struct x86_insn in = decode64_ok("44 89 88 80 00 00 00", 7);  /* mov %r9d,0x80(%rax) */
    assert_int_equal(in.rex, 0x44);
    assert_int_equal(x86_reg(&in), 9);
    assert_int_equal(x86_rm(&in), 0);
    assert_int_equal(in.operand_size, 4);
    in = decode64_ok("4f 8b 04 e5 00 00 00 00", 8);               /* mov 0x0(,%r12,8),%r8 */
    assert_int_equal(x86_reg(&in), 8);
    assert_int_equal(in.index, 4);                                /* with REX.X: R12, not "none" */
    assert_int_equal(x86_index(&in), 12);
    assert_int_equal(in.base, 5);                                 /* mod 0: no base, disp32 */
    assert_int_equal(in.displacement_size, 4);
    in = decode64_ok("4c 8b 0c 8d 00 10 00 00", 8);               /* mov 0x1000(,%rcx,4),%r9 */
    assert_int_equal(x86_reg(&in), 9);
    assert_int_equal(x86_index(&in), 1);
    in = decode64_ok("41 8b 04 24", 4);                           /* mov (%r12),%eax: rm 4 is SIB */
    assert_true(in.has_sib);
    assert_int_equal(x86_base(&in), 12);
    in = decode64_ok("49 89 0c 24", 4);                           /* mov %rcx,(%r12) */
    assert_int_equal(x86_base(&in), 12);
    assert_int_equal(in.operand_size, 8);
    in = decode64_ok("41 8b 45 00", 4);                           /* mov 0x0(%r13),%eax */
    assert_false(in.rip_relative);                                /* mod 1: disp8 */
    assert_int_equal(x86_rm(&in), 13);
    in = decode64_ok("41 c7 c1 01 00 00 00", 7);                  /* mov $0x1,%r9d */
    assert_int_equal(x86_rm(&in), 9);
    in = decode64_ok("40 8a 30", 3);                              /* mov (%rax),%sil */
    assert_int_equal(x86_reg(&in), 6);
    assert_false(x86_high_byte(&in, x86_reg(&in)));
    in = decode64_ok("8a 30", 2);                                 /* mov (%rax),%dh */
    assert_true(x86_high_byte(&in, x86_reg(&in)));
    in = decode64_ok("44 0f 20 c0", 4);                           /* mov %cr8,%rax */
    assert_false(x86_raises_ud(&in));
    in = decode64_ok("44 0f 20 c8", 4);                           /* CR9: none */
    assert_true(x86_raises_ud(&in));
}

/* Where REX stands, and the sizes it and the other prefixes give. */
static void test_64_bit_prefixes_and_sizes(void **state)
{
    (void)state;
    /* A REX a legacy prefix follows is ignored (2.2.1): objdump shows it
     * as "rex.B" alone, then "ds mov (%rax),%ecx" */
    struct x86_insn in = decode64_ok("41 3e 8b 08", 4);
    assert_int_equal(in.rex, 0);
    assert_int_equal(x86_reg(&in), 1);
    assert_int_equal(x86_rm(&in), 0);
    in = decode64_ok("48 66 8b 08", 4);                           /* "rex.W", "mov (%rax),%cx" */
    assert_int_equal(in.operand_size, 2);
    in = decode64_ok("66 48 8b 08", 4);                           /* data16 mov (%rax),%rcx: W wins */
    assert_int_equal(in.operand_size, 8);
    in = decode64_ok("48 b8 88 77 66 55 44 33 22 11", 10);        /* movabs $0x1122334455667788,%rax */
    assert_int_equal(in.immediate, 0x1122334455667788ull);
    assert_int_equal(in.immediate_size, 8);
    in = decode64_ok("49 c7 01 ff ff ff ff", 7);                  /* movq $-1,(%r9): imm32 */
    assert_int_equal(in.immediate_size, 4);
    in = decode64_ok("48 a1 11 22 33 44 55 66 77 88", 10);        /* movabs 0x8877665544332211,%rax */
    assert_int_equal(in.immediate, 0x8877665544332211ull);
    in = decode64_ok("a1 11 22 33 44 55 66 77 88", 9);            /* moffs is 64 bits without REX.W */
    in = decode64_ok("67 a1 11 22 33 44", 6);                     /* addr32 mov 0x44332211,%eax */
    assert_int_equal(in.address_size, 4);
    in = decode64_ok("66 e8 00 00 00 00", 6);                     /* data16 call: rel32 on Intel */
    in = decode64_ok("66 0f 84 00 10 00 00", 7);                  /* data16 je */
    in = decode64_ok("68 44 33 22 11", 5);                        /* push $0x11223344 */
    in = decode64_ok("66 68 22 11", 4);                           /* pushw $0x1122 */
    in = decode64_ok("f3 48 a5", 3);                              /* rep movsq */
    assert_int_equal(in.rep, 0xF3);
    assert_int_equal(in.operand_size, 8);
    in = decode64_ok("40 40 90", 3);                              /* of two REX the last counts */
    in = decode64_ok("c4 e3 79 0f c1 08", 6);                     /* vpalignr: VEX */
    assert_int_equal(in.vex, 0xC4);
    in = decode64_ok("c5 f8 77", 3);                              /* vzeroupper */
    assert_int_equal(in.vex, 0xC5);
}

static void test_64_bit_refusals(void **state)
{
    (void)state;
    /* Table A-2's i64 opcodes (objdump: "(bad)"), and 15 bytes at most. */
    assert_int_equal(decode64_status("06"), X86_DECODE_UNDEFINED);              /* push %es */
    assert_int_equal(decode64_status("9a 00 00 00 00 08 00"), X86_DECODE_UNDEFINED);   /* lcall */
    assert_int_equal(decode64_status("ea 00 00 00 00 08 00"), X86_DECODE_UNDEFINED);   /* ljmp */
    assert_int_equal(decode64_status("60"), X86_DECODE_UNDEFINED);              /* pusha */
    assert_int_equal(decode64_status("48"), X86_DECODE_TRUNCATED);
    assert_int_equal(decode64_status("48 b8 11 22 33 44"), X86_DECODE_TRUNCATED);
    /* 2E x 9, then mov 0x10(%rip),%rax: 16 bytes; with 8, the 15 allowed */
    assert_int_equal(decode64_status("2e 2e 2e 2e 2e 2e 2e 2e 2e 48 8b 05 10 00 00 00"),
                     X86_DECODE_TOO_LONG);
    struct x86_insn in = decode64_ok("2e 2e 2e 2e 2e 2e 2e 2e 48 8b 05 10 00 00 00", 15);
    assert_true(in.rip_relative);
}

/* ---- against objdump ---- */

#define MISMATCHES_SHOWN 8

struct tally {
    enum x86_mode mode;
    unsigned checked, mismatches;
    char first[MISMATCHES_SHOWN][200];
    uint8_t prefixes[X86_MAX_LENGTH];   /* objdump's prefixes-only lines */
    size_t n_prefixes;
    uint64_t after_prefixes;            /* the address that follows them */
};

/* objdump ends an instruction at a REX prefix that a legacy prefix
 * follows, showing the prefixes up to it as a line of their own ("rex.B",
 * "gs rex.W"); the CPU ignores that REX and runs them with the instruction
 * after them as one (SDM vol. 2A, 2.2.1). Put them back in front of it. */
static bool prefixes_only(struct tally *t, uint64_t address, const uint8_t *bytes, size_t n,
                          const char *text)
{
    const char *last = strrchr(text, ' ');
    last = last ? last + 1 : text;
    if (t->mode != X86_MODE_64 || strncmp(last, "rex", 3) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((bytes[i] & 0xF0) != 0x40 && !memchr("\x26\x2e\x36\x3e\x64\x65\x66\x67\xf0\xf2\xf3", bytes[i], 11))
            return false;
    if (t->after_prefixes != address)   /* a "(bad)" line came between */
        t->n_prefixes = 0;
    for (size_t i = 0; i < n && t->n_prefixes < sizeof(t->prefixes); i++)
        t->prefixes[t->n_prefixes++] = bytes[i];
    t->after_prefixes = address + n;
    return true;
}

/* Decode one instruction of objdump's listing, from the bytes it shows:
 * the lengths must agree. */
static void compare_one(void *ctx, uint64_t address, const uint8_t *shown, size_t shown_n,
                        const char *text)
{
    struct tally *t = ctx;
    /* objdump shows FWAIT (9B) and what follows it (an x87 instruction,
     * prefixes) on one line; the CPU runs FWAIT alone (SDM vol. 2A, FWAIT). */
    if (shown_n > 1 && shown[0] == 0x9B) {
        compare_one(ctx, address, shown, 1, "fwait");
        compare_one(ctx, address + 1, shown + 1, shown_n - 1, text);
        return;
    }
    if (prefixes_only(t, address, shown, shown_n, text))
        return;
    uint8_t bytes[X86_MAX_LENGTH + 32];
    size_t n = t->after_prefixes == address ? t->n_prefixes : 0;
    memcpy(bytes, t->prefixes, n);
    memcpy(bytes + n, shown, shown_n);
    n += shown_n;
    t->n_prefixes = 0;
    struct x86_insn in;
    enum x86_decode_status st = x86_decode(bytes, n, t->mode, &in);
    t->checked++;
    if (st != X86_DECODE_OK || in.length != n) {
        if (t->mismatches < MISMATCHES_SHOWN) {
            int at = 0;
            for (size_t i = 0; i < n; i++)
                at += snprintf(t->first[t->mismatches] + at, sizeof(t->first[0]) - at, "%02x ", bytes[i]);
            snprintf(t->first[t->mismatches] + at, sizeof(t->first[0]) - at, "(%.100s): decoder %s, "
                     "length %u", text, x86_decode_status_name(st), in.length);
        }
        t->mismatches++;
    }
}

static void compare_listing(const char *command, struct tally *t)
{
    if (!objdump_listing(command, compare_one, t))
        fail_msg("%s failed", command);
}

static void report(const char *what, const struct tally *t, unsigned at_least)
{
    for (unsigned i = 0; i < t->mismatches && i < MISMATCHES_SHOWN; i++)
        print_message("  %s\n", t->first[i]);
    print_message("x86_decode: %s: %u instructions, %u lengths differ from objdump's\n", what,
                  t->checked, t->mismatches);
    assert_int_equal(t->mismatches, 0);
    assert_true(t->checked >= at_least);     /* the listing was read at all */
}

static void test_the_kits_own_32_bit_code(void **state)
{
    (void)state;
    struct tally t = { .mode = X86_MODE_32 };
    char command[8192];
    snprintf(command, sizeof(command), "objdump -d --insn-width=16 %s", X86_DECODE_ELVES);
    compare_listing(command, &t);
    report("the guest OS, its programs and badguest", &t, 10000);
}

static void test_the_kits_own_64_bit_code(void **state)
{
    (void)state;
    struct tally t = { .mode = X86_MODE_64 };
    char command[8192];
    snprintf(command, sizeof(command), "objdump -d -M intel64 --insn-width=16 %s", X86_DECODE_ELVES64);
    compare_listing(command, &t);
    report("the hypervisor and long64", &t, 10000);
}

/* A megabyte of random bytes, as objdump reads them in the given mode. */
static void compare_random_bytes(enum x86_mode mode, const char *machine, const char *what)
{
    char path[64];                            /* this process's own file */
    snprintf(path, sizeof(path), "/tmp/x86_decode_random.%ld.bin", (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t x = 0x9E3779B97F4A7C15ull;       /* a fixed seed: the same bytes every run */
    for (unsigned i = 0; i < (1u << 20); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        fputc((int)(x & 0xFF), f);
    }
    fclose(f);
    struct tally t = { .mode = mode };
    char command[256];
    snprintf(command, sizeof(command), "objdump -D -b binary -m %s --insn-width=16 %s", machine, path);
    compare_listing(command, &t);
    remove(path);
    report(what, &t, 200000);
}

static void test_a_megabyte_of_random_bytes(void **state)
{
    (void)state;
    compare_random_bytes(X86_MODE_32, "i386", "random bytes");
}

static void test_a_megabyte_of_random_bytes_as_64_bit_code(void **state)
{
    (void)state;
    compare_random_bytes(X86_MODE_64, "i386:x86-64 -M intel64", "random bytes, 64-bit code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_popf_pushf_and_segment_reads),
        cmocka_unit_test(test_modrm_sib_and_displacements),
        cmocka_unit_test(test_immediates_and_prefixes),
        cmocka_unit_test(test_two_and_three_byte_maps_and_vex),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_encodings_that_raise_ud),
        cmocka_unit_test(test_sixteen_bit_code),
        cmocka_unit_test(test_64_bit_rip_relative_and_absolute),
        cmocka_unit_test(test_64_bit_rex_registers),
        cmocka_unit_test(test_64_bit_prefixes_and_sizes),
        cmocka_unit_test(test_64_bit_refusals),
        cmocka_unit_test(test_the_kits_own_32_bit_code),
        cmocka_unit_test(test_the_kits_own_64_bit_code),
        cmocka_unit_test(test_a_megabyte_of_random_bytes),
        cmocka_unit_test(test_a_megabyte_of_random_bytes_as_64_bit_code),
    };
    return RUN_UNIT_TESTS("x86_decode", tests);
}
