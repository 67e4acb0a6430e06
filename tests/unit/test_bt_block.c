/*
 * test_bt_block.c: hv/bt/, the binary translator, on the host: guest code
 * translated, the translation run, and its registers, EFLAGS and memory
 * compared with the original's run (tests/unit/bt_harness.h: both run as
 * 32-bit code, the translation with the guest's code pages not executable).
 * Where the original cannot run at CPL 3 (CLI, STI) or answers with the
 * host's state (segment and descriptor-table reads), the comparison is with
 * its defined effect at the guest's ring 0: the original's run with the
 * vCPU page's values put in, or a reference without the instruction.
 */
#include "unit.h"
#include <stdio.h>
#include <string.h>
#include "bt_harness.h"
#include "bt/bt_chain.h"
#include "bt/bt_classify.h"
#include "bt/bt_iret.h"
#include "bt/bt_lookup.h"

#define SNIPPETS(X) X(snip_plain) X(snip_jcc) X(snip_call) X(snip_loop) X(snip_call_loop) X(snip_ret_sites) X(snip_cli_sti) X(ref_cli_sti) \
    X(snip_popf) X(snip_segread) X(snip_dtread) X(snip_segload)
#define DECLARE(name) extern const uint8_t name[], name##_end[];
SNIPPETS(DECLARE)
#define SNIP(name) name, (size_t)(name##_end - name)

static struct bt_machine native, translated, expected;
static struct bt_tc tc;

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

/* Registers, EFLAGS, the data page and the stack: the same. */
static void assert_same(const struct bt_machine *want, const struct bt_machine *got)
{
    for (int i = 0; i < 8; i++)
        if (want->reg[i] != got->reg[i])
            fail_msg("%s: 0x%08x, not 0x%08x", reg_names[i], got->reg[i], want->reg[i]);
    if (want->eflags != got->eflags)
        fail_msg("eflags: 0x%08x, not 0x%08x", got->eflags, want->eflags);
    for (uint32_t a = BT_H_DATA; a < BT_H_STACK_TOP; a++)
        if (want->mem[a - BT_H_BASE] != got->mem[a - BT_H_BASE])
            fail_msg("the byte at 0x%08x: 0x%02x, not 0x%02x", a, got->mem[a - BT_H_BASE],
                     want->mem[a - BT_H_BASE]);
}

/* Every map: entries from offset 0, strictly increasing, inside the
 * translation; instructions first, in guest order, inside the block. */
static void assert_map(const struct bt_block *b)
{
    assert_true(b->entries >= 1);
    assert_int_equal(b->map[0].tc_offset, 0);
    for (unsigned i = 0; i < b->entries; i++) {
        const struct bt_map_entry *m = &b->map[i];
        assert_true(m->tc_offset < b->tc_size);
        if (i) {
            assert_true(m->tc_offset > b->map[i - 1].tc_offset);
            assert_true(m->kind >= b->map[i - 1].kind);
            if (m->kind == BT_MAP_INSN)
                assert_true(m->guest_eip > b->map[i - 1].guest_eip);
        }
        if (m->kind == BT_MAP_INSN)
            assert_true(m->guest_eip >= b->guest_eip && m->guest_eip < b->guest_end);
    }
}

static void assert_maps(void)
{
    for (unsigned i = 0; i < tc.blocks; i++)
        assert_map(&tc.block[i]);
}

/* The low 16 bits of the 32-bit word at address a, or of register r. */
static void put16(struct bt_machine *m, uint32_t a, uint32_t v) { memcpy(bt_h_ptr(m, a), &v, 2); }
static void put16_reg(struct bt_machine *m, int r, uint32_t v) { m->reg[r] = (m->reg[r] & ~0xFFFFu) | (v & 0xFFFF); }

static void load(struct bt_machine *m, const uint8_t *code, size_t n) { bt_h_machine(m, BT_H_CODE, code, n); }

/* Run natively; run translated from the same machine; both to the gate. */
static void run_both(const uint8_t *code, size_t n, bool chain)
{
    load(&native, code, n);
    load(&translated, code, n);
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    bt_tc_init(&tc, &translated, chain);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 1000), BT_EXIT_BRANCH);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_GATE);
    assert_maps();
}

static void test_plain_instructions_copied_identically(void **state)
{
    (void)state;
    run_both(SNIP(snip_plain), true);
    assert_same(&native, &translated);
    assert_int_equal(tc.blocks, 1);
    for (unsigned i = 0; i + 1 < tc.block[0].entries; i++)      /* all but the JMP to the gate */
        assert_int_equal(tc.block[0].map[i].action, BT_COPY);
    /* Each translated byte maps back to its entry. */
    const struct bt_block *b = &tc.block[0];
    for (unsigned i = 0; i < b->entries; i++) {
        uint32_t end = i + 1 < b->entries ? b->map[i + 1].tc_offset : b->tc_size;
        assert_ptr_equal(bt_block_find(b, b->map[i].tc_offset), &b->map[i]);
        assert_ptr_equal(bt_block_find(b, end - 1), &b->map[i]);
    }
    assert_null(bt_block_find(b, b->tc_size));
    /* Identical: the translation holds the guest's bytes as they are. */
    assert_memory_equal(bt_h_ptr(&translated, tc.block[0].tc_address + tc.block[0].map[0].tc_offset),
                        snip_plain, 5);
}

static void test_jcc_both_ways(void **state)
{
    (void)state;
    static const uint32_t ab[2][2] = { { 1, 2 }, { 2, 1 } };
    for (int i = 0; i < 2; i++) {
        load(&native, SNIP(snip_jcc));
        native.reg[0] = ab[i][0];
        native.reg[3] = ab[i][1];
        translated = native;
        assert_true(bt_h_run(&native, BT_H_CODE, true));
        bt_tc_init(&tc, &translated, true);
        assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
        assert_same(&native, &translated);
        assert_int_equal(translated.reg[1], i == 0 ? 5 : 4);
        assert_maps();
    }
}

static void test_call_pushes_the_guest_return_address(void **state)
{
    (void)state;
    run_both(SNIP(snip_call), true);
    assert_same(&native, &translated);
    uint32_t ret;                                       /* the first call's, kept in DATA[5] */
    memcpy(&ret, bt_h_ptr(&translated, BT_H_DATA + 5 * 4), 4);
    assert_true(ret > BT_H_CODE && ret < BT_H_CODE + 16);
    assert_int_equal(translated.reg[0], 1122);
    assert_true(tc.exits[BT_EXIT_LOOKUP] >= 1);        /* RET, CALL *, JMP * went through it */
}

static void test_returns_hit_the_lookup(void **state)
{
    (void)state;
    run_both(SNIP(snip_call_loop), true);
    assert_same(&native, &translated);
    assert_int_equal(translated.reg[0], 55);
    assert_int_equal(tc.exits[BT_EXIT_LOOKUP], 1);     /* then nine hits */
    assert_int_equal(tc.learnt, 1);                    /* at the return site (bt_lookup.h) */
}

/* A return site learns the first target it sees (one exit), then returns
 * there through its slot without an exit; another target takes the lookup
 * routine (one exit to fill the table). The flags and registers are the
 * native run's: the site keeps CF of the CMP before each RET. */
