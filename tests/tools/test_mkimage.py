"""Unit tests of tools/mkimage.py, the fast loader's image builder.

They show its contract: how it finds and checks a Multiboot v1 header, where
it says the kernel goes (ELF32, ELF64 and a.out kludge), where it stages the
payload, and what the image looks like byte by byte. Kernels are synthesised
here, so the tests need no build; the last class also checks the real mbinfo
kernels when they have been built. Run:
    python3 -m unittest discover -s tests/tools
"""
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkimage  # noqa: E402
from mkimage import ImageError  # noqa: E402

MAGIC = 0x1BADB002
FLAGS = 0x3                 # page-align modules, memory info
KLUDGE = 1 << 16
MIB = 1 << 20


def mb_header(flags=FLAGS, checksum=None, kludge=None):
    """A Multiboot header; kludge = (header_addr, load_addr, load_end, bss_end, entry)."""
    if checksum is None:
        checksum = -(MAGIC + flags) & 0xFFFFFFFF
    data = struct.pack("<III", MAGIC, flags, checksum)
    if kludge is not None:
        data += struct.pack("<IIIII", *kludge)
    return data


def elf(segments, entry, is64=False, header=None, machine=None, e_type=2, phoff=None):
    """An ELF executable. segments: list of (paddr, vaddr, data, memsz); the
    first segment's data starts at file offset 0x1000, preceded there by
    `header` (a Multiboot header, default mb_header())."""
    header = mb_header() if header is None else header
    ehdr_size, phdr_size = (64, 56) if is64 else (52, 32)
    phoff = ehdr_size if phoff is None else phoff
    machine = (62 if is64 else 3) if machine is None else machine
    body, offsets, at = b"", [], 0x1000
    for i, (_, _, data, _) in enumerate(segments):
        if i == 0:
            data = header + data
        offsets.append(at)
        body += data
        at += len(data)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + bytes(9)
    if is64:
        ehdr = ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, entry, phoff, 0, 0,
                                   ehdr_size, phdr_size, len(segments), 0, 0, 0)
    else:
        ehdr = ident + struct.pack("<HHIIIIIHHHHHH", e_type, machine, 1, entry, phoff, 0, 0,
                                   ehdr_size, phdr_size, len(segments), 0, 0, 0)
    phdrs = b""
    for (paddr, vaddr, data, memsz), offset in zip(segments, offsets):
        filesz = len(data) + (len(header) if offset == 0x1000 else 0)
        memsz = max(memsz, filesz)
        if is64:
            phdrs += struct.pack("<IIQQQQQQ", 1, 7, offset, vaddr, paddr, filesz, memsz, 0x1000)
        else:
            phdrs += struct.pack("<IIIIIIII", 1, offset, vaddr, paddr, filesz, memsz, 7, 0x1000)
    assert phoff + len(phdrs) <= 0x1000, "headers must fit before the first segment"
    image = bytearray(0x1000)
    image[:len(ehdr)] = ehdr
    image[phoff:phoff + len(phdrs)] = phdrs
    return bytes(image) + body


def kludge_kernel(load_addr=0x100000, header_offset=0x40, body=0x2000, bss=0x1000,
                  fields=None, pad_before=0):
    """A flat binary using the a.out kludge: the file is loaded from its first
    byte (after pad_before bytes of junk) to load_addr."""
    header_addr = load_addr + header_offset
    load_end = load_addr + body
    if fields is None:
        fields = (header_addr, load_addr, load_end, load_end + bss, header_addr + 32)
    data = bytearray(pad_before + body)
    data[pad_before + header_offset:pad_before + header_offset + 32] = \
        mb_header(FLAGS | KLUDGE, kludge=fields)
    return bytes(data)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def make_loader_dir(self, stage2_size=3000):
        """A stand-in for build/loader: a boot sector with the HVLB magic."""
        loader = os.path.join(self.dir, "loader")
        os.makedirs(loader, exist_ok=True)
        boot = bytearray(512)
        boot[0:3] = b"\xeb\xfe\x90"
        struct.pack_into("<I", boot, mkimage.MBR_FIELD_MAGIC, mkimage.MBR_BOOT_MAGIC)
        boot[510:] = b"\x55\xaa"
        with open(os.path.join(loader, "boot.bin"), "wb") as f:
            f.write(boot)
        with open(os.path.join(loader, "stage2.bin"), "wb") as f:
            f.write(bytes((i * 7) & 0xFF for i in range(stage2_size)))
        return loader


