/*
 * test_sensitive.c: hv/x86/sensitive.c (which instructions are sensitive but
 * do not trap at ring 1) and lib/elf_code.c (where an ELF file's code is),
 * checked two ways:
 *   - hand-picked instructions of each kind, and near misses that are not
 *     (LLDT and LTR trap; VMCALL shares SGDT's opcode);
 *   - the scan of each 32-bit program the kit builds, section by section,
 *     against objdump's disassembly of the same file: per kind, the scan
 *     must find exactly the instructions objdump names (pushf, popf, a mov
 *     or push from a segment register, sgdt/sidt/sldt/str, lar/lsl/verr/
 *     verw, iret), and every byte of the code must decode.
 */
#include "unit.h"
#include <regex.h>
#include "elf_code.h"
#include "objdump_listing.h"
#include "x86/sensitive.h"

static enum sensitive_kind kind_of(const char *hex)
{
    uint8_t bytes[16];
    size_t n = 0;
    for (const char *p = hex; *p; ) {
        char *end;
        bytes[n++] = (uint8_t)strtoul(p, &end, 16);
        p = end;
        while (*p == ' ')
            p++;
    }
    struct x86_insn in;
    assert_int_equal(x86_decode(bytes, n, 4, &in), X86_DECODE_OK);
    assert_int_equal(in.length, n);
    return sensitive_kind(&in);
}

static void test_each_kind(void **state)
{
    (void)state;
    assert_int_equal(kind_of("9c"), SENSITIVE_PUSHF);
    assert_int_equal(kind_of("66 9c"), SENSITIVE_PUSHF);          /* pushfw */
    assert_int_equal(kind_of("9d"), SENSITIVE_POPF);
    assert_int_equal(kind_of("8c c8"), SENSITIVE_SEGMENT_READ);   /* mov %cs, %eax */
    assert_int_equal(kind_of("8c 15 00 10 00 00"), SENSITIVE_SEGMENT_READ);   /* mov %ss, 0x1000 */
    assert_int_equal(kind_of("0e"), SENSITIVE_SEGMENT_READ);      /* push %cs */
    assert_int_equal(kind_of("16"), SENSITIVE_SEGMENT_READ);      /* push %ss */
    assert_int_equal(kind_of("0f a8"), SENSITIVE_SEGMENT_READ);   /* push %gs */
    assert_int_equal(kind_of("0f 01 05 00 10 00 00"), SENSITIVE_DESCRIPTOR_TABLE_READ);   /* sgdt */
    assert_int_equal(kind_of("0f 01 0d 00 10 00 00"), SENSITIVE_DESCRIPTOR_TABLE_READ);   /* sidt */
    assert_int_equal(kind_of("0f 00 c0"), SENSITIVE_DESCRIPTOR_TABLE_READ);   /* sldt %eax */
    assert_int_equal(kind_of("0f 00 c8"), SENSITIVE_DESCRIPTOR_TABLE_READ);   /* str %eax */
    assert_int_equal(kind_of("0f 02 c1"), SENSITIVE_SEGMENT_PROBE);           /* lar %ecx, %eax */
    assert_int_equal(kind_of("0f 03 c1"), SENSITIVE_SEGMENT_PROBE);           /* lsl */
    assert_int_equal(kind_of("0f 00 e0"), SENSITIVE_SEGMENT_PROBE);           /* verr %eax */
    assert_int_equal(kind_of("0f 00 e8"), SENSITIVE_SEGMENT_PROBE);           /* verw %eax */
    assert_int_equal(kind_of("cf"), SENSITIVE_IRET);
}

static void test_near_misses(void **state)
{
    (void)state;
    assert_int_equal(kind_of("8e d8"), SENSITIVE_NONE);           /* mov %eax, %ds: a load */
    assert_int_equal(kind_of("1f"), SENSITIVE_NONE);              /* pop %ds */
    assert_int_equal(kind_of("0f 00 d0"), SENSITIVE_NONE);        /* lldt: traps at ring 1 */
    assert_int_equal(kind_of("0f 00 d8"), SENSITIVE_NONE);        /* ltr: traps */
    assert_int_equal(kind_of("0f 01 15 00 10 00 00"), SENSITIVE_NONE);   /* lgdt: traps */
    assert_int_equal(kind_of("0f 01 c1"), SENSITIVE_NONE);        /* vmcall: SGDT's opcode, mod 3 */
    assert_int_equal(kind_of("0f 01 e0"), SENSITIVE_NONE);        /* smsw %eax: VT-x shadows it */
    assert_int_equal(kind_of("fa"), SENSITIVE_NONE);              /* cli: traps */
    assert_int_equal(kind_of("b8 9d 9c 8c 0e"), SENSITIVE_NONE);  /* the bytes, inside an immediate */
    /* Encodings the CPU answers with #UD: patched, they would be emulated. */
    assert_int_equal(kind_of("8c f0"), SENSITIVE_NONE);           /* segment register 6 */
    assert_int_equal(kind_of("8c f8"), SENSITIVE_NONE);           /* segment register 7 */
    assert_int_equal(kind_of("f0 9c"), SENSITIVE_NONE);           /* lock pushf */
    assert_int_equal(kind_of("f0 0f 00 c8"), SENSITIVE_NONE);     /* lock str */
    assert_int_equal(kind_of("f0 0f 01 05 00 10 00 00"), SENSITIVE_NONE);   /* lock sgdt */
}