static void test_return_sites_learn_their_first_target(void **state)
{
    (void)state;
    run_both(SNIP(snip_ret_sites), true);
    assert_same(&native, &translated);
    assert_int_equal(translated.reg[0], 2 * 55);
    assert_int_not_equal(translated.reg[2], 0);       /* some carries, some not */
    assert_int_not_equal(translated.reg[2], 20);
    assert_int_equal(tc.learnt, 2);                   /* RET and RET imm16, once each */
    assert_int_equal(tc.exits[BT_EXIT_LOOKUP], 3);    /* those, and the second call site's fill */
    /* Again, the table emptied: the learnt returns still run without an
     * exit (their slots), the other one misses the table once. */
    bt_lookup_clear(bt_h_page(&translated));
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 2000), BT_EXIT_BRANCH);
    assert_same(&native, &translated);
    assert_int_equal(tc.exits[BT_EXIT_LOOKUP], 4);
    /* Unchained, every return exits: a hit at the slot, with the target it
     * learnt (none here: the site never learns without chaining), a miss at
     * the learn exit. */
    run_both(SNIP(snip_ret_sites), false);
    assert_same(&native, &translated);
    assert_int_equal(tc.learnt, 0);
}

static void test_loop_chains(void **state)
{
    (void)state;
    run_both(SNIP(snip_loop), true);
    assert_same(&native, &translated);
    unsigned chained_runs = tc.runs;
    assert_true(chained_runs <= 12);                    /* one exit per edge at most */
    /* A loop's back edge is chained to its own block. */
    bool self = false;
    for (unsigned i = 0; i < tc.blocks; i++) {
        const struct bt_block *b = &tc.block[i];
        for (unsigned j = 0; j < b->entries; j++) {
            uint32_t slot = b->tc_address + b->map[j].tc_offset;
            if (b->map[j].kind == BT_MAP_SLOT && b->map[j].guest_eip == b->guest_eip)
                self |= bt_chained_to(bt_h_ptr(&translated, slot), slot) == b->tc_address;
        }
    }
    assert_true(self);
    run_both(SNIP(snip_loop), false);                   /* unchained: an exit per iteration */
    assert_same(&native, &translated);
    assert_true(tc.runs > 150);
}

/* A block goes on past a Jcc (its not-taken side inline), and once chained
 * the Jcc itself jumps to its target's translation; unchained, back to its
 * slot at the block's end. */
static void test_a_taken_jcc_goes_straight_to_its_target(void **state)
{
    (void)state;
    run_both(SNIP(snip_loop), true);
    assert_same(&native, &translated);
    const struct bt_block *b = &tc.block[0];
    unsigned jcc = 0;
    while (jcc < b->entries && !(b->map[jcc].kind == BT_MAP_INSN && b->map[jcc].action == BT_DIRECT))
        jcc++;
    assert_true(jcc + 1 < b->entries);
    assert_int_equal(b->map[jcc + 1].kind, BT_MAP_INSN);         /* went on past the JNZ */
    const struct bt_map_entry *s = NULL;
    for (unsigned i = 0; i < b->entries; i++)
        if (b->map[i].kind == BT_MAP_SLOT && b->map[i].via == b->map[jcc].tc_offset + 2u)   /* 0F 85 rel32 */
            s = &b->map[i];
    assert_non_null(s);
    uint8_t *code = bt_h_ptr(&translated, b->tc_address);
    uint32_t slot = b->tc_address + s->tc_offset, field = b->tc_address + s->via;
    uint32_t to = bt_chained_to(code + s->tc_offset, slot);
    assert_int_equal(field + 4 + bt_get32(code + s->via), to);    /* the JNZ and its slot: one target */
    const struct bt_block *target = NULL;
    for (unsigned i = 0; i < tc.blocks; i++)
        if (tc.block[i].tc_address == to)
            target = &tc.block[i];
    assert_non_null(target);
    assert_int_equal(target->guest_eip, s->guest_eip);
    bt_block_unchain(code, b->tc_address, s);
    assert_int_equal(field + 4 + bt_get32(code + s->via), slot);
    assert_int_equal(bt_chained_to(code + s->tc_offset, slot), slot + 5);
    /* Unchained as it was made, it runs as before, by exits. */
    run_both(SNIP(snip_loop), false);
    assert_same(&native, &translated);
}

static void test_block_ends_at_the_page_boundary(void **state)
{
    (void)state;
    uint32_t at = BT_H_CODE + 0x1000 - 20, page_end = BT_H_CODE + 0x1000;
    bt_h_machine(&native, at, SNIP(snip_plain));
    bt_h_machine(&translated, at, SNIP(snip_plain));
    assert_true(bt_h_run(&native, at, true));
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, at, 100), BT_EXIT_BRANCH);
    assert_same(&native, &translated);
    assert_maps();
    const struct bt_block *b = &tc.block[0];
    assert_true(b->guest_end >= page_end && b->guest_end < page_end + X86_MAX_LENGTH);
    for (unsigned i = 0; i < b->entries; i++)
        assert_true(b->map[i].kind == BT_MAP_SLOT || b->map[i].guest_eip < page_end);
    assert_int_equal(b->map[b->entries - 1].kind, BT_MAP_SLOT);
    assert_int_equal(b->map[b->entries - 1].guest_eip, b->guest_end);
    assert_true(tc.blocks >= 2 && tc.block[1].guest_eip == b->guest_end);
}

/* Translate code (n bytes; the translator is told len of them) at
 * BT_H_CODE, run it translated once, and return the exit's kind. */
static enum bt_exit_kind translate_and_run(const void *code, size_t n, size_t len)
{
    load(&translated, code, n);
    bt_tc_init(&tc, &translated, false);
    struct bt_code c = { .bytes = bt_h_ptr(&translated, BT_H_CODE), .len = len, .eip = BT_H_CODE };
    struct bt_block *b = &tc.block[tc.blocks++];
    assert_int_equal(bt_translate_block(&c, &tc.rt, &tc.emit, BT_BLOCK_MAX_INSNS, b), BT_OK);
    assert_map(b);
    assert_true(bt_h_run(&translated, b->tc_address, false));
    return bt_h_page(&translated)->exit_kind;
}

static void test_undecodable_bytes_exit_with_ud(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xb8\x05\x00\x00\x00\x0f\x04",                 /* 0F 04: no instruction */
        "\xb8\x05\x00\x00\x00\x0f\x0b",                 /* UD2 */
        "\xb8\x05\x00\x00\x00\xf0\x90",                 /* LOCK NOP */
    };
    struct x86_insn in;
    assert_int_equal(x86_decode((const uint8_t *)"\x0f\x04", 2, X86_MODE_32, &in), X86_DECODE_UNDEFINED);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(translate_and_run(bad[i], 7, 7), BT_EXIT_FAULT);
        assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 5);
        assert_int_equal(bt_h_page(&translated)->exit_arg, 6);
        assert_int_equal(translated.reg[0], 5);         /* the state before it */
    }
    /* 16 prefixes: longer than 15 bytes, #GP. */
    static const uint8_t too_long[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90 };
    assert_int_equal(translate_and_run(too_long, sizeof(too_long), sizeof(too_long)), BT_EXIT_FAULT);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE);
    assert_int_equal(bt_h_page(&translated)->exit_arg, 13);
}

