/*
 * screen_lines.c: a guest's text screen as lines of the log. See
 * screen_lines.h.
 */
#include "exit/screen_lines.h"
#include "string.h"

void screen_lines_init(struct screen_lines *s, void (*emit)(void *ctx, const char *text), void *ctx)
{
    memset(s, 0, sizeof(*s));
    s->emit = emit;
    s->ctx = ctx;
}

static char visible(uint16_t cell)
{
    uint8_t c = (uint8_t)cell;
    if (c == 0)
        return ' ';
    return c >= 0x20 && c < 0x7F ? (char)c : '?';
}

void screen_lines_text(const uint16_t *cells, unsigned row, char text[VGA_COLUMNS + 1])
{
    unsigned len = 0;
    for (unsigned col = 0; col < VGA_COLUMNS; col++) {
        text[col] = visible(cells[row * VGA_COLUMNS + col]);
        if (text[col] != ' ')
            len = col + 1;
    }
    text[len] = '\0';
}

/* Do two rows show the same text (their attributes aside)? */
static bool same_text(const uint16_t *a, const uint16_t *b)
{
    for (unsigned col = 0; col < VGA_COLUMNS; col++)
        if (visible(a[col]) != visible(b[col]))
            return false;
    return true;
}

static const uint16_t *row_of(const uint16_t *cells, unsigned row)
{
    return cells + row * VGA_COLUMNS;
}

/* A row's text as a number (FNV-1a): rows compared by it first, so that
 * finding a scroll costs 25 x 25 comparisons of numbers, not of rows. */
static uint32_t row_hash(const uint16_t *row)
{
    uint32_t h = 2166136261u;
    for (unsigned col = 0; col < VGA_COLUMNS; col++)
        h = (h ^ (uint8_t)visible(row[col])) * 16777619u;
    return h;
}

/* How many logged rows stand, moved up by k rows, in the screen now (by
 * their numbers). */
static unsigned logged_rows_at(const struct screen_lines *s, const uint32_t *now, unsigned k)
{
    unsigned n = 0;
    for (unsigned row = 0; row + k < VGA_ROWS; row++)
        n += s->logged[row + k] && now[row] == s->seen_hash[row + k];
    return n;
}

/* The scroll since the last look: the shift under which most logged rows
 * stand; the smaller one of a tie (no scroll, if nothing stands). */
static unsigned scrolled_by(const struct screen_lines *s, const uint32_t *now)
{
    unsigned best = 0, best_rows = 0;
    for (unsigned k = 0; k < VGA_ROWS; k++) {
        unsigned n = logged_rows_at(s, now, k);
        if (n > best_rows) {
            best = k;
            best_rows = n;
        }
    }
    return best;
}

void screen_lines_look(struct screen_lines *s, const uint16_t *cells, unsigned complete_rows)
{
    uint32_t now[VGA_ROWS];
    for (unsigned row = 0; row < VGA_ROWS; row++)
        now[row] = row_hash(row_of(cells, row));
    unsigned k = scrolled_by(s, now);
    bool logged[VGA_ROWS];
    for (unsigned row = 0; row < VGA_ROWS; row++)
        logged[row] = row + k < VGA_ROWS && s->logged[row + k] && now[row] == s->seen_hash[row + k] &&
                      same_text(row_of(cells, row), row_of(s->seen, row + k));
    for (unsigned row = 0; row < complete_rows && row < VGA_ROWS; row++) {
        if (logged[row])
            continue;
        char text[VGA_COLUMNS + 1];
        screen_lines_text(cells, row, text);
        s->emit(s->ctx, text);
        logged[row] = true;
    }
    memcpy(s->logged, logged, sizeof(logged));
    memcpy(s->seen, cells, sizeof(s->seen));
    memcpy(s->seen_hash, now, sizeof(now));
}

void screen_lines_end(struct screen_lines *s, const uint16_t *cells, unsigned cursor_row)
{
    unsigned complete = cursor_row < VGA_ROWS ? cursor_row : 0;
    for (unsigned row = 0; row < VGA_ROWS; row++) {
        char text[VGA_COLUMNS + 1];
        screen_lines_text(cells, row, text);
        if (text[0] && row + 1 > complete)
            complete = row + 1;
    }
    screen_lines_look(s, cells, complete);
}
