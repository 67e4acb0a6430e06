"""The guest's text screen as a picture (tools/hvrun --screenshot FILE.png).

With devices=virtual the hypervisor prints, at each VM's end, the cells of
its 80x25 text screen (hv/exit/vm_cga.h):

    hv: screen dump 80x25 cursor 24,20 lines 13-14      (or "cursor off")
    hv: screen row 0 4107420720...                       (320 hex digits: character, attribute, ...)

a row line for each row that is not all zero bytes. This module reads the
last dump of VM 0 from the run's log, and draws it as the VGA would: each
character in an 8x16 glyph of a Linux console font (a PSF file from
Debian's console-setup-linux, /usr/share/consolefonts), the attribute's
foreground (bits 3:0) and background (bits 6:4; bit 7 is blink, drawn
steady) in the 16 CGA colours, the cursor's scan lines in its cell's
foreground. The PNG is written with zlib alone.
"""

import gzip
import os
import re
import struct
import zlib

COLUMNS, ROWS = 80, 25
GLYPH_W, GLYPH_H = 8, 16
# Debian's console-setup-linux has no font of the whole of code page 437:
# its VGA glyphs are spread over these two, looked up in this order.
FONTS = ("/usr/share/consolefonts/FullGreek-VGA16.psf.gz", "/usr/share/consolefonts/Uni2-VGA16.psf.gz")

# The 16 CGA colours as a VGA's DAC shows them (IBM VGA Technical Reference:
# the EGA palette of mode 3), brown's green halved.
CGA_COLOURS = [
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
]

# Code page 437's pictures for bytes 0x01-0x1F and 0x7F, which Python's
# cp437 codec takes for control characters.
CP437_LOW = "\u263a\u263b\u2665\u2666\u2663\u2660\u2022\u25d8\u25cb\u25d9\u2642\u2640\u266a\u266b\u263c" \
            "\u25ba\u25c4\u2195\u203c\u00b6\u00a7\u25ac\u21a8\u2191\u2193\u2192\u2190\u221f\u2194\u25b2\u25bc"


class ScreenError(Exception):
    """The log holds no screen, or a malformed one; or the font is unusable."""


def cp437(byte):
    """The Unicode character code page 437 shows for byte."""
    if byte == 0:
        return " "
    if byte < 0x20:
        return CP437_LOW[byte - 1]
    if byte == 0x7F:
        return "\u2302"
    return bytes([byte]).decode("cp437")


class Screen:
    """cells[row][col] = (character, attribute); cursor (row, col, first line, last line) or None."""

    def __init__(self):
        self.cells = [[(0, 0)] * COLUMNS for _ in range(ROWS)]
        self.cursor = None


def parse(log_text, tag=""):
    """The last screen dump of the VM whose lines carry tag ("" for VM 0,
    "vm1: " for VM 1) in the log's text."""
    prefix = "hv: " + tag + "screen "
    dump_re = re.compile(r"dump %dx%d cursor (?:(\d+),(\d+) lines (\d+)-(\d+)|off)$" % (COLUMNS, ROWS))
    row_re = re.compile(r"row (\d+) ([0-9a-f]{%d})$" % (COLUMNS * 4))
    lines = log_text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(prefix + "dump ")]
    if not starts:
        raise ScreenError("the log has no screen dump (hv: %sscreen dump ...): the guest never wrote its "
                          "screen, or the hypervisor ran without devices=virtual, or this was no "
                          "hypervisor run" % tag)
    first = starts[-1]
    screen = Screen()
    m = dump_re.match(lines[first][len(prefix):])
    if not m:
        raise ScreenError("malformed screen dump line: %r" % lines[first])
    if m.group(1) is not None:
        screen.cursor = tuple(int(g) for g in m.groups())
    for line in lines[first + 1:]:
        if not line.startswith(prefix + "row "):
            break
        m = row_re.match(line[len(prefix):])
        if not m or int(m.group(1)) >= ROWS:
            raise ScreenError("malformed screen row line: %r" % line[:80])
        cells = bytes.fromhex(m.group(2))
        screen.cells[int(m.group(1))] = [(cells[2 * c], cells[2 * c + 1]) for c in range(COLUMNS)]
    return screen


