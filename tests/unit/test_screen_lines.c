/*
 * test_screen_lines.c: hv/exit/screen_lines.c, the text screen as lines of
 * the log: rows logged once, when the cursor has left them; scrolls found
 * from the rows already logged; a cleared screen printed again; the VM's
 * end down to the last row that is not blank; what a row's bytes become.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "exit/screen_lines.h"

static struct screen_lines s;
static uint16_t cells[VGA_CELLS];
static char logged[64][VGA_COLUMNS + 1];
static unsigned n_logged;

static void emit(void *ctx, const char *text)
{
    assert_ptr_equal(ctx, &s);
    assert_true(n_logged < 64);
    assert_true(strlen(text) <= VGA_COLUMNS);
    strcpy(logged[n_logged++], text);
}

static int setup(void **state)
{
    (void)state;
    screen_lines_init(&s, emit, &s);
    for (unsigned i = 0; i < VGA_CELLS; i++)
        cells[i] = 0x0720;
    n_logged = 0;
    return 0;
}

static void write_row(unsigned row, const char *text)
{
    for (unsigned col = 0; col < VGA_COLUMNS; col++)
        cells[row * VGA_COLUMNS + col] = (uint16_t)(0x1F00 | (*text ? (uint8_t)*text++ : ' '));
}

static void scroll_up(void)
{
    memmove(cells, cells + VGA_COLUMNS, (VGA_ROWS - 1) * VGA_COLUMNS * sizeof(cells[0]));
    write_row(VGA_ROWS - 1, "");
}

static void test_rows_above_the_cursor(void **state)
{
    (void)state;
    write_row(0, "first");
    screen_lines_look(&s, cells, 0);                  /* the cursor still on row 0 */
    assert_int_equal(n_logged, 0);
    write_row(1, "second, half");
    screen_lines_look(&s, cells, 1);
    assert_int_equal(n_logged, 1);
    assert_string_equal(logged[0], "first");
    screen_lines_look(&s, cells, 1);                  /* no change: nothing again */
    write_row(1, "second, whole");
    screen_lines_look(&s, cells, 3);                  /* a blank line printed: it counts */
    assert_int_equal(n_logged, 3);
    assert_string_equal(logged[1], "second, whole");
    assert_string_equal(logged[2], "");
}

static void test_scroll(void **state)
{
    (void)state;
    char text[32];
    for (unsigned i = 0; i < 40; i++) {               /* a kernel printing 40 lines */
        unsigned row = i < VGA_ROWS ? i : VGA_ROWS - 1;
        snprintf(text, sizeof text, "line %u", i);
        write_row(row, text);
        if (i >= VGA_ROWS - 1)
            scroll_up();                               /* its newline at the bottom */
        screen_lines_look(&s, cells, i < VGA_ROWS - 1 ? i + 1 : VGA_ROWS - 1);
    }
    assert_int_equal(n_logged, 40);
    for (unsigned i = 0; i < 40; i++) {
        snprintf(text, sizeof text, "line %u", i);
        assert_string_equal(logged[i], text);
    }
}

static void test_scrolled_several_between_looks(void **state)
{
    (void)state;
    write_row(0, "a");
    write_row(1, "b");
    write_row(2, "c");
    screen_lines_look(&s, cells, 3);
    for (unsigned i = 3; i < VGA_ROWS; i++)
        write_row(i, "x");
    scroll_up();
    scroll_up();                                       /* "c" on row 0, the x rows 1-22 */
    screen_lines_look(&s, cells, VGA_ROWS - 2);        /* the cursor on row 23 */
    assert_int_equal(n_logged, 3 + VGA_ROWS - 3);      /* the 22 x rows, once, and no "c" again */
    assert_string_equal(logged[3], "x");
    assert_string_equal(logged[n_logged - 1], "x");
}

static void test_cleared_and_printed_again(void **state)
{
    (void)state;
    write_row(0, "before");
    screen_lines_look(&s, cells, 1);
    write_row(0, "after");                             /* cleared, the cursor home, printed */
    screen_lines_look(&s, cells, 1);
    assert_int_equal(n_logged, 2);
    assert_string_equal(logged[1], "after");
}

static void test_status_row_rewritten(void **state)
{
    (void)state;
    write_row(0, "status 1");
    write_row(1, "log a");
    screen_lines_look(&s, cells, 2);
    write_row(0, "status 2");                          /* only the top row changed: */
    write_row(2, "log b");
    screen_lines_look(&s, cells, 3);                   /* no scroll, the two new rows */
    assert_int_equal(n_logged, 4);
    assert_string_equal(logged[2], "status 2");
    assert_string_equal(logged[3], "log b");
}

static void test_end(void **state)
{
    (void)state;
    write_row(0, "never a cursor");
    write_row(3, "last");                              /* rows 1-2 blank between */
    screen_lines_end(&s, cells, VGA_ROWS);             /* the cursor off the screen */
    assert_int_equal(n_logged, 4);
    assert_string_equal(logged[0], "never a cursor");
    assert_string_equal(logged[1], "");
    assert_string_equal(logged[3], "last");
    setup(NULL);
    write_row(0, "x");
    screen_lines_end(&s, cells, 2);                    /* the cursor below a blank row */
    assert_int_equal(n_logged, 2);
}

static void test_text(void **state)
{
    (void)state;
    char text[VGA_COLUMNS + 1];
    for (unsigned col = 0; col < VGA_COLUMNS; col++)
        cells[col] = 0x0700;                           /* NUL: a space */
    cells[0] = 0x0741;
    cells[1] = 0x070A;                                 /* a newline on the screen: no new log line */
    cells[2] = 0x07B3;                                 /* CP437's box-drawing bar */
    cells[3] = 0x077F;
    cells[79] = 0x077E;
    screen_lines_text(cells, 0, text);
    assert_int_equal(strlen(text), VGA_COLUMNS);
    assert_memory_equal(text, "A???", 4);
    assert_int_equal(text[4], ' ');
    assert_int_equal(text[79], '~');
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rows_above_the_cursor), T(test_scroll), T(test_scrolled_several_between_looks),
        T(test_cleared_and_printed_again), T(test_status_row_rewritten), T(test_end), T(test_text),
    };
    return RUN_UNIT_TESTS("screen_lines", tests);
}
