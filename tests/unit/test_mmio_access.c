/*
 * test_mmio_access.c: hv/x86/mmio_access.c, which MOV an MMIO exit came
 * from: each form the hypervisor emulates, with its size, direction,
 * register or immediate, and the instructions it must refuse (a caller that
 * took them for a MOV would write a wrong value, or none).
 */
#include "unit.h"
#include <string.h>
#include "x86/mmio_access.h"

/* Decode hex bytes (code of the mode) and classify them. */
static bool classify_in(enum x86_mode mode, const char *hex, struct mmio_access *a)
{
    uint8_t bytes[16];
    size_t n = unit_hex_bytes(hex, bytes, sizeof(bytes));
    struct x86_insn in;
    if (x86_decode(bytes, n, mode, &in) != X86_DECODE_OK || in.length != n)
        fail_msg("%s: does not decode as one instruction", hex);
    return mmio_access_of(&in, a);
}

static bool classify(const char *hex, struct mmio_access *a)
{
    return classify_in(X86_MODE_32, hex, a);
}

static void expect_access_in(enum x86_mode mode, const char *hex, bool write, unsigned size, bool immediate,
                             uint64_t value, unsigned reg)
{
    struct mmio_access a;
    if (!classify_in(mode, hex, &a))
        fail_msg("%s: refused, but it is a MOV to or from memory", hex);
    if (a.write != write || a.size != size || a.immediate != immediate || (immediate && a.value != value) ||
        (!immediate && a.reg != reg))
        fail_msg("%s: write %d size %u immediate %d value 0x%lx reg %u; expected %d %u %d 0x%lx %u", hex,
                 a.write, a.size, a.immediate, (unsigned long)a.value, a.reg, write, size, immediate,
                 (unsigned long)value, reg);
}

static void expect_access(const char *hex, bool write, unsigned size, bool immediate, uint64_t value,
                          unsigned reg)
{
    expect_access_in(X86_MODE_32, hex, write, size, immediate, value, reg);
}

static void expect64(const char *hex, bool write, unsigned size, bool immediate, uint64_t value, unsigned reg)
{
    expect_access_in(X86_MODE_64, hex, write, size, immediate, value, reg);
}

static bool high_byte(enum x86_mode mode, const char *hex)
{
    struct mmio_access a;
    assert_true(classify_in(mode, hex, &a));
    return a.high_byte;
}

static void test_loads(void **state)
{
    (void)state;
    expect_access("8b 00", false, 4, false, 0, 0);                  /* mov eax, [eax] */
    expect_access("8b 1d b0 00 e0 fe", false, 4, false, 0, 3);      /* mov ebx, [0xfee000b0] */
    expect_access("8b 54 24 08", false, 4, false, 0, 2);            /* mov edx, [esp+8] (SIB) */
    expect_access("8b 7e 20", false, 4, false, 0, 7);               /* mov edi, [esi+0x20] */
    expect_access("a1 30 00 e0 fe", false, 4, false, 0, 0);         /* mov eax, [0xfee00030] */
    expect_access("66 8b 08", false, 2, false, 0, 1);               /* mov cx, [eax] */
    expect_access("8a 20", false, 1, false, 0, 4);                  /* mov ah, [eax] (reg 4) */
    expect_access("a0 00 00 e0 fe", false, 1, false, 0, 0);         /* mov al, [0xfee00000] */
}

