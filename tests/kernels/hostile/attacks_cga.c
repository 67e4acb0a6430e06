/*
 * attacks_cga.c: the CGA/VGA text screen (issue 18) under devices=virtual:
 * the screen at 0xB8000, guest RAM written with no exit, and the VGA's
 * ports (hv/dev/vga_regs.c through hv/exit/vm_cga.c). First as a PC
 * kernel prints: the cursor read from the CRT controller, cells written,
 * the cursor moved after each line, the screen scrolled; the hypervisor
 * logs each line once ("hv: screen: ...", checked by
 * tests/integration/hv_cases.py's screen cases). Then as a hostile kernel:
 * the cursor and the start address past the screen and past 0xBFFFF,
 * every CRTC index, a flood of input-status reads, every access size,
 * and the whole of 0xA0000-0xBFFFF written.
 */
#include <stdbool.h>
#include "attack.h"
#include "fmt.h"
#include "string.h"
#include "x86io.h"

#define COLUMNS 80
#define ROWS    25
#define CRTC_INDEX 0x3D4
#define CRTC_DATA  0x3D5
#define STATUS1    0x3DA

/* The screen's memory, hidden from the compiler (a constant address it
 * might take for an object of known size). */
static volatile uint16_t *screen(void)
{
    uintptr_t p = 0xB8000;
    __asm__("" : "+r"(p));
    return (volatile uint16_t *)p;
}

static uint8_t crtc_get(uint8_t index)
{
    outb(CRTC_INDEX, index);
    return inb(CRTC_DATA);
}

static void crtc_set(uint8_t index, uint8_t value)
{
    outb(CRTC_INDEX, index);
    outb(CRTC_DATA, value);
}

/* ---- a PC kernel's console (as in the OSDev wiki's and Linux's vgacon) ---- */

static unsigned cursor;                  /* the next cell */

static void cursor_show(void)
{
    crtc_set(0x0F, (uint8_t)cursor);     /* the low half first, as the OSDev wiki's does */
    crtc_set(0x0E, (uint8_t)(cursor >> 8));
}

static void scroll(void)
{
    volatile uint16_t *s = screen();
    for (unsigned i = 0; i < (ROWS - 1) * COLUMNS; i++)
        s[i] = s[i + COLUMNS];
    for (unsigned i = (ROWS - 1) * COLUMNS; i < ROWS * COLUMNS; i++)
        s[i] = 0x0720;
    cursor -= COLUMNS;
}

static void put(char c, uint8_t attribute)
{
    if (c == '\n') {
        cursor += COLUMNS - cursor % COLUMNS;
    } else {
        screen()[cursor++] = (uint16_t)(attribute << 8 | (uint8_t)c);
    }
    if (cursor >= ROWS * COLUMNS)
        scroll();
}

static void print(const char *s, uint8_t attribute)
{
    for (; *s; s++)
        put(*s, attribute);
    cursor_show();
}

/* Waits for the start of a vertical retrace as a kernel that changes the
 * palette does: its end, then its start; bounded. */
static bool wait_retrace(void)
{
    unsigned n = 0;
    while ((inb(STATUS1) & 8) && n < 100000)
        n++;
    while (!(inb(STATUS1) & 8) && n < 100000)
        n++;
    return n < 100000;
}

ATTACK(pc_cga_console, "pc-cga-console", "virtual vshadow vdepriv vdelay",
       "result cursor was 0, 60 lines printed, scrolled 36, cursor 1920, shape 13-14, misc 0x67, retrace seen, "
       "palette 6 reads 0x14",
       "prints 60 lines on the text screen as a PC kernel does: the cursor from the CRTC, cells, cursor moves, "
       "scrolls")
{
    unsigned was = (unsigned)crtc_get(0x0E) << 8 | crtc_get(0x0F);
    cursor = was;
    for (unsigned i = 0; i < ROWS * COLUMNS; i++)
        screen()[i] = 0x0720;
    char line[64];
    unsigned scrolled = 0;
    for (unsigned i = 0; i < 60; i++) {         /* more than a screen at the bottom row, the cursor at 1920 */
        snprintf(line, sizeof line, "cga line %u: %s\n", i, i % 2 ? "odd" : "even");
        unsigned before = cursor;
        print(line, (uint8_t)(0x1F + i));
        scrolled += cursor <= before;
    }
    print("last row, no newline", 0x4E);
    unsigned now = (unsigned)crtc_get(0x0E) << 8 | crtc_get(0x0F);
    uint8_t start = crtc_get(0x0A), end = crtc_get(0x0B), misc = inb(0x3CC);
    bool retrace = wait_retrace();
    inb(STATUS1);                        /* the attribute controller's flip-flop to "index" */
    outb(0x3C0, 0x06);                   /* palette register 6 (brown: EGA colour 0x14) */
    uint8_t palette = inb(0x3C1);
    outb(0x3C0, 0x20);                   /* PAS: the screen back on */
    result("cursor was %u, 60 lines printed, scrolled %u, cursor %u, shape %u-%u, misc 0x%02x, retrace %s, "
           "palette %u reads 0x%02x", was, scrolled, now - (now % COLUMNS), start, end, misc,
           retrace ? "seen" : "never seen", 6, palette);
}