static void test_scan_skips_what_does_not_decode(void **state)
{
    (void)state;
    /* push %cs; 0F 36, undefined: the scan skips the 0F and reads on, so
     * 36 9D is POPF with an SS prefix. */
    const uint8_t code[] = { 0x0E, 0x0F, 0x36, 0x9D };
    struct sensitive_scan scan = { 0 };
    sensitive_scan_code(code, sizeof(code), 0x1000, &scan, NULL, NULL);
    assert_int_equal(scan.count[SENSITIVE_SEGMENT_READ], 1);
    assert_int_equal(scan.count[SENSITIVE_POPF], 1);
    assert_int_equal(scan.undecodable, 1);
    assert_int_equal(scan.count[SENSITIVE_NONE], 0);
}

/* ---- against objdump, file by file ---- */

struct census {
    struct sensitive_scan scan;           /* every section's, summed */
    unsigned sections;
};

static void scan_section(void *ctx, uint64_t address, const uint8_t *bytes, uint64_t size,
                         uint64_t physical)
{
    (void)physical;
    struct census *c = ctx;
    sensitive_scan_code(bytes, size, (uint32_t)address, &c->scan, NULL, NULL);
    c->sections++;
}

/* objdump's name for an instruction, as a kind: the patterns match its
 * AT&T text after any prefix words (cs, data16, lock, rep...). */
static const char *const patterns[SENSITIVE_KINDS] = {
    [SENSITIVE_PUSHF] = "^pushf[wl]?$",
    [SENSITIVE_POPF] = "^popf[wl]?$",
    [SENSITIVE_SEGMENT_READ] = "^(mov[wl]? +%[cdefgs]s,|push[wl]? +%[cdefgs]s$)",
    [SENSITIVE_DESCRIPTOR_TABLE_READ] = "^(sgdt|sidt|sldt|str)[wl]? ",
    [SENSITIVE_SEGMENT_PROBE] = "^(lar|lsl|verr|verw)[wl]? ",
    [SENSITIVE_IRET] = "^iret[wld]?$",
};

struct objdump_census {
    regex_t re[SENSITIVE_KINDS], prefix;
    unsigned count[SENSITIVE_KINDS];
};

static void name_one(void *ctx, uint64_t address, const uint8_t *bytes, size_t n, const char *text)
{
    (void)address;
    (void)bytes, (void)n;
    struct objdump_census *c = ctx;
    regmatch_t m;
    while (regexec(&c->prefix, text, 1, &m, 0) == 0)
        text += m.rm_eo;
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        if (regexec(&c->re[k], text, 0, NULL, 0) == 0)
            c->count[k]++;
}

static void compare_file(const char *path, unsigned *files, unsigned totals[SENSITIVE_KINDS])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    static uint8_t file[4 << 20];
    size_t size = fread(file, 1, sizeof(file), f);
    fclose(f);

    struct census mine = { 0 };
    assert_true(elf_code_sections(file, size, scan_section, &mine) >= 1);
    if (mine.scan.undecodable)
        fail_msg("%s: %u bytes of code do not decode", path, mine.scan.undecodable);

    struct objdump_census theirs = { 0 };
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        assert_int_equal(regcomp(&theirs.re[k], patterns[k], REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regcomp(&theirs.prefix, "^(cs|ds|es|fs|gs|ss|data16|data32|addr16|addr32|lock|"
                                             "rep[nez]*|notrack|bnd) +", REG_EXTENDED), 0);
    char command[600];
    snprintf(command, sizeof(command), "objdump -d --insn-width=16 %s", path);
    if (!objdump_listing(command, name_one, &theirs))
        fail_msg("%s failed", command);
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++) {
        if (mine.scan.count[k] != theirs.count[k])
            fail_msg("%s: %s: the scan found %u, objdump names %u", path,
                     sensitive_kind_name((enum sensitive_kind)k), mine.scan.count[k], theirs.count[k]);
        totals[k] += mine.scan.count[k];
        regfree(&theirs.re[k]);
    }
    regfree(&theirs.prefix);
    (*files)++;
}

static void test_the_kits_own_programs(void **state)
{
    (void)state;
    char list[] = X86_DECODE_ELVES;
    unsigned files = 0, totals[SENSITIVE_KINDS] = { 0 };
    for (char *path = strtok(list, " "); path; path = strtok(NULL, " "))
        compare_file(path, &files, totals);
    print_message("sensitive: %u files scanned as objdump reads them:", files);
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        print_message(" %s %u%s", sensitive_kind_name((enum sensitive_kind)k), totals[k],
                      k + 1 < SENSITIVE_KINDS ? "," : "\n");
    assert_true(files >= 3);
    /* The guest OS's virtcheck probes every kind, so each must be found. */
    for (int k = SENSITIVE_NONE + 1; k < SENSITIVE_KINDS; k++)
        assert_true(totals[k] > 0);
}

static void test_files_without_sections(void **state)
{
    (void)state;
    uint8_t not_elf[64] = { 0 };
    struct census c = { 0 };
    assert_int_equal(elf_code_sections(not_elf, sizeof(not_elf), scan_section, &c), -1);
    assert_int_equal(c.sections, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_kind),
        cmocka_unit_test(test_near_misses),
        cmocka_unit_test(test_scan_skips_what_does_not_decode),
        cmocka_unit_test(test_the_kits_own_programs),
        cmocka_unit_test(test_files_without_sections),
    };
    return RUN_UNIT_TESTS("sensitive", tests);
}