static void test_no_code_past_the_bytes_given(void **state)
{
    (void)state;
    /* mov $1, %eax; then a MOV cut after 2 of its 5 bytes. */
    assert_int_equal(translate_and_run("\xb8\x01\x00\x00\x00\xb8\x02\x00\x00\x00", 10, 7), BT_EXIT_NO_CODE);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 5);
    assert_int_equal(translated.reg[0], 1);
    assert_int_equal(tc.block[0].guest_end, BT_H_CODE + 7);
}

static void test_cli_sti_and_pushf(void **state)
{
    (void)state;
    load(&native, SNIP(ref_cli_sti));
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    load(&translated, SNIP(snip_cli_sti));
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
    expected = native;
    expected.reg[0] &= ~BT_EFLAGS_IF;                   /* PUSHF after CLI */
    put16(&expected, BT_H_STACK_TOP - 4, expected.reg[0]);   /* its image, popped */
    assert_true(native.reg[3] & BT_EFLAGS_IF);          /* PUSHFW after STI: as the CPU's */
    assert_true(native.reg[0] & 0x800);                 /* the ADD's OF is in the image */
    assert_same(&expected, &translated);
    assert_int_equal(bt_h_page(&translated)->vif, BT_EFLAGS_IF);
}

static void test_popf(void **state)
{
    (void)state;
    run_both(SNIP(snip_popf), true);
    expected = native;
    expected.reg[0] &= ~BT_EFLAGS_IF;                   /* popped with IF 0 */
    expected.reg[3] |= BT_EFLAGS_IOPL;                  /* popped with IOPL 3 */
    put16(&expected, BT_H_STACK_TOP - 4, expected.reg[3]);   /* its image, half of it left */
    assert_same(&expected, &translated);
    assert_int_equal(native.reg[0] & 0x8D5, 0x8D5);     /* the arithmetic flags it popped */
    assert_int_equal(bt_h_page(&translated)->vif, BT_EFLAGS_IF);
    assert_int_equal(bt_h_page(&translated)->viopl, 0);
}

static void test_pending_interrupt_exits_when_the_virtual_if_goes_on(void **state)
{
    (void)state;
    static const char sti_then[] = "\xfb\xb8\x01\x00\x00\x00";                   /* sti; mov $1, %eax */
    static const char popf_if[] = "\x68\x02\x02\x00\x00\x9d\xb8\x01\x00\x00\x00";   /* push $0x202; popf */
    static const char popf_no_if[] = "\x68\x02\x00\x00\x00\x9d\xb8\x01\x00\x00\x00";
    struct {
        const char *code;
        size_t n;
        enum bt_exit_kind kind;
        uint32_t eip;
    } cases[] = {
        { sti_then, 6, BT_EXIT_STI, BT_H_CODE + 1 },
        { popf_if, 11, BT_EXIT_INTERRUPT, BT_H_CODE + 6 },
        { popf_no_if, 11, BT_EXIT_BRANCH, BT_H_GATE },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        load(&translated, (const uint8_t *)cases[i].code, cases[i].n);
        bt_h_page(&translated)->vif = 0;
        bt_h_page(&translated)->pending = BT_EFLAGS_IF;
        bt_tc_init(&tc, &translated, true);
        assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), cases[i].kind);
        assert_int_equal(bt_h_page(&translated)->exit_eip, cases[i].eip);
        assert_int_equal(translated.reg[0], cases[i].kind == BT_EXIT_BRANCH ? 1 : 0);
        assert_int_equal(translated.reg[4], BT_H_STACK_TOP);
        assert_int_equal(bt_h_page(&translated)->vif, cases[i].kind == BT_EXIT_BRANCH ? 0 : BT_EFLAGS_IF);
    }
}

static void test_segment_reads_give_the_guests_selectors(void **state)
{
    (void)state;
    static const uint32_t believed[BT_SREGS] = { 0x20, 0x08, 0x10, 0x18, 0x30, 0x38 };
    load(&native, SNIP(snip_segread));
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    load(&translated, SNIP(snip_segread));
    memcpy(bt_h_page(&translated)->selector, believed, sizeof(believed));
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
    assert_maps();
    /* The native run, with the guest's selectors where it stored the host's. */
    expected = native;
    expected.reg[0] = believed[BT_CS];                  /* mov %cs, %eax: zero-extended */
    put16_reg(&expected, 3, believed[BT_SS]);           /* mov %ss, %bx */
    expected.reg[1] = believed[BT_GS];
    expected.reg[2] = believed[BT_FS];
    put16(&expected, BT_H_DATA + 0x30, believed[BT_SS]);
    put16(&expected, BT_H_DATA + 0, believed[BT_DS]);
    put16(&expected, BT_H_DATA + 4, believed[BT_ES]);
    put16(&expected, BT_H_DATA + 8, believed[BT_FS]);
    uint32_t top = BT_H_STACK_TOP;
    put16(&expected, top - 4, believed[BT_CS]);
    put16(&expected, top - 8, believed[BT_SS]);
    put16(&expected, top - 12, believed[BT_DS]);
    put16(&expected, top - 14, believed[BT_ES]);        /* pushw: 2 bytes */
    put16(&expected, top - 18, believed[BT_FS]);
    put16(&expected, top - 22, believed[BT_GS]);
    assert_same(&expected, &translated);
}

static void test_descriptor_table_reads_give_the_guests_tables(void **state)
{
    (void)state;
    load(&translated, SNIP(snip_dtread));
    expected = translated;
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
    assert_maps();
    /* The defined effect at ring 0 with the guest's GDTR, IDTR, LDTR, TR. */
    const struct bt_vcpu_page *page = bt_h_page(&expected);
    expected.reg[7] = BT_H_DATA;
    expected.reg[0] = page->ldtr;                       /* sldt %eax: zero-extended */
    expected.reg[3] = 0xbbbb0000 | page->tr;            /* str %bx */
    memcpy(bt_h_ptr(&expected, BT_H_DATA + 0x20), &page->gdtr.limit, 6);
    memcpy(bt_h_ptr(&expected, BT_H_DATA), &page->gdtr.limit, 6);
    memcpy(bt_h_ptr(&expected, BT_H_DATA + 8), &page->idtr.limit, 6);
    put16(&expected, BT_H_DATA + 16, page->ldtr);
    put16(&expected, BT_H_DATA + 20, page->tr);
    assert_same(&expected, &translated);
}

static void test_segment_loads_update_the_page(void **state)
{
    (void)state;
    load(&native, SNIP(snip_segload));
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    /* PUSH DS gives the page's DS, which POP FS loads: the host's here. */
    load(&translated, SNIP(snip_segload));
    bt_h_page(&translated)->selector[BT_DS] = native.reg[3];       /* EBX: MOV from ES = DS */
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
    assert_same(&native, &translated);
    assert_int_equal(bt_h_page(&translated)->selector[BT_ES], native.reg[7]);   /* LES */
    assert_int_equal(native.reg[7], native.reg[3]);
    assert_int_equal(bt_h_page(&translated)->selector[BT_FS], native.reg[1]);
}