class HeaderSearchTest(unittest.TestCase):
    """Multiboot 3.1.1: a 32-bit aligned header within the first 8192 bytes."""

    def test_finds_an_aligned_header(self):
        data = bytes(100) + mb_header() + bytes(100)
        self.assertEqual(mkimage.find_multiboot_header(data), (100, FLAGS))

    def test_ignores_an_unaligned_header(self):
        data = bytes(102) + mb_header() + bytes(100)
        with self.assertRaisesRegex(ImageError, "not a Multiboot v1 kernel"):
            mkimage.find_multiboot_header(data)

    def test_header_beyond_8k_is_not_found(self):
        data = bytes(8192 - 8) + mb_header() + bytes(100)   # straddles the limit
        with self.assertRaisesRegex(ImageError, "not a Multiboot v1 kernel: no header magic "
                                    "0x1BADB002 in its first 8192 bytes"):
            mkimage.find_multiboot_header(data)

    def test_header_ending_exactly_at_8k_is_found(self):
        data = bytes(8192 - 12) + mb_header() + bytes(100)
        self.assertEqual(mkimage.find_multiboot_header(data)[0], 8180)

    def test_bad_checksum_is_named(self):
        data = bytes(64) + mb_header(checksum=1) + bytes(64)
        with self.assertRaisesRegex(ImageError, "bad Multiboot header checksum at offset 0x40"):
            mkimage.find_multiboot_header(data)

    def test_a_good_header_after_a_bad_one_wins(self):
        # GRUB keeps searching after a magic whose checksum fails.
        data = mb_header(checksum=5) + bytes(20) + mb_header(flags=0x10003 & 0xFFFF)
        self.assertEqual(mkimage.find_multiboot_header(data), (32, 3))

    def test_video_mode_flag_is_refused(self):
        with self.assertRaisesRegex(ImageError, "video mode"):
            mkimage.check_header_flags(FLAGS | 4)

    def test_unknown_required_flag_is_refused(self):
        with self.assertRaisesRegex(ImageError, "unknown required bits 0x0008"):
            mkimage.check_header_flags(FLAGS | 8)

    def test_optional_flags_are_fine(self):
        mkimage.check_header_flags(FLAGS | 0x80000000)


