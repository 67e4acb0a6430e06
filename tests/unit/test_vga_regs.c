/*
 * test_vga_regs.c: hv/dev/vga_regs.c, the VGA's ports in colour text mode:
 * mode 3 after reset, the CRTC's registers and what lies past them, the
 * moment a cursor location is complete, input status 1's retrace and the
 * attribute controller's flip-flop, the DAC's auto-increment.
 */
#include "unit.h"
#include "dev/vga_regs.h"

static struct vga_regs r;

static int setup(void **state)
{
    (void)state;
    vga_regs_reset(&r);
    return 0;
}

static uint8_t crtc_get(uint8_t index)
{
    vga_regs_write(&r, 0x3D4, index);
    return vga_regs_read(&r, 0x3D5);
}

static bool crtc_set(uint8_t index, uint8_t value)
{
    vga_regs_write(&r, 0x3D4, index);
    return vga_regs_write(&r, 0x3D5, value);
}

static void test_reset_is_mode3(void **state)
{
    (void)state;
    assert_int_equal(crtc_get(0x0A), 0x0D);           /* the cursor on lines 13-14 */
    assert_int_equal(crtc_get(0x0B), 0x0E);
    assert_int_equal(crtc_get(0x01), 0x4F);           /* 80 columns: the last is 79 */
    assert_int_equal(vga_regs_cursor(&r), 0);
    assert_int_equal(vga_regs_start(&r), 0);
    assert_int_equal(vga_regs_read(&r, 0x3CC), 0x67);  /* colour ports */
    assert_int_equal(vga_regs_read(&r, 0x3C6), 0xFF);
    vga_regs_write(&r, 0x3C7, 0x14);                  /* DAC entry 0x14: brown, 42 21 0 */
    assert_int_equal(vga_regs_read(&r, 0x3C9), 42);
    assert_int_equal(vga_regs_read(&r, 0x3C9), 21);
    assert_int_equal(vga_regs_read(&r, 0x3C9), 0);
    vga_regs_write(&r, 0x3C7, 0x3F);                  /* white */
    for (unsigned c = 0; c < 3; c++)
        assert_int_equal(vga_regs_read(&r, 0x3C9), 63);
}

static void test_crtc_registers(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 256; i++) {
        crtc_set((uint8_t)i, (uint8_t)(0xC3 ^ i));
        assert_int_equal(vga_regs_read(&r, 0x3D4), i);
    }
    for (unsigned i = 0; i < 256; i++)
        assert_int_equal(crtc_get((uint8_t)i), i < VGA_CRTC_REGS ? (uint8_t)(0xC3 ^ i) : 0xFF);
    assert_int_equal(vga_regs_start(&r), (0xC3 ^ 0x0C) << 8 | (0xC3 ^ 0x0D));
    assert_int_equal(vga_regs_cursor(&r), (0xC3 ^ 0x0E) << 8 | (0xC3 ^ 0x0F));
}

static void test_cursor_complete(void **state)
{
    (void)state;
    assert_false(crtc_set(0x0E, 0x01));               /* the high half: not yet */
    assert_false(crtc_set(0x0A, 0x20));               /* another register between */
    assert_true(crtc_set(0x0F, 0x40));                /* the pair: 0x140 */
    assert_int_equal(vga_regs_cursor(&r), 0x140);
    assert_false(crtc_set(0x0F, 0x90));               /* low first, as the OSDev wiki's */
    assert_true(crtc_set(0x0E, 0x00));
    assert_int_equal(vga_regs_cursor(&r), 0x090);
    assert_false(crtc_set(0x0F, 0x91));               /* a kernel that writes the low half only: */
    assert_true(crtc_set(0x0F, 0x92));                /* the second write says the first was whole */
    assert_false(crtc_set(0x0C, 0x12));               /* the start address is no cursor */
    assert_false(crtc_set(0x0D, 0x34));
    assert_int_equal(vga_regs_start(&r), 0x1234);
}

static void test_status1_retrace_and_flip_flop(void **state)
{
    (void)state;
    unsigned retrace = 0, display = 0;
    for (unsigned i = 0; i < 8; i++) {
        uint8_t s = vga_regs_read(&r, 0x3DA);
        retrace += (s & 0x08) != 0;
        display += (s & 0x01) != 0;
        assert_int_equal(s & ~0x09, 0);
    }
    assert_int_equal(retrace, 4);                     /* half the reads, in runs of two */
    assert_int_equal(display, 4);
    /* The flip-flop: index, data, index ...; a status read sets it to index. */
    vga_regs_write(&r, 0x3C0, 0x06);
    assert_int_equal(vga_regs_read(&r, 0x3C1), 0x14);
    vga_regs_write(&r, 0x3C0, 0x2A);                  /* data of palette register 6 */
    assert_int_equal(vga_regs_read(&r, 0x3C1), 0x2A);
    vga_regs_write(&r, 0x3C0, 0x07);                  /* index again */
    vga_regs_read(&r, 0x3DA);
    vga_regs_write(&r, 0x3C0, 0x30);                  /* index (after the reset): 0x10 with PAS */
    assert_int_equal(vga_regs_read(&r, 0x3C0), 0x30);
    assert_int_equal(vga_regs_read(&r, 0x3C1), 0x0C); /* the mode control register */
    vga_regs_read(&r, 0x3DA);
    vga_regs_write(&r, 0x3C0, 0x3F);                  /* index 0x1F: past the registers */
    vga_regs_write(&r, 0x3C0, 0x55);                  /* its data, dropped */
    assert_int_equal(vga_regs_read(&r, 0x3C1), 0xFF);
}

static void test_dac_auto_increment(void **state)
{
    (void)state;
    vga_regs_write(&r, 0x3C8, 0xFF);                  /* the last entry, then wrap to 0 */
    for (unsigned i = 0; i < 6; i++)
        vga_regs_write(&r, 0x3C9, (uint8_t)(0xC0 | i)); /* bits 7:6 dropped: six-bit DAC */
    assert_int_equal(vga_regs_read(&r, 0x3C8), 1);
    assert_int_equal(vga_regs_read(&r, 0x3C7), 0);    /* writing */
    vga_regs_write(&r, 0x3C7, 0xFF);
    assert_int_equal(vga_regs_read(&r, 0x3C7), 3);    /* reading */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(vga_regs_read(&r, 0x3C9), i);
}

static void test_ports(void **state)
{
    (void)state;
    unsigned n = 0;
    for (unsigned p = 0; p < 0x10000; p++)
        n += vga_regs_port((uint16_t)p);
    assert_int_equal(n, 16 + 3);                      /* 0x3C0-0x3CF, 0x3D4, 0x3D5, 0x3DA */
    assert_false(vga_regs_port(0x3B4));               /* monochrome: no device */
    assert_int_equal(vga_regs_read(&r, 0x3CD), 0xFF);
    vga_regs_write(&r, 0x3C4, 0x02);                  /* the sequencer's map mask */
    assert_int_equal(vga_regs_read(&r, 0x3C5), 0x03);
    vga_regs_write(&r, 0x3CE, 0x06);                  /* the graphics controller's miscellaneous */
    assert_int_equal(vga_regs_read(&r, 0x3CF), 0x0E);
    vga_regs_write(&r, 0x3DA, 0x05);                  /* feature control, read at 0x3CA */
    assert_int_equal(vga_regs_read(&r, 0x3CA), 0x05);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reset_is_mode3), T(test_crtc_registers), T(test_cursor_complete),
        T(test_status1_retrace_and_flip_flop), T(test_dac_auto_increment), T(test_ports),
    };
    return RUN_UNIT_TESTS("vga_regs", tests);
}
