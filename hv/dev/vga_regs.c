/*
 * vga_regs.c: a VGA's registers in colour text mode. See vga_regs.h.
 */
#include "dev/vga_regs.h"
#include "string.h"

#define PORT_ATTR        0x3C0
#define PORT_ATTR_READ   0x3C1
#define PORT_MISC_WRITE  0x3C2           /* read: input status 0 */
#define PORT_SEQ_INDEX   0x3C4
#define PORT_SEQ_DATA    0x3C5
#define PORT_DAC_MASK    0x3C6
#define PORT_DAC_READ    0x3C7           /* read: the DAC's state */
#define PORT_DAC_WRITE   0x3C8
#define PORT_DAC_DATA    0x3C9
#define PORT_FEATURE     0x3CA           /* read; written at 0x3DA */
#define PORT_MISC_READ   0x3CC
#define PORT_GFX_INDEX   0x3CE
#define PORT_GFX_DATA    0x3CF
#define PORT_CRTC_INDEX  0x3D4
#define PORT_CRTC_DATA   0x3D5
#define PORT_STATUS1     0x3DA

#define STATUS1_DISPLAY_DISABLED 0x01
#define STATUS1_VRETRACE         0x08
#define ATTR_INDEX_MASK          0x3F    /* the index (4:0) and PAS (5) */
#define HALF_HIGH 1u
#define HALF_LOW  2u

/* Mode 3's registers as the IBM VGA BIOS sets them (VGA Technical
 * Reference, "Video Parameter Table", mode 3+), the cursor location 0. */
static const uint8_t crtc_mode3[VGA_CRTC_REGS] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
static const uint8_t attr_mode3[VGA_ATTR_REGS] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C,
    0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};
static const uint8_t seq_mode3[VGA_SEQ_REGS] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t gfx_mode3[VGA_GFX_REGS] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF };

void vga_regs_reset(struct vga_regs *r)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->crtc, crtc_mode3, sizeof(r->crtc));
    memcpy(r->attr, attr_mode3, sizeof(r->attr));
    memcpy(r->seq, seq_mode3, sizeof(r->seq));
    memcpy(r->gfx, gfx_mode3, sizeof(r->gfx));
    r->attr_index = 0x20;                /* PAS set: the screen on */
    r->misc = 0x67;                      /* colour ports, 28 MHz clock, RAM on */
    r->dac_mask = 0xFF;
    /* The 64 EGA colours in the DAC's first entries, each component two
     * bits (a primary worth 2/3 and a secondary worth 1/3 of 63): bits 0-2
     * blue, green, red, bits 3-5 their secondaries. */
    for (unsigned i = 0; i < 64; i++)
        for (unsigned c = 0; c < 3; c++) {
            unsigned bit = 2 - c;        /* dac[i][0] is red: bit 2 */
            r->dac[i][c] = (uint8_t)(42 * ((i >> bit) & 1) + 21 * ((i >> (bit + 3)) & 1));
        }
}

bool vga_regs_port(uint16_t port)
{
    return (port >= PORT_ATTR && port <= PORT_GFX_DATA) || port == PORT_CRTC_INDEX ||
           port == PORT_CRTC_DATA || port == PORT_STATUS1;
}

/* A register of a file of n indexed by index, or NULL past its end, where
 * reads give 0xFF and writes are dropped, as on a card that decodes no more. */
static uint8_t *indexed(uint8_t *file, unsigned n, uint8_t index)
{
    return index < n ? &file[index] : NULL;
}

static uint8_t read_indexed(uint8_t *file, unsigned n, uint8_t index)
{
    uint8_t *reg = indexed(file, n, index);
    return reg ? *reg : 0xFF;
}

static void write_indexed(uint8_t *file, unsigned n, uint8_t index, uint8_t value)
{
    uint8_t *reg = indexed(file, n, index);
    if (reg)
        *reg = value;
}

/* Input status 1: the vertical retrace on every other pair of reads, the
 * display disabled on every other read, as the beam sweeps; a kernel that
 * waits for the retrace to start or to end sees it in a few reads. */
static uint8_t read_status1(struct vga_regs *r)
{
    unsigned n = r->status_reads++;
    r->attr_data_next = false;
    return (uint8_t)(((n & 1) ? STATUS1_DISPLAY_DISABLED : 0) | ((n & 2) ? STATUS1_VRETRACE : 0));
}

static uint8_t read_dac(struct vga_regs *r)
{
    uint8_t value = r->dac[r->dac_read][r->dac_part];
    if (++r->dac_part == 3) {
        r->dac_part = 0;
        r->dac_read++;
    }
    return value;
}