class ElfTest(unittest.TestCase):
    """ELF kernels: PT_LOAD segments at their physical addresses."""

    def test_elf32_extent_includes_bss(self):
        k = mkimage.inspect_kernel(elf([(0x100000, 0x100000, bytes(0x500), 0x3000)], 0x100010))
        self.assertEqual((k.start, k.end, k.entry, k.method), (0x100000, 0x103000, 0x100010, "ELF32"))

    def test_extent_spans_all_segments(self):
        data = elf([(0x200000, 0x200000, bytes(0x100), 0), (0x100000, 0x100000, bytes(0x200), 0x900)],
                   0x200000)
        k = mkimage.inspect_kernel(data)
        self.assertEqual((k.start, k.end), (0x100000, 0x200000 + 0x10C))

    def test_entry_is_translated_to_physical(self):
        # A higher-half kernel: linked at 0xC0100000, loaded at 1 MiB.
        k = mkimage.inspect_kernel(elf([(0x100000, 0xC0100000, bytes(0x100), 0)], 0xC0100040))
        self.assertEqual(k.entry, 0x100040)

    def test_elf64_is_loaded_by_physical_address(self):
        k = mkimage.inspect_kernel(elf([(0x100000, 0xFFFFFFFF80100000, bytes(0x400), 0x2000)],
                                       0xFFFFFFFF80100020, is64=True))
        self.assertEqual((k.start, k.end, k.entry, k.method), (0x100000, 0x102000, 0x100020, "ELF64"))

    def test_wrong_machine(self):
        with self.assertRaisesRegex(ImageError, "ELF32 file for machine 62, but must be for 3"):
            mkimage.inspect_kernel(elf([(0x100000, 0x100000, bytes(16), 0)], 0x100000, machine=62))

    def test_not_elf_and_no_kludge(self):
        with self.assertRaisesRegex(ImageError, "not an ELF file.*a.out kludge"):
            mkimage.inspect_kernel(bytes(64) + mb_header() + bytes(64))

    def test_entry_outside_segments(self):
        with self.assertRaisesRegex(ImageError, "entry point 0x300000 lies in no loadable segment"):
            mkimage.inspect_kernel(elf([(0x100000, 0x100000, bytes(16), 0)], 0x300000))

    def test_physical_entry_of_a_higher_half_kernel(self):
        # e_entry in no segment's virtual range but in one's physical range:
        # QEMU -kernel enters it there (GRUB 2 would refuse "entry point
        # isn't in a segment"), and so do the kit's loaders.
        k = mkimage.inspect_kernel(elf([(0x100000, 0xC0100000, bytes(0x100), 0)], 0x100040))
        self.assertEqual((k.start, k.end, k.entry), (0x100000, 0x10010c, 0x100040))

    def test_entry_refusal_names_the_segments(self):
        with self.assertRaisesRegex(ImageError, "entry point 0x300000 lies in no loadable segment, neither "
                                    "in its virtual nor in its physical range \(segments 0: virtual "
                                    "0xc0100000, physical 0x100000, 0x10c bytes\)"):
            mkimage.inspect_kernel(elf([(0x100000, 0xC0100000, bytes(0x100), 0)], 0x300000))

    def test_overlapping_segments(self):
        with self.assertRaisesRegex(ImageError, "segments 0 \(physical 0x100000-0x10010c\) and 1 "
                                    "\(physical 0x1000ff-0x1001ff\) overlap"):
            mkimage.inspect_kernel(elf([(0x100000, 0x100000, bytes(0x100), 0),
                                        (0x1000FF, 0x1000FF, bytes(0x100), 0)], 0x100000))

    def test_segment_past_end_of_file(self):
        data = elf([(0x100000, 0x100000, bytes(0x100), 0)], 0x100000)
        with self.assertRaisesRegex(ImageError, "segment 0 runs past the end of the file"):
            mkimage.inspect_kernel(data[:-16])

    def test_program_headers_beyond_8k(self):
        # The header must still be found in the first 8 KiB: put it at 0x1000
        # and the program headers at 0x2000.
        data = bytearray(elf([(0x100000, 0x100000, bytes(0x1100), 0)], 0x100000))
        struct.pack_into("<I", data, 28, 0x2000)           # e_phoff
        with self.assertRaisesRegex(ImageError, "program headers lie beyond its first 8192 bytes"):
            mkimage.inspect_kernel(bytes(data))

    def test_program_headers_past_the_end_of_the_file(self):
        # A truncated file whose program header table would end past its
        # last byte: an ImageError, like lib/mbimage.c's, not a traceback.
        data = bytearray(elf([(0x100000, 0x100000, bytes(16), 0)], 0x100000))
        struct.pack_into("<I", data, 28, len(data) - 8)     # e_phoff: 8 bytes before the end
        with self.assertRaisesRegex(ImageError, "program headers run past the end of the file"):
            mkimage.inspect_kernel(bytes(data))

    def test_kernel_below_one_mib(self):
        # Any loader but the fast one, which runs there, takes it.
        low = elf([(0x80000, 0x80000, bytes(16), 0)], 0x80000)
        self.assertEqual(mkimage.inspect_kernel(low).start, 0x80000)
        with self.assertRaisesRegex(ImageError, "starts below 1 MiB, which the BIOS and the fast loader use"):
            mkimage.inspect_fast_loader_kernel(low)


