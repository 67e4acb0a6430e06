/*
 * vga_regs.h: the registers of a VGA in colour text mode 3 (80x25), as a
 * PC kernel that prints on the screen reaches them (issue 18). A pure
 * model: the hypervisor (exit/vm_cga.c) and the host unit tests
 * (tests/unit/test_vga_regs.c) run it as it is.
 *
 * The screen itself is memory, guest RAM at 0xB8000 (a character byte and
 * an attribute byte per cell); these are the ports around it (IBM VGA
 * Technical Reference, "Register Descriptions"):
 *   0x3D4/0x3D5  the CRT controller's index and data (0x00-0x18; the
 *                cursor's shape 0x0A/0x0B, the start address 0x0C/0x0D,
 *                the cursor location 0x0E/0x0F, each stored and read back);
 *   0x3DA        input status 1 (read: vertical retrace and display
 *                disabled, toggling at each read, so that a kernel that
 *                waits for a retrace sees one; the read resets the
 *                attribute controller's flip-flop to "index");
 *   0x3C0/0x3C1  the attribute controller (index and data at one port,
 *                alternately, by that flip-flop; 0x3C1 reads its data);
 *   0x3C2/0x3CC  miscellaneous output (write at 0x3C2, read at 0x3CC; 0x3C2
 *                reads input status 0);
 *   0x3C4/0x3C5  the sequencer, 0x3CE/0x3CF the graphics controller;
 *   0x3C6-0x3C9  the DAC: its pixel mask, read and write indexes, the
 *                palette's 256 entries of 3 six-bit components;
 *   0x3CA        feature control (read; written at 0x3DA).
 * Each starts as a BIOS leaves mode 3. The CRTC stays at 0x3Dx whatever
 * the guest writes to the miscellaneous output's bit 0: the monochrome
 * ports 0x3B4/0x3B5/0x3BA have no device, as on a colour card.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define VGA_COLUMNS 80
#define VGA_ROWS    25
#define VGA_CELLS   (VGA_COLUMNS * VGA_ROWS)
#define VGA_TEXT_BASE  0xB8000u          /* the colour text screen's memory */
#define VGA_TEXT_CELLS 16384u            /* its 32 KiB window, in cells: where addresses wrap */

enum {
    VGA_CRTC_CURSOR_START = 0x0A, VGA_CRTC_CURSOR_END = 0x0B,
    VGA_CRTC_START_HIGH = 0x0C, VGA_CRTC_START_LOW = 0x0D,
    VGA_CRTC_CURSOR_HIGH = 0x0E, VGA_CRTC_CURSOR_LOW = 0x0F,
    VGA_CRTC_REGS = 0x19, VGA_ATTR_REGS = 0x15, VGA_SEQ_REGS = 0x05, VGA_GFX_REGS = 0x09,
};
#define VGA_CURSOR_DISABLE 0x20          /* cursor start's bit 5: no cursor shown */

struct vga_regs {
    uint8_t crtc_index, crtc[VGA_CRTC_REGS];
    uint8_t attr_index;                  /* with bit 5, PAS (palette address source) */
    bool attr_data_next;                 /* the flip-flop: the next 0x3C0 write is data */
    uint8_t attr[VGA_ATTR_REGS];
    uint8_t misc;
    uint8_t seq_index, seq[VGA_SEQ_REGS];
    uint8_t gfx_index, gfx[VGA_GFX_REGS];
    uint8_t dac_mask, dac_read, dac_write, dac_part;   /* dac_part: 0-2, the component next */
    bool dac_reading;                    /* 0x3C7 reads 3 after a read index, 0 after a write */
    uint8_t dac[256][3];
    uint8_t feature;
    uint8_t status_reads;                /* input status 1's toggling */
    uint8_t cursor_halves;               /* the cursor-location halves written since the last look */
};

/* Mode 3 as a BIOS leaves it: the cursor at 0, lines 13-14 of 16. */
void vga_regs_reset(struct vga_regs *r);

/* Is port one of the model's? */
bool vga_regs_port(uint16_t port);

/* A byte read from port (one of vga_regs_port's). */
uint8_t vga_regs_read(struct vga_regs *r, uint16_t port);

/* A byte written to port. True when the write completes a new cursor
 * location (both halves written, or one half written again: a kernel that
 * writes only the half that changed): the moment to look at the screen,
 * with the cursor where the kernel meant it, not half-way. */
bool vga_regs_write(struct vga_regs *r, uint16_t port, uint8_t value);

/* The start address and cursor location, in cells from 0xB8000. */
uint16_t vga_regs_start(const struct vga_regs *r);
uint16_t vga_regs_cursor(const struct vga_regs *r);