static void write_dac(struct vga_regs *r, uint8_t value)
{
    r->dac[r->dac_write][r->dac_part] = value & 0x3F;
    if (++r->dac_part == 3) {
        r->dac_part = 0;
        r->dac_write++;
    }
}

uint8_t vga_regs_read(struct vga_regs *r, uint16_t port)
{
    switch (port) {
    case PORT_ATTR:       return r->attr_index;
    case PORT_ATTR_READ:  return read_indexed(r->attr, VGA_ATTR_REGS, r->attr_index & 0x1F);
    case PORT_MISC_WRITE: return 0x00;                 /* input status 0: no switch sense, no interrupt */
    case PORT_SEQ_INDEX:  return r->seq_index;
    case PORT_SEQ_DATA:   return read_indexed(r->seq, VGA_SEQ_REGS, r->seq_index);
    case PORT_DAC_MASK:   return r->dac_mask;
    case PORT_DAC_READ:   return r->dac_reading ? 0x03 : 0x00;
    case PORT_DAC_WRITE:  return r->dac_write;
    case PORT_DAC_DATA:   return read_dac(r);
    case PORT_FEATURE:    return r->feature;
    case PORT_MISC_READ:  return r->misc;
    case PORT_GFX_INDEX:  return r->gfx_index;
    case PORT_GFX_DATA:   return read_indexed(r->gfx, VGA_GFX_REGS, r->gfx_index);
    case PORT_CRTC_INDEX: return r->crtc_index;
    case PORT_CRTC_DATA:  return read_indexed(r->crtc, VGA_CRTC_REGS, r->crtc_index);
    case PORT_STATUS1:    return read_status1(r);
    default:              return 0xFF;                 /* 0x3C3, 0x3CB, 0x3CD: nothing there */
    }
}

/* A write to the CRTC's data port; true when it completes a cursor
 * location (vga_regs.h). */
static bool write_crtc(struct vga_regs *r, uint8_t value)
{
    write_indexed(r->crtc, VGA_CRTC_REGS, r->crtc_index, value);
    unsigned half = r->crtc_index == VGA_CRTC_CURSOR_HIGH ? HALF_HIGH
                  : r->crtc_index == VGA_CRTC_CURSOR_LOW  ? HALF_LOW : 0;
    if (!half)
        return false;
    bool again = r->cursor_halves & half;
    r->cursor_halves |= half;
    if (!again && r->cursor_halves != (HALF_HIGH | HALF_LOW))
        return false;
    r->cursor_halves = 0;
    return true;
}

bool vga_regs_write(struct vga_regs *r, uint16_t port, uint8_t value)
{
    switch (port) {
    case PORT_ATTR:
        if (r->attr_data_next)
            write_indexed(r->attr, VGA_ATTR_REGS, r->attr_index & 0x1F, value);
        else
            r->attr_index = value & ATTR_INDEX_MASK;
        r->attr_data_next = !r->attr_data_next;
        return false;
    case PORT_MISC_WRITE: r->misc = value; return false;
    case PORT_SEQ_INDEX:  r->seq_index = value; return false;
    case PORT_SEQ_DATA:   write_indexed(r->seq, VGA_SEQ_REGS, r->seq_index, value); return false;
    case PORT_DAC_MASK:   r->dac_mask = value; return false;
    case PORT_DAC_READ:   r->dac_read = value; r->dac_part = 0; r->dac_reading = true; return false;
    case PORT_DAC_WRITE:  r->dac_write = value; r->dac_part = 0; r->dac_reading = false; return false;
    case PORT_DAC_DATA:   write_dac(r, value); return false;
    case PORT_GFX_INDEX:  r->gfx_index = value; return false;
    case PORT_GFX_DATA:   write_indexed(r->gfx, VGA_GFX_REGS, r->gfx_index, value); return false;
    case PORT_CRTC_INDEX: r->crtc_index = value; return false;
    case PORT_CRTC_DATA:  return write_crtc(r, value);
    case PORT_STATUS1:    r->feature = value; return false;   /* feature control, colour address */
    default:              return false;                       /* read-only or nothing there */
    }
}

uint16_t vga_regs_start(const struct vga_regs *r)
{
    return (uint16_t)(r->crtc[VGA_CRTC_START_HIGH] << 8 | r->crtc[VGA_CRTC_START_LOW]);
}

uint16_t vga_regs_cursor(const struct vga_regs *r)
{
    return (uint16_t)(r->crtc[VGA_CRTC_CURSOR_HIGH] << 8 | r->crtc[VGA_CRTC_CURSOR_LOW]);
}
