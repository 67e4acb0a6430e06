"""Unit tests of tools/runner/screen.py: the hypervisor's screen dump read
from a log, a PSF font, the picture drawn and written as a PNG."""
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from runner import screen  # noqa: E402


def row_line(row, cells, tag=""):
    """A dump's row line for cells [(char, attribute)] (the rest zero)."""
    cells = list(cells) + [(0, 0)] * (screen.COLUMNS - len(cells))
    return "hv: %sscreen row %d %s" % (tag, row, "".join("%02x%02x" % c for c in cells))


def psf1(glyphs, table=None):
    """A PSF 1 font of 256 8x16 glyphs (glyphs: {number: rows}), with a
    Unicode table ({number: [characters]}) if given."""
    data = bytearray(b"\x36\x04" + bytes([2 if table is not None else 0, 16]))
    for i in range(256):
        data += bytes(glyphs.get(i, [0] * 16))
    if table is not None:
        for i in range(256):
            for c in table.get(i, []):
                data += struct.pack("<H", ord(c))
            data += b"\xff\xff"
    return bytes(data)


def unpng(data):
    """(width, height, rows of RGB bytes) of a PNG that png() wrote."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + n)
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = body
        pos += 12 + n
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 3 * width
    assert len(raw) == stride * height
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


class ParseTest(unittest.TestCase):
    def test_cells_and_cursor(self):
        log = "\n".join(["hv: screen: hi", "hv: screen dump 80x25 cursor 3,7 lines 13-14",
                         row_line(0, [(0x68, 0x1F), (0x69, 0x4E)]), row_line(24, [(0x41, 0x07)]),
                         "hv: exits: 12 in all"])
        s = screen.parse(log)
        self.assertEqual(s.cursor, (3, 7, 13, 14))
        self.assertEqual(s.cells[0][:2], [(0x68, 0x1F), (0x69, 0x4E)])
        self.assertEqual(s.cells[24][0], (0x41, 0x07))
        self.assertEqual(s.cells[5], [(0, 0)] * 80)          # a row left out is all zero

    def test_the_last_dump_of_vm0(self):
        log = "\n".join(["hv: screen dump 80x25 cursor off", row_line(0, [(0x41, 7)]),
                         "hv: vm1: screen dump 80x25 cursor 1,1 lines 0-15", row_line(0, [(0x43, 7)], "vm1: "),
                         "hv: screen dump 80x25 cursor off", row_line(1, [(0x42, 7)])])
        s = screen.parse(log)
        self.assertIsNone(s.cursor)
        self.assertEqual(s.cells[0][0], (0, 0))              # the first dump's row is not the last's
        self.assertEqual(s.cells[1][0], (0x42, 7))
        self.assertEqual(screen.parse(log, "vm1: ").cells[0][0], (0x43, 7))

    def test_no_dump_is_said(self):
        with self.assertRaisesRegex(screen.ScreenError, "no screen dump"):
            screen.parse("hv: hvlab hypervisor\nPOWEROFF 0\n")

    def test_malformed_lines_are_refused(self):
        for bad in ["hv: screen row 25 " + "00" * 160, "hv: screen row 0 " + "0" * 319,
                    "hv: screen row 0 " + "zz" * 160]:
            with self.assertRaisesRegex(screen.ScreenError, "malformed"):
                screen.parse("hv: screen dump 80x25 cursor off\n" + bad)
        with self.assertRaisesRegex(screen.ScreenError, "malformed"):
            screen.parse("hv: screen dump 40x25 cursor off")

    def test_a_guest_line_is_no_dump(self):
        # The guest's own lines that start with "hv:" are quoted (guest_line.h).
        with self.assertRaises(screen.ScreenError):
            screen.parse("(guest) hv: screen dump 80x25 cursor off\n")


class FontTest(unittest.TestCase):
    def test_psf1_table(self):
        font = screen.Font(psf1({1: [0xFF] * 16}, {1: ["A", "\u0391"], 2: ["?"]}))
        self.assertEqual(font.glyph("A"), bytes([0xFF] * 16))
        self.assertEqual(font.glyph("\u0391"), bytes([0xFF] * 16))
        self.assertEqual(font.glyph("Z"), bytes(16))         # missing: the '?' glyph, 2

    def test_psf2(self):
        header = struct.pack("<4s7I", b"\x72\xb5\x4a\x86", 0, 32, 1, 2, 16, 16, 8)
        table = "x".encode() + b"\xff" + "\u2502".encode() + b"\xfe" + "ab".encode() + b"\xff"
        font = screen.Font(header + bytes(16) + bytes([0x18] * 16) + table)
        self.assertEqual(font.glyph("\u2502"), bytes([0x18] * 16))
        self.assertEqual(font.index.get("a"), None)           # a sequence, not a character

    def test_two_fonts(self):
        font = screen.Font(psf1({1: [1] * 16}, {1: ["A"]}))
        font.add(screen.Font(psf1({1: [2] * 16, 2: [3] * 16}, {1: ["A"], 2: ["B"]})))
        self.assertEqual(font.glyph("A"), bytes([1] * 16))    # the first font's
        self.assertEqual(font.glyph("B"), bytes([3] * 16))    # the second's, for what the first lacks

    def test_refused(self):
        for data, why in [(b"GIF89a", "not a PSF"), (psf1({})[:100], "cut short"),
                          (b"\x36\x04\x00\x08" + bytes(256 * 8), "8x8")]:
            with self.assertRaisesRegex(screen.ScreenError, why):
                screen.Font(data)

    def test_debian_console_font(self):
        if not all(os.path.exists(f) for f in screen.FONTS):
            self.skipTest("%s not installed (make deps)" % " ".join(screen.FONTS))
        font = screen.load_font()
        lacking = [hex(b) for b in range(1, 256) if b != 0x3F and font.glyph(screen.cp437(b)) == font.glyph("?")]
        self.assertEqual(lacking, ["0x10", "0x11"])           # the two triangles, in neither font
        self.assertEqual(font.glyph(screen.cp437(0xDB)), bytes([0xFF] * 16))


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.font = screen.Font(psf1({0x41: [0xF0] * 16}, {0x41: ["A"], 0x3F: ["?"]}))

    def test_colours_and_cursor(self):
        s = screen.Screen()
        s.cells[2][3] = (0x41, 0x9E)                          # yellow on blue, blink
        s.cursor = (0, 0, 14, 15)
        s.cells[0][0] = (0x20, 0x0C)                          # light red on black
        rows = screen.render(s, self.font)
        self.assertEqual((len(rows), len(rows[0])), (400, 640 * 3))

        def pixel(x, y):
            return tuple(rows[y][3 * x:3 * x + 3])
        self.assertEqual(pixel(3 * 8, 2 * 16 + 5), (0xFF, 0xFF, 0x55))   # the glyph's left half
        self.assertEqual(pixel(3 * 8 + 4, 2 * 16 + 5), (0x00, 0x00, 0xAA))
        self.assertEqual(pixel(0, 13), (0, 0, 0))                         # above the cursor
        self.assertEqual(pixel(7, 14), (0xFF, 0x55, 0x55))                # the cursor's lines
        self.assertEqual(pixel(100, 300), (0, 0, 0))

    def test_png_round_trip(self):
        s = screen.Screen()
        s.cells[0][0] = (0x41, 0x2F)
        rows = screen.render(s, self.font)
        width, height, back = unpng(screen.png(rows))
        self.assertEqual((width, height), (640, 400))
        self.assertEqual([bytes(r) for r in rows], back)

    def test_screenshot_file(self):
        log = "hv: screen dump 80x25 cursor off\n" + row_line(0, [(0x41, 0x07)]) + "\n"
        with tempfile.TemporaryDirectory() as d:
            font = os.path.join(d, "f.psf")
            with open(font, "wb") as f:
                f.write(psf1({0x41: [0xF0] * 16}, {0x41: ["A"]}))
            path = os.path.join(d, "sub", "s.png")
            screen.screenshot(log, path, [font])
            with open(path, "rb") as f:
                width, height, rows = unpng(f.read())
            self.assertEqual(tuple(rows[0][:3]), (0xAA, 0xAA, 0xAA))
            with self.assertRaisesRegex(screen.ScreenError, "cannot read the console font"):
                screen.screenshot(log, path, [font, os.path.join(d, "none.psf")])


if __name__ == "__main__":
    unittest.main()
