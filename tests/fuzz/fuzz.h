/*
 * fuzz.h: what every libFuzzer target in tests/fuzz/ includes.
 *
 * A target is one C file with LLVMFuzzerTestOneInput, linked with the kit's
 * own pure module sources (tests/fuzz/fuzz.mk) and built with AddressSanitizer
 * and UndefinedBehaviorSanitizer, so an out-of-bounds read or an undefined
 * shift in a parser aborts the run. FUZZ_CHECK adds what the sanitizers
 * cannot see: the module's own contract (a decoded length inside the
 * buffer, a kernel extent that holds its segments, ...).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the module under test. When it fails: say which, and
 * abort(), which libFuzzer reports as a crash and saves the input under
 * build/fuzz/crashes/. */
#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz: %s:%d: invariant broken: %s: ", __FILE__,    \
                    __LINE__, #cond);                                           \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* The fuzzer's bytes, read front to back as little-endian numbers. Past the
 * end every read gives 0, so any input is a complete one. */
struct fuzz_input {
    const uint8_t *data;
    size_t size, pos;
};

static inline uint64_t fuzz_take(struct fuzz_input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->pos < in->size; i++)
        v |= (uint64_t)in->data[in->pos++] << (8 * i);
    return v;
}

/* A copy of data[0..size) in a heap block of exactly that size (plus a NUL
 * if terminate), so that AddressSanitizer catches a read one byte past it.
 * The caller frees it. */
static inline void *fuzz_copy(const void *data, size_t size, int terminate)
{
    char *p = malloc(size + (terminate ? 1 : 0));
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    if (terminate)
        p[size] = '\0';
    return p;
}
