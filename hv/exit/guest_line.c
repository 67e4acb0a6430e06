/* guest_line.c: the guest's console lines, quoted and made visible (see
 * guest_line.h; the prefixes are README.md's "Console protocol"). */
#include "exit/guest_line.h"

static const char *const reserved_prefixes[] = { "hv:", "PANIC", "POWEROFF", "hvrun:", "(vm" };
#define N_PREFIXES (sizeof(reserved_prefixes) / sizeof(reserved_prefixes[0]))

void guest_line_init(struct guest_line *g, void (*emit)(void *ctx, char c), void *ctx,
                     const char *tag)
{
    *g = (struct guest_line){ .emit = emit, .ctx = ctx, .tag = tag };
}

static void emit_text(struct guest_line *g, const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        g->emit(g->ctx, s[i]);
}

/* The line's first character is about to go out: its VM's tag first. */
static void emit_tag(struct guest_line *g)
{
    if (g->tagged)
        return;
    for (const char *t = g->tag; *t; t++)
        g->emit(g->ctx, *t);
    g->tagged = true;
}

/* Newline and tab pass; every other byte outside printable ASCII is '?'. */
static char visible(uint8_t byte)
{
    if (byte == '\n' || byte == '\t' || (byte >= 0x20 && byte < 0x7F))
        return (char)byte;
    return '?';
}

/* Is held[] the start of a reserved prefix (partial), the whole of one
 * (full), or neither? */
static void match_prefixes(const struct guest_line *g, bool *partial, bool *full)
{
    *partial = *full = false;
    for (unsigned i = 0; i < N_PREFIXES; i++) {
        const char *p = reserved_prefixes[i];
        unsigned k = 0;
        while (k < g->held_len && p[k] == g->held[k])
            k++;
        if (k == g->held_len) {
            if (p[k] == 0)
                *full = true;
            else
                *partial = true;
        }
    }
}

/* The line's start is known: quoted or not, out it goes. */
static void release_held(struct guest_line *g, bool quote)
{
    if (quote || g->held_len)
        emit_tag(g);
    if (quote)
        emit_text(g, GUEST_LINE_QUOTE, sizeof(GUEST_LINE_QUOTE) - 1);
    emit_text(g, g->held, g->held_len);
    g->held_len = 0;
    g->decided = true;
}

static void next_line(struct guest_line *g)
{
    g->held_len = 0;
    g->started = g->decided = g->tagged = false;
}

void guest_line_put(struct guest_line *g, uint8_t byte)
{
    /* Serial consoles end lines with CR LF (GNU Mach, the BSDs): the CR is
     * dropped, never shown, so that nothing of a line can overwrite its
     * start on a terminal, and a CR before a reserved prefix still leaves
     * the prefix at the line's start, where it is quoted. */
    if (byte == '\r')
        return;
    char c = visible(byte);
    if (c == '\n') {
        release_held(g, false);      /* "PAN\n": too short for a prefix */
        g->emit(g->ctx, '\n');
        next_line(g);
        return;
    }
    g->started = true;
    if (g->decided) {
        g->emit(g->ctx, c);
        return;
    }
    g->held[g->held_len++] = c;
    bool partial, full;
    match_prefixes(g, &partial, &full);
    if (full)
        release_held(g, true);       /* "hv:" is decided at once, before "hvrun:" */
    else if (!partial)
        release_held(g, false);
}

void guest_line_end(struct guest_line *g)
{
    if (!g->started)
        return;
    release_held(g, false);
    g->emit(g->ctx, '\n');
    next_line(g);
}