/* The segment loads a translation copies (bt_segment.h), each form: the
 * selector from EAX, from memory (absolute, through EBX, with a prefix,
 * through a SIB), from the stack; LDS, LES, LFS 32- and 16-bit. The code
 * before it: mov $sel, %eax; mov %ax to D+4, D+8 and D+14 (D = BT_H_DATA,
 * which holds the far pointers' offsets); push %eax; mov $D, %ebx; mov
 * $0x5eed, %ecx; stc. */
#define SEG_PREFIX_LENGTH 38u
static const struct {
    const char *bytes;
    size_t n;
    unsigned sreg;
} segment_loads[] = {
    { "\x8e\xd8", 2, BT_DS },                               /* mov %eax, %ds */
    { "\x8e\xc0", 2, BT_ES },                               /* mov %eax, %es */
    { "\x8e\xe0", 2, BT_FS },                               /* mov %eax, %fs */
    { "\x66\x8e\xd8", 3, BT_DS },                           /* mov %ax, %ds */
    { "\x8e\x1d\x08\xa0\x00\x40", 6, BT_DS },               /* mov D+8, %ds */
    { "\x8e\x05\x08\xa0\x00\x40", 6, BT_ES },               /* mov D+8, %es */
    { "\x8e\x63\x08", 3, BT_FS },                           /* mov 8(%ebx), %fs */
    { "\x3e\x8e\x5b\x08", 4, BT_DS },                       /* mov %ds:8(%ebx), %ds */
    { "\x8e\x1c\x25\x08\xa0\x00\x40", 7, BT_DS },           /* mov D+8(,%eiz), %ds: a SIB */
    { "\x1f", 1, BT_DS },                                   /* pop %ds */
    { "\x07", 1, BT_ES },                                   /* pop %es */
    { "\x0f\xa1", 2, BT_FS },                               /* pop %fs */
    { "\xc5\x33", 2, BT_DS },                               /* lds (%ebx), %esi */
    { "\xc4\x35\x00\xa0\x00\x40", 6, BT_ES },               /* les D, %esi */
    { "\x0f\xb4\x73\x00", 4, BT_FS },                       /* lfs 0(%ebx), %esi */
    { "\x66\xc5\x73\x0c", 4, BT_DS },                       /* lds 12(%ebx), %si: m16:16 */
};

/* The code of segment_loads[i] (or of the prefix alone, i < 0) loading sel. */
static size_t segment_load_code(uint8_t *code, int i, uint16_t sel)
{
    static const uint8_t prefix[SEG_PREFIX_LENGTH] = {
        0xb8, 0, 0, 0, 0,                                   /* mov $sel, %eax */
        0x66, 0xa3, 0x04, 0xa0, 0x00, 0x40,                 /* mov %ax, D+4 */
        0x66, 0xa3, 0x08, 0xa0, 0x00, 0x40,                 /* mov %ax, D+8 */
        0x66, 0xa3, 0x0e, 0xa0, 0x00, 0x40,                 /* mov %ax, D+14 */
        0x50,                                               /* push %eax */
        0xbb, 0x00, 0xa0, 0x00, 0x40,                       /* mov $D, %ebx */
        0xb9, 0xed, 0x5e, 0x00, 0x00,                       /* mov $0x5eed, %ecx */
        0xf9,                                               /* stc */
        0x90, 0x90, 0x90,
    };
    _Static_assert(BT_H_DATA == 0x4000a000u, "the code names D");
    memcpy(code, prefix, sizeof(prefix));
    code[1] = (uint8_t)sel;
    code[2] = (uint8_t)(sel >> 8);
    if (i < 0)
        return sizeof(prefix);
    memcpy(code + sizeof(prefix), segment_loads[i].bytes, segment_loads[i].n);
    return sizeof(prefix) + segment_loads[i].n;
}

/* The far pointers' offsets at D and D+12. */
static void far_offsets(struct bt_machine *m)
{
    memcpy(bt_h_ptr(m, BT_H_DATA), "\x34\x12\x00\x00", 4);
    memcpy(bt_h_ptr(m, BT_H_DATA + 12), "\x78\x56", 2);
}

/* The host's DS, which CPL 3 may load. */
static uint16_t host_ds(void)
{
    load(&native, (const uint8_t *)"\x8c\xd8", 2);          /* mov %ds, %eax */
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    return (uint16_t)native.reg[0];
}

static void test_ordinary_segment_loads_go_through_the_check(void **state)
{
    (void)state;
    uint16_t ds = host_ds();
    for (size_t i = 0; i < sizeof(segment_loads) / sizeof(segment_loads[0]); i++) {
        uint8_t code[64];
        size_t n = segment_load_code(code, (int)i, ds);
        load(&native, code, n);
        far_offsets(&native);
        load(&translated, code, n);
        far_offsets(&translated);
        assert_true(bt_h_run(&native, BT_H_CODE, true));
        bt_tc_init(&tc, &translated, false);
        assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_BRANCH);
        assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_GATE);
        assert_int_equal(tc.exits[BT_EXIT_EMULATE], 0);
        assert_same(&native, &translated);                  /* ECX, ESI, ESP, CF: the original's */
        assert_int_equal(bt_h_page(&translated)->selector[segment_loads[i].sreg], ds);
    }
}

/* mov $sel, %ax; mov %eax, %ds; mov %eax, %es; mov %eax, %fs (a kernel's
 * entry): a selector the block just put in AX is known, and below the
 * hypervisor's it needs no check (commit 0: nothing borrowed); one of the
 * hypervisor's is checked all the same, and exits before the load. */
static void test_a_selector_just_put_in_ax_needs_no_check(void **state)
{
    (void)state;
    uint16_t ds = host_ds();
    uint8_t code[] = { 0x66, 0xb8, (uint8_t)ds, (uint8_t)(ds >> 8), 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xe0 };
    run_both(code, sizeof(code), false);
    assert_same(&native, &translated);
    assert_int_equal(tc.exits[BT_EXIT_EMULATE], 0);
    const struct bt_block *b = &tc.block[0];
    assert_true(b->entries >= 4);
    for (unsigned i = 1; i < 4; i++) {
        assert_int_equal(b->map[i].action, BT_SEGMENT_LOAD);
        assert_int_equal(b->map[i].commit, 0);
    }
    code[2] = 0xe9, code[3] = 0xff;                     /* 0xffe9: the TC's code */
    load(&translated, code, sizeof(code));
    bt_tc_init(&tc, &translated, false);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_EMULATE);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 4);
    assert_int_not_equal(tc.block[0].map[1].commit, 0);
}

