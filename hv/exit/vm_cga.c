/*
 * vm_cga.c: a VM's text screen under devices=virtual. See vm_cga.h.
 */
#include "exit/vm_cga.h"
#include "dev/vga_regs.h"
#include "exit/screen_lines.h"
#include "exit/vm_devices.h"
#include "guest/guest.h"
#include "guest/vm.h"
#include "printf.h"
#include "exit/port_io.h"

static void log_line(void *ctx, const char *text)
{
    const struct vcpu *v = ctx;
    printf("hv: %sscreen: %s\n", v->guest->tag, text);
}

void vm_cga_start(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    vga_regs_reset(&d->vga);
    screen_lines_init(&d->screen, log_line, v);
}

/* The screen's cells now, from the start address on, wrapping in the
 * 32 KiB window at 0xB8000 as the CRTC's addresses do in text mode: a start
 * address anywhere reads the guest's screen memory, nothing past it.
 * False if the VM's RAM does not reach that far. */
static bool read_screen(struct vcpu *v, uint16_t *cells)
{
    const uint16_t *window = guest_ptr(v->guest, VGA_TEXT_BASE, VGA_TEXT_CELLS * 2);
    if (!window)
        return false;
    uint16_t start = vga_regs_start(&v->vm->devices->vga);
    for (unsigned i = 0; i < VGA_CELLS; i++)
        cells[i] = window[(start + i) % VGA_TEXT_CELLS];
    return true;
}

/* The cursor's cell on the screen, or VGA_CELLS and more if it is off it. */
static unsigned cursor_cell(const struct vga_regs *r)
{
    return (uint16_t)(vga_regs_cursor(r) - vga_regs_start(r)) % VGA_TEXT_CELLS;
}

/* The kernel has set its cursor: the rows above it are complete. Even
 * where it was before: at the bottom row each newline scrolls and puts the
 * cursor back at the row's start. */
static void look(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    unsigned cell = cursor_cell(&d->vga);
    if (cell < VGA_CELLS && read_screen(v, d->screen_now))
        screen_lines_look(&d->screen, d->screen_now, cell / VGA_COLUMNS);
}

bool vm_cga_exit(struct vcpu *v, const struct io_qual *io)
{
    for (unsigned i = 0; i < io->size; i++)
        if (!vga_regs_port((uint16_t)(io->port + i)))
            return false;
    struct vm_devices *d = v->vm->devices;
    if (io->in) {
        uint32_t value = 0;
        for (unsigned i = 0; i < io->size; i++)
            value |= (uint32_t)vga_regs_read(&d->vga, (uint16_t)(io->port + i)) << (8 * i);
        io_in_result(v, io, value);
    } else {
        bool cursor_set = false;
        for (unsigned i = 0; i < io->size; i++)
            cursor_set |= vga_regs_write(&d->vga, (uint16_t)(io->port + i), (uint8_t)(io_out_value(v, io) >> (8 * i)));
        if (cursor_set)
            look(v);
    }
    advance_rip(v);
    return true;
}

static char hex_digit(unsigned n)
{
    return "0123456789abcdef"[n & 0xF];
}

/* The dump's row lines: each row not all zero, cell by cell, character
 * then attribute, two hex digits each. */
static void dump_rows(const struct vcpu *v, const uint16_t *cells)
{
    char hex[VGA_COLUMNS * 4 + 1];
    for (unsigned row = 0; row < VGA_ROWS; row++) {
        bool used = false;
        for (unsigned col = 0; col < VGA_COLUMNS; col++) {
            uint16_t cell = cells[row * VGA_COLUMNS + col];
            used |= cell != 0;
            uint8_t character = (uint8_t)cell, attribute = (uint8_t)(cell >> 8);
            hex[col * 4 + 0] = hex_digit(character >> 4);
            hex[col * 4 + 1] = hex_digit(character);
            hex[col * 4 + 2] = hex_digit(attribute >> 4);
            hex[col * 4 + 3] = hex_digit(attribute);
        }
        hex[VGA_COLUMNS * 4] = '\0';
        if (used)
            printf("hv: %sscreen row %u %s\n", v->guest->tag, row, hex);
    }
}

void vm_cga_end(struct vcpu *v)
{
    struct vm_devices *d = v->vm->devices;
    uint16_t *cells = d->screen_now;
    if (!d->screen.emit || !read_screen(v, cells))   /* its devices never started */
        return;
    bool used = false;
    for (unsigned i = 0; i < VGA_CELLS; i++)
        used |= cells[i] != 0;
    if (!used)
        return;                          /* a guest that never wrote its screen: no lines */
    unsigned cell = cursor_cell(&d->vga);
    screen_lines_end(&d->screen, cells, cell < VGA_CELLS ? cell / VGA_COLUMNS : VGA_ROWS);
    uint8_t shape_start = d->vga.crtc[VGA_CRTC_CURSOR_START], shape_end = d->vga.crtc[VGA_CRTC_CURSOR_END];
    if (cell < VGA_CELLS && !(shape_start & VGA_CURSOR_DISABLE))
        printf("hv: %sscreen dump %ux%u cursor %u,%u lines %u-%u\n", v->guest->tag, VGA_COLUMNS, VGA_ROWS,
               cell / VGA_COLUMNS, cell % VGA_COLUMNS, shape_start & 0x1F, shape_end & 0x1F);
    else
        printf("hv: %sscreen dump %ux%u cursor off\n", v->guest->tag, VGA_COLUMNS, VGA_ROWS);
    dump_rows(v, cells);
}