class Font:
    """A PSF 1 or 2 console font: glyphs of GLYPH_W x GLYPH_H, and which
    glyph shows each Unicode character (its table, or the glyph's number)."""

    def __init__(self, data):
        if data[:2] == b"\x36\x04":                       # PSF 1: mode, bytes per glyph
            mode, height = data[2], data[3]
            count, width, offset = (512 if mode & 1 else 256), 8, 4
            has_table, utf8 = bool(mode & 6), False
        elif data[:4] == b"\x72\xb5\x4a\x86":             # PSF 2: a header of 8 words
            _, offset, flags, count, size, height, width = struct.unpack_from("<7I", data, 4)
            if size != height * ((width + 7) // 8):
                raise ScreenError("PSF 2 font with %d bytes per %dx%d glyph" % (size, width, height))
            has_table, utf8 = bool(flags & 1), True
        else:
            raise ScreenError("not a PSF font (it starts with %r)" % data[:4])
        if (width, height) != (GLYPH_W, GLYPH_H):
            raise ScreenError("the font's glyphs are %dx%d, not %dx%d" % (width, height, GLYPH_W, GLYPH_H))
        end = offset + count * height
        if len(data) < end:
            raise ScreenError("the font is cut short: %d bytes of %d" % (len(data), end))
        self.glyphs = [data[offset + i * height:offset + (i + 1) * height] for i in range(count)]
        self.index = self._table(data[end:], count, utf8) if has_table else {chr(i): i for i in range(count)}

    @staticmethod
    def _table(table, count, utf8):
        """Unicode character -> glyph, from the table after the glyphs: per
        glyph its characters, then 0xFFFF (PSF 1, 16-bit) or 0xFF (PSF 2,
        UTF-8); sequences after 0xFFFE / 0xFE are combinations, left out."""
        index, pos = {}, 0
        for glyph in range(count):
            if utf8:
                end = table.find(b"\xff", pos)
                entry = table[pos:end if end >= 0 else len(table)].split(b"\xfe")[0]
                chars = entry.decode("utf-8", "replace")
                pos = end + 1 if end >= 0 else len(table)
            else:
                chars = []
                while pos + 2 <= len(table):
                    (u,) = struct.unpack_from("<H", table, pos)
                    pos += 2
                    if u == 0xFFFF:
                        break
                    chars.append(chr(u))
                if "\ufffe" in chars:
                    chars = chars[:chars.index("\ufffe")]
            for c in chars:
                index.setdefault(c, glyph)
        return index

    def add(self, other):
        """Other's glyphs for the characters this font lacks."""
        base = len(self.glyphs)
        self.glyphs += other.glyphs
        for char, i in other.index.items():
            self.index.setdefault(char, base + i)

    def glyph(self, char):
        """The rows of char's glyph (a byte each, bit 7 the leftmost pixel):
        the font's '?' for a character it lacks."""
        i = self.index.get(char, self.index.get("?", 0))
        return self.glyphs[i]


def load_font(paths=FONTS):
    """The fonts of paths (gzipped or not) as one, the first's glyphs first."""
    font = None
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ScreenError("cannot read the console font %s (%s): `make deps` installs Debian's "
                              "console-setup-linux" % (path, e.strerror))
        one = Font(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        if font:
            font.add(one)
        else:
            font = one
    return font


def render(screen, font):
    """The screen as rows of RGB bytes, 640x400."""
    pixels = [bytearray(COLUMNS * GLYPH_W * 3) for _ in range(ROWS * GLYPH_H)]
    for row in range(ROWS):
        for col in range(COLUMNS):
            char, attribute = screen.cells[row][col]
            fg, bg = CGA_COLOURS[attribute & 0x0F], CGA_COLOURS[(attribute >> 4) & 0x07]
            bits = list(font.glyph(cp437(char)))
            if screen.cursor and screen.cursor[:2] == (row, col):
                for line in range(screen.cursor[2], min(screen.cursor[3], GLYPH_H - 1) + 1):
                    bits[line] = 0xFF
            for y in range(GLYPH_H):
                out = pixels[row * GLYPH_H + y]
                for x in range(GLYPH_W):
                    at = (col * GLYPH_W + x) * 3
                    out[at:at + 3] = bytes(fg if bits[y] & (0x80 >> x) else bg)
    return pixels


def png(rows):
    """A PNG of 8-bit RGB rows (PNG spec: IHDR, one IDAT, IEND; filter 0)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    width, height = len(rows[0]) // 3, len(rows)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def screenshot(log_text, path, font_paths=FONTS, tag=""):
    """Writes the last screen of the log to path as a PNG."""
    picture = png(render(parse(log_text, tag), load_font(font_paths)))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(picture)
