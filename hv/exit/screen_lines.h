/*
 * screen_lines.h: what a guest prints on its text screen, as lines of the
 * run's log (issue 18; a pure module: any mode, also the host unit tests,
 * as guest_line.c is for COM1).
 *
 * The screen stays plain guest RAM, written at full speed with no exit;
 * the hypervisor looks at it at a few moments only (exit/vm_cga.c): when
 * the guest's kernel has set its cursor location (the CRTC writes most
 * kernels make after printing), and at the VM's end. At each look, the
 * rows above the cursor are complete; each is logged once, the first
 * time it is seen complete. A scroll is found by the rows already logged:
 * the shift k (0-25) under which most of them stand, moved up by k, in the
 * screen now; those are not logged again, and every other complete row
 * is, in order from the top. A kernel that clears its screen and prints
 * again has its new rows logged; one that never touches its cursor has
 * its rows logged at the VM's end, down to its last row that is not blank
 * (screen_lines_end).
 *
 * A line is the row's characters, 0x20-0x7E as they are, NUL a space,
 * every other byte '?', its trailing spaces cut: so no row can end a log
 * line or pass for another.
 *
 * A limit: a scroll can be told only from the text; a line that is the
 * same as the one above it, scrolled in at the bottom, reads as no change.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "dev/vga_regs.h"

/* A cell: the character in bits 7:0, its attribute in 15:8 (guest memory's order). */
struct screen_lines {
    uint16_t seen[VGA_CELLS];           /* the screen at the last look */
    uint32_t seen_hash[VGA_ROWS];       /* each row's text as a number (screen_lines.c) */
    bool logged[VGA_ROWS];              /* that row of seen[] is in the log */
    void (*emit)(void *ctx, const char *text);
    void *ctx;
};

void screen_lines_init(struct screen_lines *s, void (*emit)(void *ctx, const char *text), void *ctx);

/* A look at the screen (cells, VGA_CELLS of them): rows 0 to complete_rows
 * - 1 are complete (the cursor's row: rows above it), and each of them not
 * yet logged is emitted. */
void screen_lines_look(struct screen_lines *s, const uint16_t *cells, unsigned complete_rows);

/* The VM's end: the rows down to the cursor's (cursor_row, or VGA_ROWS if
 * the cursor is not on the screen) and to the last row that is not blank
 * are complete. */
void screen_lines_end(struct screen_lines *s, const uint16_t *cells, unsigned cursor_row);

/* Row row of cells as a log line (screen_lines.h's rule): at most
 * VGA_COLUMNS characters and a NUL in text. */
void screen_lines_text(const uint16_t *cells, unsigned row, char text[VGA_COLUMNS + 1]);