class KludgeTest(unittest.TestCase):
    """Multiboot 3.1.3: the a.out kludge address fields."""

    def test_extent_from_load_and_bss_end(self):
        k = mkimage.inspect_kernel(kludge_kernel())
        self.assertEqual((k.start, k.end, k.entry, k.method),
                         (0x100000, 0x103000, 0x100060, "a.out kludge"))

    def test_load_offset_follows_the_header(self):
        # 0x1000 bytes of junk before the image: the header's file offset
        # minus (header_addr - load_addr) is where loading starts.
        k = mkimage.inspect_kernel(kludge_kernel(pad_before=0x1000))
        self.assertEqual((k.start, k.end), (0x100000, 0x103000))

    def test_zero_load_end_means_whole_file(self):
        f = (0x100040, 0x100000, 0, 0, 0x100060)
        k = mkimage.inspect_kernel(kludge_kernel(body=0x1800, fields=f))
        self.assertEqual((k.start, k.end), (0x100000, 0x101800))

    def test_kludge_wins_over_elf(self):
        # An ELF file whose header asks for the kludge is loaded by the kludge.
        fields = (0x400000, 0x400000, 0x400100, 0x400200, 0x400020)
        data = elf([(0x100000, 0x100000, bytes(0x200), 0)], 0x100000,
                   header=mb_header(FLAGS | KLUDGE, kludge=fields))
        k = mkimage.inspect_kernel(data)
        self.assertEqual((k.start, k.end, k.method), (0x400000, 0x400200, "a.out kludge"))

    def assertInconsistent(self, fields, pattern, **kw):
        with self.assertRaisesRegex(ImageError, "a.out kludge fields inconsistent with the file: "
                                    + pattern):
            mkimage.inspect_kernel(kludge_kernel(fields=fields, **kw))

    def test_load_addr_above_header_addr(self):
        self.assertInconsistent((0x100040, 0x100080, 0x102000, 0, 0x100080),
                                "load_addr 0x00100080 is above header_addr 0x00100040")

    def test_header_addr_too_far_from_load_addr(self):
        self.assertInconsistent((0x100040, 0x0FF000, 0x102000, 0, 0x100060),
                                "header_addr - load_addr = 0x1040, but the header is only 0x40")

    def test_load_end_beyond_file(self):
        self.assertInconsistent((0x100040, 0x100000, 0x104000, 0, 0x100060),
                                "it loads 16384 bytes from file offset 0x0, but the file has 8192")

    def test_bss_end_below_load_end(self):
        self.assertInconsistent((0x100040, 0x100000, 0x102000, 0x101000, 0x100060),
                                "bss_end_addr 0x00101000 is below")

    def test_entry_outside_kernel(self):
        self.assertInconsistent((0x100040, 0x100000, 0x102000, 0x103000, 0x200000),
                                "entry_addr 0x00200000 is outside the kernel 0x00100000-0x00103000")

    def test_kludge_fields_cut_off(self):
        data = bytes(8192 - 16) + mb_header(FLAGS | KLUDGE) + bytes(64)
        with self.assertRaisesRegex(ImageError, "cut off"):
            mkimage.inspect_kernel(data)


