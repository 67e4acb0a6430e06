/*
 * fuzz_guest_line.c: hv/exit/guest_line.c, the relay of the guest's console
 * bytes to COM1, on arbitrary bytes.
 *
 * The input's first byte chooses the relay's VM: odd, a later VM's relay
 * with the tag "(vm1) "; even, VM 0's, with none. The rest is what the
 * guest sends, byte by byte; 0xFF escapes: 0xFF 0xFF is the byte 0xFF, 0xFF
 * and anything else is the hypervisor printing a line of its own
 * (guest_line_end). The relay ends with guest_line_end. Checked against a
 * model written from the console protocol (README.md):
 *   - the output is exactly the model's: each guest line, its carriage
 *     returns dropped and its other bytes outside printable ASCII (but
 *     tab) made '?', "(guest) " before a line that
 *     starts with "hv:", "PANIC", "POWEROFF", "hvrun:" or "(vm", the tag
 *     before a line that is not empty, a newline after;
 *   - VM 0's: no output line starts with a reserved prefix; a later VM's:
 *     every output line but an empty one starts with its tag;
 *   - after guest_line_end the output is empty or ends with a newline.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "exit/guest_line.h"

static const char *const prefixes[] = { "hv:", "PANIC", "POWEROFF", "hvrun:", "(vm" };
#define TAG "(vm1) "

struct text {
    char *s;
    size_t len, cap;
};

static void text_add(struct text *t, char c)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
    t->s[t->len++] = c;
}

static void emit(void *ctx, char c)
{
    text_add(ctx, c);
}

static bool reserved(const char *line, size_t len)
{
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && memcmp(line, prefixes[i], n) == 0)
            return true;
    }
    return false;
}

/* The model's line: the guest's bytes made visible, quoted if reserved,
 * the tag first unless it is empty. */
static void model_line(struct text *want, const struct text *line, const char *tag)
{
    for (const char *t = tag; *t && line->len; t++)
        text_add(want, *t);
    if (reserved(line->s, line->len))
        for (const char *q = GUEST_LINE_QUOTE; *q; q++)
            text_add(want, *q);
    for (size_t i = 0; i < line->len; i++)
        text_add(want, line->s[i]);
    text_add(want, '\n');
}

static char visible(uint8_t b)
{
    return b == '\t' || (b >= 0x20 && b < 0x7F) ? (char)b : '?';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct text got = { 0 }, want = { 0 }, line = { 0 };
    bool started = false;
    struct guest_line g;
    const char *tag = size && (data[0] & 1) ? TAG : "";
    guest_line_init(&g, emit, &got, tag);
    for (size_t i = size ? 1 : 0; i < size; i++) {
        uint8_t b = data[i];
        bool end = false;
        if (b == 0xFF && i + 1 < size) {
            end = data[++i] != 0xFF;
        }
        if (end) {
            guest_line_end(&g);
            FUZZ_CHECK(got.len == 0 || got.s[got.len - 1] == '\n', "a half line left before the hypervisor's");
            if (started)
                model_line(&want, &line, tag);
            line.len = 0;
            started = false;
            continue;
        }
        guest_line_put(&g, b);
        if (b == '\r') {
            continue;
        } else if (b == '\n') {
            model_line(&want, &line, tag);
            line.len = 0;
            started = false;
        } else {
            text_add(&line, visible(b));
            started = true;
        }
    }
    guest_line_end(&g);
    if (started)
        model_line(&want, &line, tag);
    FUZZ_CHECK(got.len == want.len && (got.len == 0 || memcmp(got.s, want.s, got.len) == 0),
               "relayed %zu bytes, the model %zu", got.len, want.len);
    for (size_t at = 0; at < got.len;) {
        const char *nl = memchr(got.s + at, '\n', got.len - at);
        size_t n = nl ? (size_t)(nl - (got.s + at)) : got.len - at;
        if (*tag)
            FUZZ_CHECK(n == 0 || (n >= strlen(TAG) && memcmp(got.s + at, TAG, strlen(TAG)) == 0),
                       "a line of a later VM's without its tag");
        else
            FUZZ_CHECK(!reserved(got.s + at, n), "an output line starts with a reserved prefix");
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK(got.s[at + k] == '\t' || (got.s[at + k] >= 0x20 && got.s[at + k] < 0x7F),
                       "byte 0x%02x on the console", (unsigned char)got.s[at + k]);
        at += n + 1;
    }
    free(got.s);
    free(want.s);
    free(line.s);
    return 0;
}