/* A kernel that never touches the VGA's ports: its rows are logged at the
 * VM's end. */
ATTACK(pc_cga_no_cursor, "pc-cga-no-cursor", "virtual vshadow vdepriv",
       "result 3 rows written, no port touched",
       "writes three rows on the screen and never moves the cursor")
{
    static const char *const rows[] = { "silent row one", "", "silent row three" };
    volatile uint16_t *s = screen();
    for (unsigned r = 0; r < 3; r++)
        for (unsigned c = 0; rows[r][c]; c++)
            s[r * COLUMNS + c] = (uint16_t)(0x0A00 | (uint8_t)rows[r][c]);
    s[2 * COLUMNS] = 0x0A00 | 's';       /* a row rewritten before anyone looked: logged once, as it ends */
    result("3 rows written, no port touched");
}

/* ---- hostile ---- */

ATTACK(pc_cga_registers, "pc-cga-registers", "virtual vshadow vdepriv",
       "result CRTC 25 registers kept, 231 past them read 0xff, index read back 256, attribute 21 kept, "
       "DAC 768 kept, word writes ok",
       "every CRTC index written and read back, the attribute controller, the DAC's 256 entries, word and "
       "dword accesses to the VGA's ports")
{
    unsigned kept = 0, past = 0, index_back = 0;
    for (unsigned i = 0; i < 256; i++) {
        crtc_set((uint8_t)i, (uint8_t)(i ^ 0x5A));
        index_back += inb(CRTC_INDEX) == i;
    }
    for (unsigned i = 0; i < 256; i++) {
        uint8_t v = crtc_get((uint8_t)i);
        if (i < 0x19)
            kept += v == (uint8_t)(i ^ 0x5A);
        else
            past += v == 0xFF;
    }
    unsigned attr = 0;
    for (unsigned i = 0; i < 0x15; i++) {
        inb(STATUS1);
        outb(0x3C0, (uint8_t)i);
        outb(0x3C0, (uint8_t)(i + 3));
    }
    for (unsigned i = 0; i < 0x15; i++) {
        inb(STATUS1);
        outb(0x3C0, (uint8_t)i);
        attr += inb(0x3C1) == (uint8_t)(i + 3);
    }
    inb(STATUS1);
    outb(0x3C0, 0x20);
    outb(0x3C8, 0);
    for (unsigned i = 0; i < 768; i++)
        outb(0x3C9, (uint8_t)(i * 7));
    outb(0x3C7, 0);
    unsigned dac = 0;
    for (unsigned i = 0; i < 768; i++)
        dac += inb(0x3C9) == (uint8_t)((i * 7) & 0x3F);
    outw(CRTC_INDEX, 0x120E);            /* index 0x0E and its data in one word */
    outl(0x3C4, 0x00000302);             /* the sequencer's index 2, data 3, then 0x3C6, 0x3C7 */
    bool words = crtc_get(0x0E) == 0x12 && (inw(0x3C4) == 0x0302);
    crtc_set(0x0E, 0);
    crtc_set(0x0F, 0);
    result("CRTC %u registers kept, %u past them read 0x%02x, index read back %u, attribute %u kept, DAC %u "
           "kept, word writes %s", kept, past, 0xFF, index_back, attr, dac, words ? "ok" : "lost");
}

ATTACK(pc_cga_wild, "pc-cga-wild", "virtual vshadow vdepriv",
       "result survived: cursor and start address everywhere, 20000 status reads, 0xA0000-0xBFFFF written",
       "the cursor and the start address past the screen and past 0xBFFFF, a flood of input-status reads, "
       "the whole of 0xA0000-0xBFFFF written, and the cursor moved after each write")
{
    volatile uint32_t *vga = (volatile uint32_t *)(uintptr_t)0xA0000;
    __asm__("" : "+r"(vga));
    for (unsigned i = 0; i < 0x20000 / 4; i++)
        vga[i] = 0x41424344u ^ i;
    for (unsigned v = 0; v < 0x10000; v += 0x1FFF) {
        crtc_set(0x0C, (uint8_t)(v >> 8));
        crtc_set(0x0D, (uint8_t)v);
        crtc_set(0x0E, (uint8_t)((v * 3) >> 8));
        crtc_set(0x0F, (uint8_t)(v * 3));
        crtc_set(0x0F, (uint8_t)(v * 5));  /* one half twice */
    }
    for (unsigned i = 0; i < 20000; i++)
        inb(STATUS1);
    crtc_set(0x0C, 0xFF);                /* left past 0xBFFFF for the VM's end */
    crtc_set(0x0D, 0xF0);
    crtc_set(0x0E, 0xFF);
    crtc_set(0x0F, 0xFF);
    result("survived: cursor and start address everywhere, 20000 status reads, 0xA0000-0xBFFFF written");
}