static void test_stores(void **state)
{
    (void)state;
    expect_access("89 08", true, 4, false, 0, 1);                   /* mov [eax], ecx */
    expect_access("89 35 b0 00 e0 fe", true, 4, false, 0, 6);       /* mov [0xfee000b0], esi */
    expect_access("a3 80 03 e0 fe", true, 4, false, 0, 0);          /* mov [0xfee00380], eax */
    expect_access("c7 05 b0 00 e0 fe 00 00 00 00", true, 4, true, 0, 0);   /* mov dword [eoi], 0 */
    expect_access("c7 40 10 ff 01 00 00", true, 4, true, 0x1FF, 0); /* mov dword [eax+0x10], 0x1ff */
    expect_access("66 c7 00 34 12", true, 2, true, 0x1234, 0);      /* mov word [eax], 0x1234 */
    expect_access("c6 00 ab", true, 1, true, 0xAB, 0);              /* mov byte [eax], 0xab */
    expect_access("88 18", true, 1, false, 0, 3);                   /* mov [eax], bl */
    expect_access("3e 89 08", true, 4, false, 0, 1);                /* a segment override is an address's */
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const not_mmio_movs[] = {
        "89 c8",              /* mov eax, ecx: registers only */
        "8b c1",              /* mov eax, ecx */
        "c7 c0 01 00 00 00",  /* mov eax, 1 (C7 with mod 3) */
        "c7 48 10 01 00 00 00", /* C7 /1: no such MOV */
        "f0 89 08",           /* LOCK MOV raises #UD; never emulate it */
        "f3 a5",              /* rep movsd */
        "a5",                 /* movsd */
        "01 08",              /* add [eax], ecx: read-modify-write */
        "81 08 00 01 00 00",  /* or dword [eax], 0x100 */
        "87 08",              /* xchg [eax], ecx */
        "0f b6 00",           /* movzx eax, byte [eax] */
        "ff 30",              /* push dword [eax] */
        "8f 00",              /* pop dword [eax] */
        "0f 01 10",           /* lgdt [eax] */
        "c5 f9 7e 00",        /* vmovd [eax], xmm0 */
    };
    for (size_t i = 0; i < sizeof(not_mmio_movs) / sizeof(not_mmio_movs[0]); i++) {
        struct mmio_access a;
        if (classify(not_mmio_movs[i], &a))
            fail_msg("%s: taken for a MOV to or from memory", not_mmio_movs[i]);
    }
}

/* 64-bit code: the forms with REX (objdump -M intel64's reading beside
 * each). */
static void test_64_bit_forms(void **state)
{
    (void)state;
    expect64("8b 05 10 00 00 00", false, 4, false, 0, 0);        /* mov 0x10(%rip),%eax */
    expect64("44 8b 08", false, 4, false, 0, 9);                 /* mov (%rax),%r9d */
    expect64("44 89 88 80 00 00 00", true, 4, false, 0, 9);      /* mov %r9d,0x80(%rax) */
    expect64("45 89 0c 24", true, 4, false, 0, 9);               /* mov %r9d,(%r12) */
    expect64("4c 8b 3c 25 30 00 e0 fe", false, 8, false, 0, 15); /* mov 0xfffffffffee00030,%r15 */
    expect64("48 a1 30 00 e0 fe 00 00 00 00", false, 8, false, 0, 0);   /* movabs 0xfee00030,%rax */
    expect64("a1 30 00 e0 fe 00 00 00 00", false, 4, false, 0, 0);      /* movabs 0xfee00030,%eax */
    expect64("41 c7 00 00 00 00 00", true, 4, true, 0, 0);       /* movl $0x0,(%r8) */
    expect64("48 c7 00 fe ff ff ff", true, 8, true, 0xFFFFFFFFFFFFFFFEull, 0);   /* movq $-2,(%rax) */
    expect64("44 c7 00 01 00 00 00", true, 4, true, 1, 0);       /* REX.R: still C7 /0 */
    expect64("41 3e 8b 08", false, 4, false, 0, 1);              /* REX ignored: mov (%rax),%ecx */
    expect64("40 88 30", true, 1, false, 0, 6);                  /* mov %sil,(%rax) */
    assert_false(high_byte(X86_MODE_64, "40 88 30"));
    assert_true(high_byte(X86_MODE_64, "88 30"));                /* mov %dh,(%rax) */
    assert_true(high_byte(X86_MODE_32, "8a 20"));                /* mov (%eax),%ah */
    assert_false(high_byte(X86_MODE_32, "8a 18"));               /* mov (%eax),%bl */
    assert_false(high_byte(X86_MODE_32, "8b 20"));               /* mov (%eax),%esp */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads),
        cmocka_unit_test(test_stores),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_64_bit_forms),
    };
    return RUN_UNIT_TESTS("mmio_access", tests);
}