static void test_the_hypervisors_selectors_exit_before_the_load(void **state)
{
    (void)state;
    static const uint16_t hv[] = { 0xffe8, 0xffe9, 0xffeb, 0xfff1, 0xfff3, 0xfff8, 0xffff };
    for (size_t s = 0; s < sizeof(hv) / sizeof(hv[0]); s++) {
        for (size_t i = 0; i < sizeof(segment_loads) / sizeof(segment_loads[0]); i++) {
            uint8_t code[64];
            /* The state before the load: the prefix alone, translated. */
            size_t n = segment_load_code(code, -1, hv[s]);
            load(&expected, code, n);
            far_offsets(&expected);
            bt_tc_init(&tc, &expected, false);
            assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_BRANCH);
            /* Then with the load: an exit at it, nothing changed (a load
             * of these at CPL 3 would kill the runner: SIGSEGV). */
            n = segment_load_code(code, (int)i, hv[s]);
            load(&translated, code, n);
            far_offsets(&translated);
            bt_h_page(&translated)->selector[segment_loads[i].sreg] = 0x7;
            bt_tc_init(&tc, &translated, false);
            assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_EMULATE);
            assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + SEG_PREFIX_LENGTH);
            assert_same(&expected, &translated);
            assert_int_equal(bt_h_page(&translated)->selector[segment_loads[i].sreg], 0x7);
        }
    }
}

static void test_the_hypervisors_instructions_exit(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
    } insns[] = {
        { "\xf4", 1 },                                  /* hlt */
        { "\xcd\x80", 2 },                              /* int $0x80 */
        { "\xcf", 1 },                                  /* iret */
        { "\x0f\x02\xc1", 3 },                          /* lar %ecx, %eax */
        { "\x0f\x00\xe0", 3 },                          /* verr %ax */
        { "\x0f\x22\xc0", 3 },                          /* mov %eax, %cr0 */
        { "\x0f\x01\x10", 3 },                          /* lgdt (%eax) */
        { "\x65\xa1\x00\x00\x00\x00", 6 },              /* mov %gs:0, %eax: the page's segment */
        { "\x2e\x8b\x00", 3 },                          /* mov %cs:(%eax), %eax: the TC's segment */
        { "\x8e\xe8", 2 },                              /* mov %ax, %gs */
        { "\x67\x8e\x1f", 3 },                          /* mov (%bx), %ds: a 16-bit address */
        { "\xea\x00\x00\x00\x00\x08\x00", 7 },          /* ljmp */
        { "\x0f\x01\xc1", 3 },                          /* vmcall */
    };
    for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
        uint8_t code[16] = { 0xb8, 7, 0, 0, 0 };        /* mov $7, %eax */
        memcpy(code + 5, insns[i].bytes, insns[i].n);
        /* The translator is given the JMP to the gate after it too: a MOV GS
         * translated (bt_gs.h) goes on after its exit path. */
        assert_int_equal(translate_and_run(code, 5 + insns[i].n, 5 + insns[i].n + 5), BT_EXIT_EMULATE);
        assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 5);
        assert_int_equal(translated.reg[0], 7);
    }
}

/* A run-once block of a page the guest writes without a trap
 * (bt_code.unprotected): how many instructions it translates before its
 * end's slot. */
static unsigned unprotected_insns(const uint8_t *code, size_t n, bool unprotected, bool ds_base_zero)
{
    load(&translated, code, n);
    bt_tc_init(&tc, &translated, false);
    struct bt_code c = { .bytes = bt_h_ptr(&translated, BT_H_CODE), .len = n, .eip = BT_H_CODE,
                         .unprotected = unprotected, .ds_base_zero = ds_base_zero };
    struct bt_block *b = &tc.block[tc.blocks++];
    assert_int_equal(bt_translate_block(&c, &tc.rt, &tc.emit, BT_BLOCK_MAX_INSNS, b), BT_OK);
    assert_map(b);
    unsigned k = 0;
    while (k < b->entries && b->map[k].kind == BT_MAP_INSN)
        k++;
    return k;
}

/* The store first (moffs: and a NOP), then mov $0, %eax (at +6, its
 * immediate at +7); nop; ret: the store's disp32 (or moffs) is `to`. */
static size_t store_then_code(uint8_t *code, bool moffs, uint32_t to)
{
    size_t n = 0;
    if (moffs) {
        code[n++] = 0xa3;                               /* mov %eax, to */
    } else {
        code[n++] = 0x89;                               /* mov %ecx, to */
        code[n++] = 0x0d;
    }
    bt_put32(code + n, to);
    n += 4;
    if (moffs)
        code[n++] = 0x90;                               /* nop: the MOV at +6 again */
    static const uint8_t rest[] = { 0xb8, 0, 0, 0, 0, 0x90, 0xc3 };
    memcpy(code + n, rest, sizeof(rest));
    return n + sizeof(rest);
}

/* Such a block ends after each instruction that may write what follows
 * it, the next fetch reading the bytes anew (SDM vol. 3, 11.6), but goes on
 * past a MOV to an absolute address it can no longer reach. */
static void test_unprotected_block_ends_after_a_store_ahead(void **state)
{
    (void)state;
    uint8_t code[32];
    uint32_t page_end = (BT_H_CODE & ~0xFFFu) + 0x1000;
    size_t n;
    for (int moffs = 0; moffs < 2; moffs++) {
        unsigned whole = moffs ? 5 : 4;
        /* The next instruction's immediate: ahead. */
        n = store_then_code(code, moffs, BT_H_CODE + 7);
        assert_int_equal(unprotected_insns(code, n, true, true), 1);
        assert_int_equal(unprotected_insns(code, n, false, true), whole);  /* protected: the write traps */
        /* Its own bytes, before the block, past the page and the 14 bytes a
         * straddling instruction reaches: the whole block. */
        const uint32_t behind[] = { BT_H_CODE + 1, BT_H_CODE - 4, page_end + 14 };
        for (unsigned i = 0; i < 3; i++) {
            n = store_then_code(code, moffs, behind[i]);
            assert_int_equal(unprotected_insns(code, n, true, true), whole);
            /* DS's base not known to be 0: the address is not linear. */
            assert_int_equal(unprotected_insns(code, n, true, false), 1);
        }
        const uint32_t ahead[] = { page_end + 13 - 3, BT_H_CODE + 3 };   /* a straddler's last byte; */
        for (unsigned i = 0; i < 2; i++) {                                /* its own and the next's */
            n = store_then_code(code, moffs, ahead[i]);
            assert_int_equal(unprotected_insns(code, n, true, true), 1);
        }
    }
    /* After a load of DS in the block, its base is not known. */
    uint8_t after_load[40] = { 0x8e, 0xd8 };                     /* mov %ax, %ds */
    n = 2 + store_then_code(after_load + 2, false, BT_H_CODE - 4);
    assert_int_equal(unprotected_insns(after_load, n, true, true), 2);
    /* Stores through a register, the stack, a string: end; LEA is no access. */
    static const uint8_t others[][3] = {
        { 0x89, 0x0b, 0x90 },                           /* mov %ecx, (%ebx) */
        { 0x50, 0x90, 0x90 },                           /* push %eax */
        { 0xab, 0x90, 0x90 },                           /* stos %eax, %es:(%edi) */
        { 0xc6, 0x03, 0x01 },                           /* movb $1, (%ebx) */
        { 0x01, 0x03, 0x90 },                           /* add %eax, (%ebx) */
    };
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        uint8_t c[5] = { others[i][0], others[i][1], others[i][2], 0x90, 0xc3 };
        assert_int_equal(unprotected_insns(c, sizeof(c), true, true), 1);
    }
    static const uint8_t lea[] = { 0x8d, 0x58, 0x04, 0x90, 0xc3 };   /* lea 4(%eax), %ebx; nop; ret */
    assert_int_equal(unprotected_insns(lea, sizeof(lea), true, true), 3);
}

