/*
 * fuzz_entry_check.c: hv/check/entry_check*.c, the VM-entry checker, on a VMCS
 * whose fields the fuzzer chooses.
 *
 * The hypervisor runs the checker on whatever its VMCS holds when an entry
 * fails (vmcheck=1, or a student's broken lab), so it must name rules, not
 * crash, whatever that is. The input's first byte picks the starting VMCS
 * (tests/unit/vmcs_model.c: the paging-off guest or the paging guest, both
 * valid); then every field of vmcs_fields.h, in its order, is XORed with
 * the next bytes of the input (as many as the field is wide). An empty or
 * all-zero input is the valid VMCS, which must pass; any other must give,
 * for each broken rule, a section, a title, a rule, a field that exists
 * (or 0), and a line entry_violation_format writes inside its buffer.
 * Between the two, the checker must read only fields that exist.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "check/entry_check.h"
#include "vmx/vmcs_fields.h"
#include "vmcs_model.h"

static const unsigned fields[] = {
#define FIELD_ENCODING(name, enc) enc,
    VMCS_FIELD_LIST(FIELD_ENCODING)
#undef FIELD_ENCODING
};

static struct vmcs vmcs;
static unsigned reported;

/* Bytes of a field: its width, from bits 14:13 of its encoding (SDM vol. 3,
 * 25.11.2): 16-bit, 64-bit, 32-bit, natural width (64 bits here). */
static unsigned field_bytes(unsigned encoding)
{
    static const unsigned bytes[4] = { 2, 8, 4, 8 };
    return bytes[(encoding >> 13) & 3];
}

/* The fields that exist, as a table: vmcs_field_name's switch, asked on
 * every read, took a tenth of the time. */
static bool exists[VMCS_SIZE];

static uint64_t vmcs_read(void *ctx, unsigned field)
{
    FUZZ_CHECK(field < VMCS_SIZE && exists[field], "the checker read VMCS field 0x%x", field);
    return ((struct vmcs *)ctx)->field[field];
}

static void report(void *ctx, const struct entry_violation *v)
{
    (void)ctx;
    FUZZ_CHECK(v->section && v->title && v->rule && v->section[0] && v->rule[0], "a violation unnamed");
    FUZZ_CHECK(v->field == 0 || vmcs_field_name(v->field), "a violation on field 0x%x", v->field);
    FUZZ_CHECK(strnlen(v->detail, sizeof(v->detail)) < sizeof(v->detail), "a detail not terminated");
    /* The console line, cut short and whole, each in a block of exactly
     * its size (for the first few violations: formatting is most of the
     * time a run takes, and the lines differ only in their values). */
    if (reported < 4) {
        char *probe = malloc(1);
        int n = entry_violation_format(probe, 1, v);
        FUZZ_CHECK(n > 0 && probe[0] == '\0', "the line of SDM %s: length %d", v->section, n);
        char *line = malloc((size_t)n + 1);
        FUZZ_CHECK(entry_violation_format(line, (size_t)n + 1, v) == n && strlen(line) == (size_t)n,
                   "the line of SDM %s changed length", v->section);
        free(line);
        free(probe);
    }
    reported++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!exists[fields[0]])
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            exists[fields[i]] = true;
    struct fuzz_input in = { data, size, 0 };
    build_valid(&vmcs, fuzz_take(&in, 1) & 1 ? PAGING_ON_RESTRICTED : PAGING_OFF_UNRESTRICTED);
    uint64_t changed = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        uint64_t x = fuzz_take(&in, field_bytes(fields[i]));
        vmcs.field[fields[i]] ^= x;
        changed |= x;
    }
    reported = 0;
    unsigned n = entry_check(&tigerlake, vmcs_read, &vmcs, report, NULL);
    FUZZ_CHECK(n == reported, "entry_check says %u violations, reported %u", n, reported);
    FUZZ_CHECK(changed || n == 0, "the valid VMCS broke %u rules", n);
    return 0;
}
