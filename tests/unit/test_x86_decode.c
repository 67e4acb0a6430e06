/*
 * test_x86_decode.c: hv/x86/x86_decode.c, the x86 instruction decoder, checked
 * two ways:
 *   - hand-picked instructions, each with its parts (ModR/M, SIB,
 *     displacement, immediate, prefixes) and the decoder's refusals;
 *   - against GNU objdump, instruction by instruction: every instruction of
 *     the 32-bit programs this kit builds (the guest kernel, its programs,
 *     badguest, whose fuzzer runs every privileged instruction), and of a
 *     megabyte of random bytes, must have the length objdump gives it.
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

static struct x86_insn decode_ok(const char *hex, unsigned expect_length)
{
    uint8_t bytes[32];
    size_t n = unit_hex_bytes(hex, bytes, sizeof(bytes));
    struct x86_insn in;
    enum x86_decode_status st = x86_decode(bytes, n, 4, &in);
    if (st != X86_DECODE_OK || in.length != expect_length)
        fail_msg("%s: %s, length %u (expected ok, %u)", hex, x86_decode_status_name(st),
                 in.length, expect_length);
    return in;
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
    assert_int_equal(x86_decode(mov, sizeof(mov), 4, &in), X86_DECODE_TRUNCATED);
    uint8_t prefixes[16];
    memset(prefixes, 0x66, sizeof(prefixes));
    assert_int_equal(x86_decode(prefixes, sizeof(prefixes), 4, &in), X86_DECODE_TOO_LONG);
    uint8_t undefined[] = { 0x0F, 0x04 };
    assert_int_equal(x86_decode(undefined, sizeof(undefined), 4, &in), X86_DECODE_UNDEFINED);
    uint8_t nothing[1];
    assert_int_equal(x86_decode(nothing, 0, 4, &in), X86_DECODE_TRUNCATED);
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
    assert_int_equal(x86_decode(mov, sizeof(mov), 2, &in), X86_DECODE_OK);
    assert_int_equal(in.length, 3);
    uint8_t mov32[] = { 0x66, 0xB8, 0x78, 0x56, 0x34, 0x12 };   /* with 0x66: 32-bit */
    assert_int_equal(x86_decode(mov32, sizeof(mov32), 2, &in), X86_DECODE_OK);
    assert_int_equal(in.length, 6);
}

/* ---- against objdump ---- */

#define MISMATCHES_SHOWN 8

struct tally {
    unsigned checked, mismatches;
    char first[MISMATCHES_SHOWN][200];
};

/* Decode one instruction of objdump's listing, from the bytes it shows:
 * the lengths must agree. */
static void compare_one(void *ctx, const uint8_t *bytes, size_t n, const char *text)
{
    struct tally *t = ctx;
    struct x86_insn in;
    enum x86_decode_status st = x86_decode(bytes, n, 4, &in);
    /* objdump shows FWAIT (9B) and the x87 instruction after it on one
     * line; the CPU runs them as two (SDM vol. 2A, FWAIT). */
    if (st == X86_DECODE_OK && bytes[0] == 0x9B && in.length == 1 && n > 1) {
        st = x86_decode(bytes + 1, n - 1, 4, &in);
        in.length++;
    }
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
    struct tally t = { 0 };
    char command[8192];
    snprintf(command, sizeof(command), "objdump -d --insn-width=16 %s", X86_DECODE_ELVES);
    compare_listing(command, &t);
    report("the guest OS, its programs and badguest", &t, 10000);
}

static void test_a_megabyte_of_random_bytes(void **state)
{
    (void)state;
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
    struct tally t = { 0 };
    char command[256];
    snprintf(command, sizeof(command), "objdump -D -b binary -m i386 --insn-width=16 %s", path);
    compare_listing(command, &t);
    remove(path);
    report("random bytes", &t, 200000);
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
        cmocka_unit_test(test_the_kits_own_32_bit_code),
        cmocka_unit_test(test_a_megabyte_of_random_bytes),
    };
    return RUN_UNIT_TESTS("x86_decode", tests);
}
