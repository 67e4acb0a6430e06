/*
 * fuzz_screen.c: hv/dev/vga_regs.c and hv/exit/screen_lines.c, the text
 * screen's ports and its lines in the log, on arbitrary scripts of what a
 * guest can do: write and read the VGA's ports, write its screen's cells,
 * and move its cursor (which makes the hypervisor look).
 *
 * The input is a script, one step per byte; the low two bits say what it is:
 *   0  a port (0x3C0 + the next byte's low 5 bits) written with the byte after;
 *   1  that port read;
 *   2  a run of cells written: a cell number (2 bytes), a count (1), a cell (2);
 *   3  a look, its rows complete the next byte's (mod 26), or the VM's end.
 * After every step:
 *   - the CRTC's, sequencer's and graphics controller's index reads back as
 *     written, input status 1 has no bit but 0 and 3;
 *   - each line the screen gives is at most 80 printable ASCII characters
 *     with no trailing space, and a look gives no more lines than the rows
 *     it calls complete;
 *   - a row complete at two looks in a row, unchanged, is given once.
 */
#include <stdbool.h>
#include "fuzz.h"
#include "dev/vga_regs.h"
#include "exit/screen_lines.h"

static unsigned lines;

static void emit(void *ctx, const char *text)
{
    (void)ctx;
    size_t n = strlen(text);
    FUZZ_CHECK(n <= VGA_COLUMNS, "a line of %zu characters", n);
    FUZZ_CHECK(n == 0 || text[n - 1] != ' ', "a trailing space");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(text[i] >= 0x20 && text[i] < 0x7F, "byte 0x%02x in a line", (uint8_t)text[i]);
    lines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size, 0 };
    static struct vga_regs r;
    static struct screen_lines s;
    static uint16_t cells[VGA_CELLS];
    vga_regs_reset(&r);
    screen_lines_init(&s, emit, NULL);
    memset(cells, 0, sizeof cells);
    while (in.pos < in.size) {
        uint8_t step = (uint8_t)fuzz_take(&in, 1);
        uint16_t port = (uint16_t)(0x3C0 + (fuzz_take(&in, 1) & 0x1F));
        switch (step & 3) {
        case 0: {
            uint8_t value = (uint8_t)fuzz_take(&in, 1);
            (void)vga_regs_write(&r, port, value);
            if (port == 0x3D4 || port == 0x3C4 || port == 0x3CE)
                FUZZ_CHECK(vga_regs_read(&r, port) == value, "index 0x%02x reads 0x%02x", value,
                           vga_regs_read(&r, port));
            break;
        }
        case 1: {
            uint8_t value = vga_regs_read(&r, port);
            if (port == 0x3DA)
                FUZZ_CHECK(!(value & ~0x09), "input status 1 reads 0x%02x", value);
            break;
        }
        case 2: {
            unsigned at = (unsigned)fuzz_take(&in, 2) % VGA_CELLS, n = (unsigned)fuzz_take(&in, 1);
            uint16_t cell = (uint16_t)fuzz_take(&in, 2);
            for (unsigned i = 0; i < n && at + i < VGA_CELLS; i++)
                cells[at + i] = cell;
            break;
        }
        case 3: {
            unsigned rows = port % 26, before = lines;
            if (rows == VGA_ROWS) {
                screen_lines_end(&s, cells, (unsigned)fuzz_take(&in, 1));
                FUZZ_CHECK(lines - before <= VGA_ROWS, "%u lines at the end", lines - before);
                break;
            }
            screen_lines_look(&s, cells, rows);
            FUZZ_CHECK(lines - before <= rows, "%u lines for %u complete rows", lines - before, rows);
            before = lines;
            screen_lines_look(&s, cells, rows);
            FUZZ_CHECK(lines == before, "%u rows given again with nothing changed", lines - before);
            break;
        }
        }
    }
    return 0;
}