/* IN and OUT are copied as they are, and the block goes on past them: at
 * ring 1 every port exits (the I/O bitmaps), and the hypervisor does the
 * port's work at that exit without leaving the translation. */
static void test_port_io_copied_in_the_block(void **state)
{
    (void)state;
    static const uint8_t code[] = {
        0xe6, 0x80,                                     /* out %al, $0x80 */
        0x66, 0xed,                                     /* in (%dx), %ax */
        0xec,                                           /* in (%dx), %al */
        0xe5, 0x40,                                     /* in $0x40, %eax */
        0x90,                                           /* nop */
        0x6e,                                           /* outsb: string I/O exits */
    };
    load(&translated, code, sizeof(code));
    bt_tc_init(&tc, &translated, false);
    struct bt_code c = { .bytes = bt_h_ptr(&translated, BT_H_CODE), .len = sizeof(code), .eip = BT_H_CODE };
    struct bt_block *b = &tc.block[tc.blocks++];
    assert_int_equal(bt_translate_block(&c, &tc.rt, &tc.emit, BT_BLOCK_MAX_INSNS, b), BT_OK);
    assert_map(b);
    static const unsigned at[] = { 0, 2, 4, 5, 7 };
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(b->map[i].guest_eip, BT_H_CODE + at[i]);
        assert_int_equal(b->map[i].action, BT_PORT_IO);
        assert_int_equal(b->map[i].tc_offset, at[i]);
    }
    assert_int_equal(b->map[4].action, BT_COPY);
    assert_int_equal(b->map[5].action, BT_EMULATE);
    assert_memory_equal(bt_h_ptr(&translated, b->tc_address), code, 8);
}

/* MOV from CR0, CR2, CR3, CR4 reads the guest's values from the page, into
 * the register the ModR/M's rm names whatever its mod (0F 20 06: mov
 * %cr0, %esi), and changes no flag; no exit. */
static void test_control_register_reads_give_the_guests(void **state)
{
    (void)state;
    static const uint8_t code[] = {
        0x0f, 0x20, 0xc0,                               /* mov %cr0, %eax */
        0x0f, 0x20, 0xd3,                               /* mov %cr2, %ebx */
        0x0f, 0x20, 0xd9,                               /* mov %cr3, %ecx */
        0x0f, 0x20, 0xe2,                               /* mov %cr4, %edx */
        0x0f, 0x20, 0x06,                               /* mov %cr0, %esi (mod 0) */
    };
    load(&translated, code, sizeof(code));
    struct bt_vcpu_page *page = bt_h_page(&translated);
    page->cr[0] = 0x80050033;
    page->cr[2] = 0xdeadb000;
    page->cr[3] = 0x00123000;
    page->cr[4] = 0x00000690;
    expected = translated;
    bt_tc_init(&tc, &translated, true);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 100), BT_EXIT_BRANCH);
    assert_maps();
    assert_int_equal(tc.exits[BT_EXIT_EMULATE], 0);
    expected.reg[0] = 0x80050033;
    expected.reg[3] = 0xdeadb000;
    expected.reg[1] = 0x00123000;
    expected.reg[2] = 0x00000690;
    expected.reg[6] = 0x80050033;
    assert_same(&expected, &translated);
}

/* mov $0x44332211, %ecx; iret, with the frame (EIP the gate, cs, eflags)
 * on the stack of m, the page's tables filled, `pending` waiting; the
 * machine translated when tc is given, else native. */
#define IRET_ECX 0x44332211u
static void iret_machine_to(struct bt_machine *m, uint32_t eip, uint32_t cs, uint32_t eflags, uint32_t pending)
{
    static const uint8_t code[] = { 0xb9, 0x11, 0x22, 0x33, 0x44, 0xcf };
    load(m, code, sizeof(code));
    uint32_t frame[3] = { eip, cs, eflags };
    memcpy(bt_h_ptr(m, BT_H_STACK_TOP - 12), frame, sizeof(frame));
    m->reg[4] = BT_H_STACK_TOP - 12;
    m->eflags = 0x2C3;                                  /* IF, ZF, SF, CF: not the image's */
    struct bt_vcpu_page *p = bt_h_page(m);
    bt_iret_tables(p);
    p->pending = pending;
    p->gs_real = 7;                                     /* the runner's GS (bt_runner.c) */
    p->iret_cs_complement = 0x10000 - 0x08;             /* the page's CS, as the hypervisor checked it, */
    p->iret_eip_room = 0xFF - 0xFB;                     /* its limit 0xFBFFFFFF */
    m->reg[0] = 0x55667788;                             /* EAX: the ring-0 path's saved register */
}

static void iret_machine(struct bt_machine *m, uint32_t cs, uint32_t eflags, uint32_t pending)
{
    iret_machine_to(m, BT_H_GATE, cs, eflags, pending);
}

static void test_iret_to_user_mode_runs_without_an_exit(void **state)
{
    (void)state;
    /* 0x23: the runner's CS (ring 3); the native IRET checks it is. */
    iret_machine(&native, 0x23, 0xAD7, 0);
    assert_true(bt_h_run(&native, BT_H_CODE, true));
    iret_machine(&translated, 0x23, 0xAD7, 0);
    bt_tc_init(&tc, &translated, false);
    const struct bt_block *b = bt_tc_block(&tc, BT_H_CODE);
    assert_non_null(b);
    assert_true(bt_h_run(&translated, b->tc_address, false));
    assert_int_equal(bt_h_page(&translated)->exit_kind, BT_EXIT_NONE);   /* straight to the gate */
    assert_same(&native, &translated);
    assert_int_equal(translated.eflags & 0x8D5, 0x8D5);  /* the image's flags */
    assert_int_equal(translated.reg[4], BT_H_STACK_TOP);
    assert_int_equal(bt_h_page(&translated)->iret_if & (BT_EFLAGS_IF >> 8), BT_EFLAGS_IF >> 8);
}

/* Back to the guest's ring 0 with the CS it runs with: EIP through the
 * lookup (an exit here: the table is empty), the image's flags but IF and
 * IOPL, its IF into the page. The runner runs at ring 3, where the CPU's
 * own IRET to CS 0x08 faults: the expected state is written out. */