class LayoutTest(unittest.TestCase):
    """Staging address and payload offsets."""

    def kernel_ending_at(self, end):
        return mkimage.KernelInfo(0x100000, end, 0x100000, "ELF32", 0, FLAGS)

    def test_staging_is_above_the_kernel_on_2mib(self):
        self.assertEqual(mkimage.choose_staging(self.kernel_ending_at(0x105980), 100), 0x200000)
        self.assertEqual(mkimage.choose_staging(self.kernel_ending_at(0x400000), 100), 0x400000)
        self.assertEqual(mkimage.choose_staging(self.kernel_ending_at(0x400001), 100), 0x600000)

    def test_payload_must_end_below_4gib(self):
        with self.assertRaisesRegex(ImageError, "below 4 GiB"):
            mkimage.choose_staging(self.kernel_ending_at(0xFFE00000), 0x300000)

    def test_modules_are_4k_aligned_after_the_kernel(self):
        kernel_offset, offsets, size = mkimage.layout_payload(5000, [1, 4096, 0, 10])
        self.assertEqual(kernel_offset, 4096)
        self.assertEqual(offsets, [12288, 16384, 20480, 20480])
        self.assertEqual(size, 20490)


class BuildImageTest(TempDirTest):
    """The image, byte by byte."""

    def setUp(self):
        super().setUp()
        self.loader = self.make_loader_dir(stage2_size=3000)          # 6 sectors
        self.kernel_data = elf([(0x100000, 0x100000, bytes(range(256)) * 8, 0x5980)], 0x10000C)
        self.kernel = self.write("kernel.elf", self.kernel_data)
        self.small = self.write("small.bin", b"small module\n" * 100)
        rng = random.Random(1)
        self.big = self.write("big.bin", rng.randbytes(8 * MIB))     # 8 MiB, random
        self.out = os.path.join(self.dir, "disk.img")

    def build(self, cmdline="/boot/kernel.elf mem=ept", modules=None):
        if modules is None:
            modules = [(self.small, "/boot/small.bin one"), (self.big, "/boot/big.bin two three")]
        return mkimage.build_image(self.out, self.kernel, cmdline, modules, self.loader)

    def read_image(self):
        with open(self.out, "rb") as f:
            return f.read()

    def test_boot_sector_fields_are_patched(self):
        layout = self.build()
        image = self.read_image()
        self.assertEqual(layout.stage2_sectors, 6)
        self.assertEqual(layout.payload_lba, 7)
        self.assertEqual(struct.unpack_from("<H", image, 0x1B0)[0], 6)
        self.assertEqual(struct.unpack_from("<I", image, 0x1B4)[0], 7)
        self.assertEqual(image[510:512], b"\x55\xaa")
        with open(os.path.join(self.loader, "stage2.bin"), "rb") as f:
            self.assertEqual(image[512:512 + 3000], f.read())
        self.assertEqual(image[512 + 3000:7 * 512], bytes(7 * 512 - 3512))

    def test_manifest_describes_the_payload(self):
        layout = self.build()
        image = self.read_image()
        m = image[7 * 512:7 * 512 + 4096]
        magic, version, count, staging, size, k_off, k_size, cmd, reserved = \
            struct.unpack_from("<IHHIIIIII", m)
        self.assertEqual((magic, version, count, reserved), (0x4D4C5648, 1, 2, 0))
        self.assertEqual(m[:4], b"HVLM")
        self.assertEqual(staging, 0x200000)          # kernel ends at 0x105980
        self.assertEqual((k_off, k_size), (4096, len(self.kernel_data)))
        self.assertEqual(size, layout.payload_size)
        self.assertEqual(m[cmd:m.index(b"\0", cmd)], b"/boot/kernel.elf mem=ept")
        strings = []
        for i in range(2):
            off, msize, string, _ = struct.unpack_from("<IIII", m, 0x20 + 16 * i)
            self.assertEqual(off % 4096, 0)
            self.assertEqual(off, layout.module_offsets[i])
            strings.append(m[string:m.index(b"\0", string)])
        self.assertEqual(strings, [b"/boot/small.bin one", b"/boot/big.bin two three"])
        self.assertEqual(struct.unpack_from("<I", m, 0x20 + 4)[0], 1300)
        self.assertEqual(struct.unpack_from("<I", m, 0x30 + 4)[0], 8 * MIB)

    def test_files_sit_at_their_offsets(self):
        layout = self.build()
        image = self.read_image()
        payload = image[layout.payload_lba * 512:]
        self.assertEqual(payload[4096:4096 + len(self.kernel_data)], self.kernel_data)
        for (path, _), off in zip([(self.small, 0), (self.big, 0)], layout.module_offsets):
            with open(path, "rb") as f:
                data = f.read()
            self.assertEqual(zlib.crc32(payload[off:off + len(data)]), zlib.crc32(data))

    def test_image_is_whole_cylinders(self):
        layout = self.build()
        size = os.path.getsize(self.out)
        self.assertEqual(size, layout.image_size)
        self.assertEqual(size % (16 * 63 * 512), 0)
        self.assertGreaterEqual(size, layout.payload_lba * 512 + layout.payload_size)
        self.assertLess(size - (layout.payload_lba * 512 + layout.payload_size), 16 * 63 * 512)

    def test_no_modules(self):
        layout = self.build(modules=[])
        self.assertEqual(layout.module_offsets, [])
        image = self.read_image()
        self.assertEqual(struct.unpack_from("<H", image, 7 * 512 + 6)[0], 0)
        self.assertEqual(os.path.getsize(self.out) % (16 * 63 * 512), 0)

    def test_strings_are_passed_exactly(self):
        self.build(cmdline="  two  spaces and 'quotes' \u00e9 ")
        m = self.read_image()[7 * 512:7 * 512 + 4096]
        cmd = struct.unpack_from("<I", m, 0x18)[0]
        self.assertEqual(m[cmd:m.index(b"\0", cmd)], "  two  spaces and 'quotes' \u00e9 ".encode())

    def test_strings_that_just_fit(self):
        room = 4096 - 0x220
        self.build(cmdline="x" * (room - 1), modules=[])

    def test_strings_too_long(self):
        with self.assertRaisesRegex(ImageError, "strings too long for the manifest: .* 3553 "
                                    "bytes .* holds 3552"):
            self.build(cmdline="x" * 3000, modules=[(self.small, "y" * 551)])

    def test_nul_in_a_string(self):
        with self.assertRaisesRegex(ImageError, "string of module 0 contains a NUL"):
            self.build(modules=[(self.small, "a\0b")])

    def test_too_many_modules(self):
        with self.assertRaisesRegex(ImageError, "too many modules: 33, the manifest holds 32"):
            self.build(modules=[(self.small, "m")] * 33)

    def test_missing_kernel(self):
        self.kernel = os.path.join(self.dir, "nope.elf")
        with self.assertRaisesRegex(ImageError, "cannot read kernel '.*nope.elf': No such file"):
            self.build()

    def test_missing_module(self):
        with self.assertRaisesRegex(ImageError, "cannot read module '.*gone.bin'"):
            self.build(modules=[(os.path.join(self.dir, "gone.bin"), "gone")])

    def test_not_a_multiboot_kernel(self):
        self.kernel = self.write("plain.bin", bytes(20000))
        with self.assertRaisesRegex(ImageError, "not a Multiboot v1 kernel"):
            self.build()

    def test_wrong_boot_sector(self):
        with open(os.path.join(self.loader, "boot.bin"), "r+b") as f:
            f.seek(mkimage.MBR_FIELD_MAGIC)
            f.write(b"NOPE")
        with self.assertRaisesRegex(ImageError, "not the hvlab boot sector"):
            self.build()

    def test_stage2_too_big(self):
        with open(os.path.join(self.loader, "stage2.bin"), "wb") as f:
            f.write(bytes(128 * 512))
        with self.assertRaisesRegex(ImageError, "stage2.bin has 128 sectors, but the boot sector "
                                    "loads 1 to 127"):
            self.build()

    def test_failure_leaves_no_files(self):
        self.kernel = self.write("plain.bin", bytes(100))
        with self.assertRaises(ImageError):
            self.build()
        leftovers = [n for n in os.listdir(self.dir) if n.startswith(".mkimage-") or n == "disk.img"]
        self.assertEqual(leftovers, [])

    def test_parallel_builds(self):
        """Many builders at once, to separate outputs and to one shared output."""
        errors = []

        def build(out):
            try:
                mkimage.build_image(out, self.kernel, "k", [(self.small, "s")], self.loader)
            except Exception as e:   # noqa: BLE001 - reported below
                errors.append(e)

        outs = [os.path.join(self.dir, "p%d.img" % i) for i in range(4)] + [self.out] * 4
        threads = [threading.Thread(target=build, args=(o,)) for o in outs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        images = set()
        for o in outs:
            with open(o, "rb") as f:
                images.add(f.read())
        self.assertEqual(len(images), 1)
        self.assertFalse([n for n in os.listdir(self.dir) if n.startswith(".mkimage-")])


class CommandLineTest(TempDirTest):
    SCRIPT = os.path.join(ROOT, "tools", "mkimage.py")

    def run_cli(self, *args):
        return subprocess.run([sys.executable, self.SCRIPT] + list(args),
                              capture_output=True, text=True)

    def test_builds_an_image(self):
        loader = self.make_loader_dir()
        kernel = self.write("k.elf", elf([(0x100000, 0x100000, bytes(64), 0)], 0x100000))
        module = self.write("m.bin", b"module")
        out = os.path.join(self.dir, "o.img")
        r = self.run_cli("--loader-dir", loader, "-o", out, "--kernel", kernel,
                         "--cmdline", "/boot/k.elf a=b", "--module", module, "/boot/m.bin x")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(os.path.getsize(out) % (16 * 63 * 512), 0)

    def test_bad_kernel_exits_2_with_one_line(self):
        loader = self.make_loader_dir()
        kernel = self.write("k.bin", bytes(9000))
        r = self.run_cli("--loader-dir", loader, "-o", os.path.join(self.dir, "o.img"),
                         "--kernel", kernel)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"^mkimage: error: not a Multiboot v1 kernel: .*\n$")

    def test_missing_argument_exits_2(self):
        r = self.run_cli("-o", "x.img")
        self.assertEqual(r.returncode, 2)
        self.assertIn("mkimage: error:", r.stderr)


