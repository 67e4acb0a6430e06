/*
 * fuzz_options.c: hv/boot/options.c, the parser of the hypervisor's command
 * line (the user's ARGS="..."), on arbitrary text.
 *
 * The input, cut at its first NUL, is the command line. It is parsed with
 * error buffers of several sizes, each a heap block of exactly that size,
 * so that a message written one byte too far is caught. Checked:
 *   - the verdict and the options do not depend on the error buffer's size;
 *   - an error is NUL-terminated inside its buffer, and empty on success;
 *   - every option parsed holds a value its table allows (balloon=: each
 *     VM's steps within the limits, their times increasing).
 */
#include "fuzz.h"
#include "boot/options.h"

static const size_t err_sizes[] = { 0, 1, 17, 160 };   /* 160: as the hypervisor's */
#define SIZES (sizeof(err_sizes) / sizeof(err_sizes[0]))

static void check_name(const char *name, size_t max)
{
    size_t len = strnlen(name, max);
    FUZZ_CHECK(len < max, "a name option not terminated");
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(name[i] > ' ' && name[i] != '=', "a name holding 0x%02x", (unsigned char)name[i]);
}

static void check_values(const struct hv_options *o)
{
    FUZZ_CHECK(strcmp(options_value_name("mem", o->mem), "?") != 0, "mem=%u", o->mem);
    FUZZ_CHECK(strcmp(options_value_name("cpu", o->cpu), "?") != 0, "cpu=%u", o->cpu);
    FUZZ_CHECK(strcmp(options_value_name("fault", o->fault), "?") != 0, "fault=%u", o->fault);
    FUZZ_CHECK(strcmp(options_value_name("gdb", o->gdb), "?") != 0, "gdb=%u", o->gdb);
    FUZZ_CHECK(o->vms >= 1 && o->vms <= 4, "vms=%u", o->vms);
    FUZZ_CHECK(o->guestmem_mib >= 4 && o->guestmem_mib <= 1024, "guestmem=%u", o->guestmem_mib);
    FUZZ_CHECK(o->vmcheck <= 2 && o->scan <= 1 && o->patch <= 1, "a 0-or-1 option out of range");
    FUZZ_CHECK(o->vmcs_break_at <= 1000000, "vmcs_break_at=%u", o->vmcs_break_at);
    check_name(o->test, sizeof(o->test));
    check_name(o->vmcs_break, sizeof(o->vmcs_break));
    for (unsigned vm = 0; vm < BALLOON_VMS_MAX; vm++) {
        FUZZ_CHECK(o->balloon.steps[vm] <= BALLOON_STEPS_MAX, "balloon: %u steps", o->balloon.steps[vm]);
        for (unsigned i = 0; i < o->balloon.steps[vm]; i++) {
            const struct balloon_step *st = &o->balloon.step[vm][i];
            FUZZ_CHECK(st->mib >= 1 && st->mib <= BALLOON_MIB_MAX, "balloon: %u MiB", st->mib);
            FUZZ_CHECK(!i || st->at_ms > st[-1].at_ms, "balloon: %u ms after %u ms", st->at_ms, st[-1].at_ms);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *cmdline = fuzz_copy(data, size, 1);
    struct hv_options first;
    bool first_ok = false;
    for (size_t i = 0; i < SIZES; i++) {
        size_t n = err_sizes[i];
        char *err = malloc(n);   /* 0 bytes: AddressSanitizer still gives a block, and catches any write */
        struct hv_options o;
        bool ok = options_parse(cmdline, &o, err, n);
        if (n)
            FUZZ_CHECK(strnlen(err, n) < n && (!ok || err[0] == '\0'),
                       "the error in a %zu-byte buffer", n);
        if (i == 0) {
            first = o;
            first_ok = ok;
        }
        FUZZ_CHECK(ok == first_ok, "parsed with a %zu-byte error buffer: %d, with none: %d", n, ok, first_ok);
        if (ok) {
            FUZZ_CHECK(memcmp(&o, &first, sizeof(o)) == 0, "the options differ with a %zu-byte error buffer", n);
            check_values(&o);
        }
        free(err);
    }
    free(cmdline);
    return 0;
}