static void test_iret_to_ring0_runs_without_an_exit(void **state)
{
    (void)state;
    for (uint32_t image_if = 0; image_if <= BT_EFLAGS_IF; image_if += BT_EFLAGS_IF) {
        /* The frame's CS word's high half is not the selector's (the CPU
         * reads 16 bits of it: SDM vol. 2A, IRET). */
        iret_machine(&translated, 0xABCD0008, 0x8D7 | image_if, 0);
        bt_h_page(&translated)->vif = BT_EFLAGS_IF ^ image_if;
        bt_h_page(&translated)->viopl = BT_EFLAGS_IOPL;
        bt_tc_init(&tc, &translated, false);
        assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_LOOKUP);
        struct bt_vcpu_page *p = bt_h_page(&translated);
        assert_int_equal(p->exit_eip, BT_H_GATE);
        assert_int_equal(p->vif, image_if);
        assert_int_equal(p->viopl, 0);
        assert_int_equal(p->kernel_irets, 1);
        assert_int_equal(translated.reg[4], BT_H_STACK_TOP);
        assert_int_equal(translated.reg[1], IRET_ECX);
        assert_int_equal(translated.reg[0], 0x55667788);
        assert_int_equal(translated.eflags & 0xCD5, 0x8D5);   /* OF SF ZF AF PF CF as the image, DF 0 */
        assert_int_equal(translated.eflags & BT_EFLAGS_IF, BT_EFLAGS_IF);   /* the real IF stays */
    }
}

/* The return site of the RET that ends block b learns another target than
 * RET_TARGET (bt_lookup.h): a return to RET_TARGET then misses, into the
 * lookup routine. */
#define OTHER_TARGET (BT_H_CODE + 0x200)
static void learn_other_target(const struct bt_block *b)
{
    uint32_t learn = b->tc_address + b->map[0].tc_offset + BT_RET_SITE_LEARN;
    struct bt_site_layout s;
    assert_true(bt_site_parse(bt_h_ptr(&translated, learn), learn, BT_H_TC_END - learn, &s));
    bt_site_learn(bt_h_ptr(&translated, learn), learn, &s, OTHER_TARGET, tc.rt.lookup);
}

/* An interrupt's exit at any instruction of the lookup routine, on its
 * hit path (the target in the table) and its miss path: the guest's EAX,
 * ECX and flags are where the layout says (bt_lookup.h), the RET done
 * (ESP past the return address, the target in the page). Each boundary is
 * made the exit by a JMP to the gate written over the instruction there. */
#define RET_TARGET (BT_H_CODE + 0x100)
static void test_an_exit_inside_the_lookup_finds_the_guest_registers(void **state)
{
    (void)state;
    static const uint8_t ret[] = { 0xc3 };
    unsigned boundaries = 0;
    for (unsigned hit = 0; hit < 2; hit++) {
        for (unsigned k = 0;; k++) {
            load(&translated, ret, sizeof(ret));
            translated.reg[4] -= 4;
            memcpy(bt_h_ptr(&translated, translated.reg[4]), &(uint32_t){ RET_TARGET }, 4);
            translated.reg[0] = 0x11223344;
            translated.reg[1] = 0x55667788;
            translated.eflags = 0xA97;                  /* OF SF AF PF CF, IF */
            bt_tc_init(&tc, &translated, false);
            if (hit)                                    /* the table's entry: the gate itself */
                bt_lookup_set(bt_h_page(&translated), RET_TARGET, BT_H_GATE);
            const struct bt_block *b = bt_tc_block(&tc, BT_H_CODE);
            assert_non_null(b);
            learn_other_target(b);                      /* so that this return takes the routine */
            const struct bt_lookup_layout *l = &tc.lookup_layout;
            uint32_t at = l->start;                     /* the k-th instruction's address */
            for (unsigned i = 0; i < k && at < l->end; i++) {
                struct x86_insn in;
                assert_int_equal(x86_decode(bt_h_ptr(&translated, at), l->end - at, X86_MODE_32, &in),
                                 X86_DECODE_OK);
                at += in.length;
            }
            if (at >= l->end)
                break;
            uint8_t *p = bt_h_ptr(&translated, at);
            p[0] = 0xE9;                                /* jmp BT_H_GATE */
            uint32_t rel = BT_H_GATE - (at + 5);
            memcpy(p + 1, &rel, 4);
            assert_true(bt_h_run(&translated, b->tc_address, false));
            uint32_t eax = translated.reg[0], ecx = translated.reg[1], eflags = translated.eflags;
            if (bt_lookup_in_slot(l, BT_LOOKUP_EAX, at))
                eax = bt_lookup_slot(bt_h_page(&translated), BT_LOOKUP_EAX, 0);
            if (bt_lookup_in_slot(l, BT_LOOKUP_ECX, at))
                ecx = bt_lookup_slot(bt_h_page(&translated), BT_LOOKUP_ECX, 0);
            if (bt_lookup_in_slot(l, BT_LOOKUP_FLAGS, at))
                eflags = bt_lookup_slot(bt_h_page(&translated), BT_LOOKUP_FLAGS, eflags);
            if (eax != 0x11223344 || ecx != 0x55667788 || (eflags & 0x8D5) != (0xA97 & 0x8D5))
                fail_msg("%s path, exit at the routine's instruction %u (+%u): EAX %08x ECX %08x EFLAGS %08x",
                         hit ? "hit" : "miss", k, at - l->start, eax, ecx, eflags);
            assert_int_equal(translated.reg[4], BT_H_STACK_TOP);
            assert_int_equal(bt_h_page(&translated)->target, RET_TARGET);
            boundaries++;
        }
    }
    assert_true(boundaries >= 2 * 25);                  /* every instruction of it, both paths */
}

static void test_iret_exits_where_the_hypervisor_must_act(void **state)
{
    (void)state;
    static const struct {
        uint32_t eip, cs, eflags, pending, cs_complement;
    } cases[] = {
        { BT_H_GATE, 0x20, 0xAD7, 0, 0x10000 - 0x08 },  /* to ring 0 with another CS */
        { BT_H_GATE, 0x08, 0xAD7, 0, 0 },               /* with none the hypervisor checked */
        { BT_H_GATE, 0x08, 0xAD7, 0, 0x10000 - 0x18 },  /* another CS checked */
        { 0xFC000000, 0x08, 0xAD7, 0, 0x10000 - 0x08 }, /* EIP past the limit */
        { 0xFFFFFFFF, 0x08, 0xAD7, 0, 0x10000 - 0x08 },
        { BT_H_GATE, 0x08, 0x10AD7, 0, 0x10000 - 0x08 }, /* RF */
        { BT_H_GATE, 0x08, 0x40AD7, 0, 0x10000 - 0x08 }, /* AC */
        { BT_H_GATE, 0x08, 0x200AD7, 0, 0x10000 - 0x08 }, /* ID */
        { BT_H_GATE, 0x08, 0xBD7, 0, 0x10000 - 0x08 },  /* TF */
        { BT_H_GATE, 0x08, 0x1AD7, 0, 0x10000 - 0x08 }, /* IOPL 1 */
        { BT_H_GATE, 0x08, 0x4AD7, 0, 0x10000 - 0x08 }, /* NT */
        { BT_H_GATE, 0x08, 0xAD7, BT_EFLAGS_IF, 0x10000 - 0x08 }, /* an interrupt waits */
        { BT_H_GATE, 0x20, 0xAD7, 0, 0 },               /* to the guest's ring 0 */
        { BT_H_GATE, 0x23, 0x20AD7, 0, 0 },             /* VM set: virtual-8086 mode at ring 0 */
        { BT_H_GATE, 0x23, 0xAD7, BT_EFLAGS_IF, 0 },    /* an interrupt waits */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        iret_machine_to(&translated, cases[i].eip, cases[i].cs, cases[i].eflags, cases[i].pending);
        bt_h_page(&translated)->iret_cs_complement = cases[i].cs_complement;
        bt_tc_init(&tc, &translated, false);
        const struct bt_block *b = bt_tc_block(&tc, BT_H_CODE);
        assert_non_null(b);
        assert_true(bt_h_run(&translated, b->tc_address, false));
        assert_int_equal(bt_h_page(&translated)->exit_kind, BT_EXIT_EMULATE);
        assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 5);
        /* The state before it: ECX, EAX and the flags the guest had. */
        assert_int_equal(translated.reg[1], IRET_ECX);
        assert_int_equal(translated.reg[0], 0x55667788);
        assert_int_equal(bt_h_page(&translated)->kernel_irets, 0);
        assert_int_equal(translated.reg[4], BT_H_STACK_TOP - 12);
        assert_int_equal(translated.eflags & 0x8D5, 0x2C3 & 0x8D5);
    }
}