@unittest.skipUnless(os.path.exists(os.path.join(ROOT, "build", "tests", "mbinfo.elf")) and
                     os.path.exists(os.path.join(ROOT, "build", "tests", "mbinfo-kludge.elf")),
                     "the mbinfo kernels are not built (make build/tests/mbinfo.elf "
                     "build/tests/mbinfo-kludge.elf)")
class RealKernelTest(unittest.TestCase):
    """The two builds of tests/kernels/mbinfo describe the same memory."""

    def inspect(self, name):
        with open(os.path.join(ROOT, "build", "tests", name), "rb") as f:
            return mkimage.inspect_kernel(f.read())

    def test_both_paths_agree(self):
        plain, kludge = self.inspect("mbinfo.elf"), self.inspect("mbinfo-kludge.elf")
        self.assertEqual((plain.method, kludge.method), ("ELF32", "a.out kludge"))
        self.assertEqual((plain.start, kludge.start), (0x100000, 0x100000))

    def test_kludge_fields_match_the_files_own_segments(self):
        """The kludge build is an ELF file too: its header's address fields
        must describe exactly what its program headers do."""
        with open(os.path.join(ROOT, "build", "tests", "mbinfo-kludge.elf"), "rb") as f:
            data = f.read()
        offset, flags = mkimage.find_multiboot_header(data)
        via_kludge = mkimage.inspect_kludge(data, offset, flags)
        via_elf = mkimage.inspect_elf(data, offset, flags & ~mkimage.FLAG_AOUT_KLUDGE)
        self.assertEqual((via_kludge.start, via_kludge.end, via_kludge.entry),
                         (via_elf.start, via_elf.end, via_elf.entry))

if __name__ == "__main__":
    unittest.main()