/* mov $0x2B, %eax; stc; mov %ax, %gs; push $0x33; pop %gs; with the
 * selectors the GS table lets through: the loads go into the page, without
 * an exit, and nothing else changes (CF kept); one it does not: an EMULATE
 * exit at that instruction, the state before it. */
static void gs_machine(struct bt_machine *m, bool let_0x33_through)
{
    static const uint8_t code[] = { 0xb8, 0x2b, 0x00, 0x00, 0x00, 0xf9, 0x8e, 0xe8, 0x6a, 0x33, 0x0f, 0xa9 };
    load(m, code, sizeof(code));
    m->reg[1] = 0x5eed;
    uint8_t *ok = bt_h_ptr(m, BT_H_VCPU + BT_GS_OK);
    ok[0x2b] = 1;
    ok[0x33] = let_0x33_through;
    bt_h_page(m)->selector[BT_GS] = bt_h_page(m)->gs_real = 0x7;
}

static void test_gs_loads_checked_before_need_no_exit(void **state)
{
    (void)state;
    gs_machine(&translated, true);
    bt_tc_init(&tc, &translated, false);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_BRANCH);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_GATE);
    assert_int_equal(tc.exits[BT_EXIT_EMULATE], 0);
    assert_int_equal(bt_h_page(&translated)->selector[BT_GS], 0x33);
    assert_int_equal(bt_h_page(&translated)->gs_real, 0x33);
    assert_int_equal(translated.reg[4], BT_H_STACK_TOP);                /* POP popped */
    assert_int_equal(translated.reg[1], 0x5eed);
    assert_int_equal(translated.reg[0], 0x2b);
    assert_true(translated.eflags & 1);                                 /* STC's CF */
}

static void test_gs_loads_not_checked_exit(void **state)
{
    (void)state;
    gs_machine(&translated, false);
    bt_tc_init(&tc, &translated, false);
    assert_int_equal(bt_tc_run(&tc, BT_H_CODE, 10), BT_EXIT_EMULATE);
    assert_int_equal(bt_h_page(&translated)->exit_eip, BT_H_CODE + 10);     /* POP GS */
    assert_int_equal(bt_h_page(&translated)->selector[BT_GS], 0x2b);        /* MOV's went in */
    assert_int_equal(translated.reg[4], BT_H_STACK_TOP - 4);                /* not popped */
    assert_int_equal(translated.reg[1], 0x5eed);
    assert_true(translated.eflags & 1);
}

static void test_chain_and_unchain(void **state)
{
    (void)state;
    static uint8_t buf[256];
    struct bt_emit e = { buf, 0x1000, 0, sizeof(buf), false };
    struct bt_runtime rt = { 0x9000, 0x9100 };
    uint32_t slot = bt_emit_slot(&e, &rt, 0x4242);
    assert_int_equal(e.pos, BT_SLOT_SIZE);
    uint8_t before[BT_SLOT_SIZE];
    memcpy(before, buf, sizeof(before));
    assert_true(bt_is_slot(buf, slot));
    assert_false(bt_is_slot(buf, slot + 1));            /* it names its own address */
    assert_int_equal(bt_chained_to(buf, slot), slot + 5);
    bt_chain(buf, slot, 0x2000);
    assert_int_equal(bt_chained_to(buf, slot), 0x2000);
    assert_true(bt_is_slot(buf, slot));
    assert_memory_equal(buf + 5, before + 5, BT_SLOT_SIZE - 5);   /* only rel32 changed */
    bt_unchain(buf, slot);
    assert_memory_equal(buf, before, BT_SLOT_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_instructions_copied_identically),
        cmocka_unit_test(test_jcc_both_ways),
        cmocka_unit_test(test_call_pushes_the_guest_return_address),
        cmocka_unit_test(test_returns_hit_the_lookup),
        cmocka_unit_test(test_return_sites_learn_their_first_target),
        cmocka_unit_test(test_loop_chains),
        cmocka_unit_test(test_a_taken_jcc_goes_straight_to_its_target),
        cmocka_unit_test(test_block_ends_at_the_page_boundary),
        cmocka_unit_test(test_undecodable_bytes_exit_with_ud),
        cmocka_unit_test(test_no_code_past_the_bytes_given),
        cmocka_unit_test(test_cli_sti_and_pushf),
        cmocka_unit_test(test_popf),
        cmocka_unit_test(test_pending_interrupt_exits_when_the_virtual_if_goes_on),
        cmocka_unit_test(test_segment_reads_give_the_guests_selectors),
        cmocka_unit_test(test_descriptor_table_reads_give_the_guests_tables),
        cmocka_unit_test(test_segment_loads_update_the_page),
        cmocka_unit_test(test_ordinary_segment_loads_go_through_the_check),
        cmocka_unit_test(test_a_selector_just_put_in_ax_needs_no_check),
        cmocka_unit_test(test_the_hypervisors_selectors_exit_before_the_load),
        cmocka_unit_test(test_the_hypervisors_instructions_exit),
        cmocka_unit_test(test_port_io_copied_in_the_block),
        cmocka_unit_test(test_control_register_reads_give_the_guests),
        cmocka_unit_test(test_iret_to_user_mode_runs_without_an_exit),
        cmocka_unit_test(test_iret_to_ring0_runs_without_an_exit),
        cmocka_unit_test(test_an_exit_inside_the_lookup_finds_the_guest_registers),
        cmocka_unit_test(test_iret_exits_where_the_hypervisor_must_act),
        cmocka_unit_test(test_gs_loads_checked_before_need_no_exit),
        cmocka_unit_test(test_gs_loads_not_checked_exit),
        cmocka_unit_test(test_chain_and_unchain),
        cmocka_unit_test(test_unprotected_block_ends_after_a_store_ahead),
    };
    return RUN_UNIT_TESTS("bt_block", tests);
}
