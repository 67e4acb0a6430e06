#!/usr/bin/env python3
"""mkimage.py: build a raw disk image that boots a Multiboot v1 kernel and its
modules with hvlab's fast loader (tools/loader/README.md tells the whole story).

    tools/mkimage.py --loader-dir build/loader -o hv.img \\
        --kernel build/hv/hv.elf --cmdline "/boot/hv.elf mem=ept" \\
        --module build/guestos/kernel.elf "/boot/guest.elf test=all"

The image, sector by sector:

    LBA 0              boot.bin, with stage2's length and the payload's LBA
                       patched into its fields (tools/loader/layout.h)
    LBA 1 ..           stage2.bin
    payload LBA ..     the payload: a 4 KiB manifest (tools/loader/manifest.h),
                       the kernel file at offset 4096, then every module at
                       the next 4 KiB-aligned offset
    .. end             zeros, up to a whole number of 16x63x512-byte cylinders
                       (Bochs guesses a flat image's geometry from its size)

The loader reads the whole payload to the staging address chosen here (above
the kernel's memory extent, rounded up to 2 MiB), so the modules land
page-aligned and stay where they are. The strings are passed exactly as
given, GRUB-style: the caller writes "/boot/hv.elf mem=ept", not "mem=ept".

As a module: build_image(out_path, kernel_path, cmdline, modules, loader_dir)
with modules a list of (path, string); raises ImageError with a one-line
message. Python 3 standard library only. Safe to run many times at once: it
writes only its output file (through a temporary file in the same directory,
renamed into place, so a reader never sees half an image).
"""

import argparse
import os
import struct
import sys
import tempfile
from collections import namedtuple

SECTOR = 512
CYLINDER = 16 * 63 * SECTOR          # heads x sectors per track x bytes
MIB = 1 << 20
FOUR_GIB = 1 << 32
STAGING_ALIGN = 2 * MIB
LOADER_RESERVED_END = 1 * MIB        # the first MiB: BIOS, loader, Multiboot info

# Boot sector fields (tools/loader/layout.h).
MBR_FIELD_MAGIC = 0x1AC
MBR_FIELD_STAGE2_SECTORS = 0x1B0
MBR_FIELD_PAYLOAD_LBA = 0x1B4
MBR_BOOT_MAGIC = 0x424C5648          # "HVLB"
STAGE2_MAX_SECTORS = 127

# The manifest (tools/loader/manifest.h).
MANIFEST_MAGIC = 0x4D4C5648          # "HVLM"
MANIFEST_VERSION = 1
MANIFEST_SIZE = 4096
MANIFEST_MAX_MODULES = 32
MANIFEST_STRINGS_OFFSET = 0x220
MANIFEST_HEADER = struct.Struct("<IHHIIIIII")    # magic .. reserved, 32 bytes
MANIFEST_MODULE = struct.Struct("<IIII")         # offset, size, string, reserved
FILE_ALIGN = 4096

# Multiboot Specification 0.6.96, section 3.1.
MULTIBOOT_HEADER_MAGIC = 0x1BADB002
MULTIBOOT_SEARCH = 8192
FLAG_PAGE_ALIGN = 1 << 0
FLAG_MEMORY_INFO = 1 << 1
FLAG_VIDEO_MODE = 1 << 2
FLAG_AOUT_KLUDGE = 1 << 16
REQUIRED_FLAGS = 0xFFFF
MULTIBOOT_HEADER = struct.Struct("<III")                   # magic, flags, checksum
MULTIBOOT_KLUDGE = struct.Struct("<IIIII")                 # header_addr .. entry_addr

# ELF (System V ABI).
ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB = 1
ET_EXEC, ET_DYN = 2, 3
EM_386, EM_X86_64 = 3, 62
PT_LOAD = 1
ELF_IDENT = 16
ELF32_EHDR = struct.Struct("<HHIIIIIHHHHHH")     # after e_ident
ELF64_EHDR = struct.Struct("<HHIQQQIHHHHHH")
ELF32_PHDR = struct.Struct("<IIIIIIII")          # type offset vaddr paddr filesz memsz flags align
ELF64_PHDR = struct.Struct("<IIQQQQQQ")          # type flags offset vaddr paddr filesz memsz align


class ImageError(Exception):
    """A problem with the inputs, said in one line."""


# What the loader will do with the kernel: its physical extent [start, end),
# bss included, the entry point, and which Multiboot path loads it.
KernelInfo = namedtuple("KernelInfo", "start end entry method header_offset flags")

# Where everything went, for the caller's information (and the tests).
ImageLayout = namedtuple("ImageLayout", "stage2_sectors payload_lba staging_addr "
                         "payload_size kernel_offset module_offsets image_size kernel")


def align_up(value, alignment):
    return (value + alignment - 1) // alignment * alignment


# ---------------------------------------------------------------- the kernel

def find_multiboot_header(data):
    """Offset and flags of the Multiboot header (3.1.1: 32-bit aligned, wholly
    in the first 8192 bytes, magic + flags + checksum == 0 mod 2^32). Like
    GRUB, skip a magic whose checksum is wrong, but name it if nothing else
    is found."""
    limit = min(len(data), MULTIBOOT_SEARCH)
    bad_checksum_at = None
    for offset in range(0, limit - MULTIBOOT_HEADER.size + 1, 4):
        magic, flags, checksum = MULTIBOOT_HEADER.unpack_from(data, offset)
        if magic != MULTIBOOT_HEADER_MAGIC:
            continue
        if (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return offset, flags
        if bad_checksum_at is None:
            bad_checksum_at = offset
    if bad_checksum_at is not None:
        raise ImageError("bad Multiboot header checksum at offset 0x%x "
                         "(magic + flags + checksum must be 0 mod 2^32)" % bad_checksum_at)
    raise ImageError("not a Multiboot v1 kernel: no header magic 0x%08X in its first %d bytes"
                     % (MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH))


def check_header_flags(flags):
    """3.1.2: flags 0-15 are demands; the loader meets 0 and 1 only."""
    if flags & FLAG_VIDEO_MODE:
        raise ImageError("kernel asks for a video mode (Multiboot header flag 2), which the "
                         "fast loader does not set up: boot it with GRUB, or clear the flag")
    unknown = flags & REQUIRED_FLAGS & ~(FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO)
    if unknown:
        raise ImageError("kernel requires Multiboot features the fast loader does not know "
                         "(header flags 0x%08x, unknown required bits 0x%04x)" % (flags, unknown))


def inspect_kludge(data, header_offset, flags):
    """3.1.3: the a.out kludge. The file bytes from header_offset -
    (header_addr - load_addr) go to load_addr, up to load_end_addr (0: the
    end of the file); bss_end_addr (0: none) ends the zeroed bss."""
    fields_at = header_offset + MULTIBOOT_HEADER.size
    if fields_at + MULTIBOOT_KLUDGE.size > min(len(data), MULTIBOOT_SEARCH):
        raise ImageError("a.out kludge header at offset 0x%x is cut off by the end of the "
                         "file or of its first %d bytes" % (header_offset, MULTIBOOT_SEARCH))
    header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr = \
        MULTIBOOT_KLUDGE.unpack_from(data, fields_at)

    def inconsistent(why):
        return ImageError("a.out kludge fields inconsistent with the file: " + why)

    if load_addr > header_addr:
        raise inconsistent("load_addr 0x%08x is above header_addr 0x%08x" % (load_addr, header_addr))
    header_delta = header_addr - load_addr
    if header_delta > header_offset:
        raise inconsistent("header_addr - load_addr = 0x%x, but the header is only 0x%x bytes "
                           "into the file" % (header_delta, header_offset))
    load_offset = header_offset - header_delta
    if load_end_addr == 0:
        load_size = len(data) - load_offset
    else:
        if load_end_addr < load_addr:
            raise inconsistent("load_end_addr 0x%08x is below load_addr 0x%08x"
                               % (load_end_addr, load_addr))
        load_size = load_end_addr - load_addr
        if load_offset + load_size > len(data):
            raise inconsistent("it loads %d bytes from file offset 0x%x, but the file has %d bytes"
                               % (load_size, load_offset, len(data)))
    if header_delta + MULTIBOOT_HEADER.size > load_size:
        raise inconsistent("header_addr 0x%08x lies outside the bytes it loads" % header_addr)
    end = load_addr + load_size
    if end > FOUR_GIB:
        raise ImageError("kernel's a.out kludge loads %d bytes at load_addr 0x%08x: they do not end "
                         "below 4 GiB" % (load_size, load_addr))
    if bss_end_addr:
        if bss_end_addr < end:
            raise inconsistent("bss_end_addr 0x%08x is below the end of the loaded bytes 0x%08x"
                               % (bss_end_addr, end))
        end = bss_end_addr
    if not load_addr <= entry_addr < end:
        raise inconsistent("entry_addr 0x%08x is outside the kernel 0x%08x-0x%08x"
                           % (entry_addr, load_addr, end))
    return KernelInfo(load_addr, end, entry_addr, "a.out kludge", header_offset, flags)


def read_elf_header(data):
    """(is64, entry, phoff, phnum, phentsize), after GRUB's checks."""
    if len(data) < ELF_IDENT + ELF64_EHDR.size or data[:4] != ELF_MAGIC:
        raise ImageError("kernel is not an ELF file, and its Multiboot header lacks the a.out "
                         "kludge (flag 16): nothing says where to load it")
    if data[5] != ELFDATA2LSB:
        raise ImageError("kernel is a big-endian ELF file")
    elf_class = data[4]
    if elf_class not in (ELFCLASS32, ELFCLASS64):
        raise ImageError("kernel is an ELF file of unknown class %d" % elf_class)
    is64 = elf_class == ELFCLASS64
    ehdr, phdr = (ELF64_EHDR, ELF64_PHDR) if is64 else (ELF32_EHDR, ELF32_PHDR)
    (e_type, e_machine, e_version, e_entry, e_phoff, _shoff, _flags, _ehsize,
     e_phentsize, e_phnum, _shentsize, _shnum, _shstrndx) = ehdr.unpack_from(data, ELF_IDENT)
    want = EM_X86_64 if is64 else EM_386
    if e_machine != want:
        raise ImageError("kernel is an ELF%d file for machine %d, but must be for %d (%s)"
                         % (64 if is64 else 32, e_machine, want, "x86-64" if is64 else "i386"))
    if e_version != 1:
        raise ImageError("kernel is an ELF file of unknown version %d" % e_version)
    if e_type not in (ET_EXEC, ET_DYN):
        raise ImageError("kernel is an ELF file of type %d, not an executable" % e_type)
    if e_phentsize < phdr.size:
        raise ImageError("kernel's ELF program headers are too small (%d bytes)" % e_phentsize)
    if e_phoff + e_phnum * e_phentsize > MULTIBOOT_SEARCH:
        raise ImageError("kernel's ELF program headers lie beyond its first %d bytes"
                         % MULTIBOOT_SEARCH)
    if e_phoff + e_phnum * e_phentsize > len(data):
        raise ImageError("kernel's ELF program headers run past the end of the file: "
                         "is the file truncated?")
    return is64, e_entry, e_phoff, e_phnum, e_phentsize


def elf_segments(data, is64, phoff, phnum, phentsize):
    """Every PT_LOAD segment that loads something, as
    (index, offset, vaddr, paddr, filesz, memsz)."""
    for i in range(phnum):
        at = phoff + i * phentsize
        if is64:
            p_type, _fl, offset, vaddr, paddr, filesz, memsz, _al = ELF64_PHDR.unpack_from(data, at)
        else:
            p_type, offset, vaddr, paddr, filesz, memsz, _fl, _al = ELF32_PHDR.unpack_from(data, at)
        if p_type == PT_LOAD and memsz:
            yield i, offset, vaddr, paddr, filesz, memsz


def inspect_elf(data, header_offset, flags):
    """PT_LOAD segments go to their physical addresses, and must not overlap;
    the entry point is translated through the segment whose virtual range
    holds it, as GRUB does, or else taken as physical if a segment's physical
    range holds it, as QEMU's -kernel does (lib/mbimage.c, find_entry)."""
    is64, entry, phoff, phnum, phentsize = read_elf_header(data)
    start, end = FOUR_GIB, 0
    segments = []
    for i, offset, vaddr, paddr, filesz, memsz in elf_segments(data, is64, phoff, phnum, phentsize):
        if filesz > memsz:
            raise ImageError("kernel's ELF segment %d has more file bytes (%d) than memory bytes (%d)"
                             % (i, filesz, memsz))
        if offset + filesz > len(data):
            raise ImageError("kernel's ELF segment %d runs past the end of the file" % i)
        if paddr + memsz > FOUR_GIB:
            raise ImageError("kernel's ELF segment %d (physical 0x%x) does not end below 4 GiB"
                             % (i, paddr))
        for j, _v, p, m in segments:
            if paddr < p + m and p < paddr + memsz:
                raise ImageError("kernel's ELF segments %d (physical 0x%x-0x%x) and %d (physical "
                                 "0x%x-0x%x) overlap: link them apart"
                                 % (j, p, p + m, i, paddr, paddr + memsz))
        segments.append((i, vaddr, paddr, memsz))
        start, end = min(start, paddr), max(end, paddr + memsz)
    if end == 0:
        raise ImageError("kernel's ELF file has no loadable (PT_LOAD) segment")
    physical_entry = next((entry - v + p for _i, v, p, m in segments if v <= entry < v + m),
                          next((entry for _i, _v, p, m in segments if p <= entry < p + m), None))
    if physical_entry is None:
        listed = "; ".join("%d: virtual 0x%x, physical 0x%x, 0x%x bytes" % s for s in segments[:3])
        raise ImageError("kernel's ELF entry point 0x%x lies in no loadable segment, neither in its "
                         "virtual nor in its physical range (segments %s%s)"
                         % (entry, listed, ", ..." if len(segments) > 3 else ""))
    return KernelInfo(start, end, physical_entry, "ELF64" if is64 else "ELF32", header_offset, flags)


def inspect_kernel(data):
    """Check a kernel file as every loader will (lib/mbimage.c), and say where
    it goes."""
    header_offset, flags = find_multiboot_header(data)
    check_header_flags(flags)
    if flags & FLAG_AOUT_KLUDGE:
        return inspect_kludge(data, header_offset, flags)
    return inspect_elf(data, header_offset, flags)


def inspect_fast_loader_kernel(data):
    """inspect_kernel, and the fast loader's own limit: it runs, with the
    BIOS, below 1 MiB (GRUB, QEMU and the hypervisor load kernels there)."""
    kernel = inspect_kernel(data)
    if kernel.start < LOADER_RESERVED_END:
        raise ImageError("kernel extent 0x%08x-0x%08x starts below 1 MiB, which the BIOS and "
                         "the fast loader use: link it at 1 MiB or above, or boot it with GRUB "
                         "or QEMU's -kernel" % (kernel.start, kernel.end))
    return kernel


# ---------------------------------------------------------------- the image

def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ImageError("cannot read %s '%s': %s" % (what, path, e.strerror))


def file_size(path, what):
    try:
        if not os.path.isfile(path):
            raise ImageError("cannot read %s '%s': not a regular file" % (what, path))
        return os.path.getsize(path)
    except OSError as e:
        raise ImageError("cannot read %s '%s': %s" % (what, path, e.strerror))


def encode_string(text, what):
    data = text.encode("utf-8")
    if b"\0" in data:
        raise ImageError("%s contains a NUL character" % what)
    return data + b"\0"


def pack_strings(cmdline, module_strings):
    """The manifest's string area: every string NUL-terminated, one after the
    other. Returns (area, offsets), offsets counted from the manifest start."""
    strings = [encode_string(cmdline, "the command line")]
    strings += [encode_string(s, "the string of module %d" % i) for i, s in enumerate(module_strings)]
    room = MANIFEST_SIZE - MANIFEST_STRINGS_OFFSET
    total = sum(len(s) for s in strings)
    if total > room:
        raise ImageError("strings too long for the manifest: the command line and module strings "
                         "take %d bytes with their NULs, the manifest holds %d" % (total, room))
    offsets, at = [], MANIFEST_STRINGS_OFFSET
    for s in strings:
        offsets.append(at)
        at += len(s)
    return b"".join(strings), offsets


def pack_manifest(staging_addr, payload_size, kernel_offset, kernel_size, cmdline, modules):
    """modules: list of (offset, size, string). Returns the 4096-byte manifest."""
    area, offsets = pack_strings(cmdline, [string for _, _, string in modules])
    header = MANIFEST_HEADER.pack(MANIFEST_MAGIC, MANIFEST_VERSION, len(modules), staging_addr,
                                  payload_size, kernel_offset, kernel_size, offsets[0], 0)
    table = b"".join(MANIFEST_MODULE.pack(offset, size, offsets[1 + i], 0)
                     for i, (offset, size, _) in enumerate(modules))
    manifest = bytearray(MANIFEST_SIZE)
    manifest[:len(header)] = header
    manifest[len(header):len(header) + len(table)] = table
    manifest[MANIFEST_STRINGS_OFFSET:MANIFEST_STRINGS_OFFSET + len(area)] = area
    return bytes(manifest)


def read_loader(loader_dir):
    """boot.bin (checked) and stage2.bin (padded to whole sectors)."""
    boot = read_file(os.path.join(loader_dir, "boot.bin"), "boot sector")
    if len(boot) != SECTOR or boot[510:] != b"\x55\xaa" or \
            struct.unpack_from("<I", boot, MBR_FIELD_MAGIC)[0] != MBR_BOOT_MAGIC:
        raise ImageError("'%s' is not the hvlab boot sector (512 bytes, magic HVLB at 0x%x, 55 AA): "
                         "rebuild the loader (make %s/boot.bin)"
                         % (os.path.join(loader_dir, "boot.bin"), MBR_FIELD_MAGIC, loader_dir))
    stage2 = read_file(os.path.join(loader_dir, "stage2.bin"), "stage2")
    sectors = align_up(len(stage2), SECTOR) // SECTOR
    if not 0 < sectors <= STAGE2_MAX_SECTORS:
        raise ImageError("stage2.bin has %d sectors, but the boot sector loads 1 to %d"
                         % (sectors, STAGE2_MAX_SECTORS))
    return boot, stage2.ljust(sectors * SECTOR, b"\0")


def patch_boot_sector(boot, stage2_sectors, payload_lba):
    patched = bytearray(boot)
    struct.pack_into("<H", patched, MBR_FIELD_STAGE2_SECTORS, stage2_sectors)
    struct.pack_into("<I", patched, MBR_FIELD_PAYLOAD_LBA, payload_lba)
    return bytes(patched)


def layout_payload(kernel_size, module_sizes):
    """Offsets in the payload: the kernel right after the manifest, each
    module at the next 4 KiB boundary (so page-aligned in memory: the
    staging address is 2 MiB aligned). Returns (kernel_offset,
    module_offsets, payload_size)."""
    kernel_offset = MANIFEST_SIZE
    at = kernel_offset + kernel_size
    module_offsets = []
    for size in module_sizes:
        at = align_up(at, FILE_ALIGN)
        module_offsets.append(at)
        at += size
    return kernel_offset, module_offsets, at


def choose_staging(kernel, payload_size):
    """Above the kernel's whole extent (bss included), on a 2 MiB boundary,
    so the kernel's copy from the staged file never overlaps its source."""
    staging = align_up(kernel.end, STAGING_ALIGN)
    if staging + align_up(payload_size, SECTOR) > FOUR_GIB:
        raise ImageError("payload of %d bytes staged at 0x%x would not end below 4 GiB"
                         % (payload_size, staging))
    return staging


def copy_file(out, path, what, size):
    """Stream a (possibly large) file into the image; check its size held."""
    copied = 0
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(MIB)
                if not chunk:
                    break
                out.write(chunk)
                copied += len(chunk)
    except OSError as e:
        raise ImageError("cannot read %s '%s': %s" % (what, path, e.strerror))
    if copied != size:
        raise ImageError("%s '%s' changed size while being copied" % (what, path))


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_image(out_path, write_contents):
    """Write through a temporary file in the same directory, then rename it
    into place: atomic, and parallel runs never share a temporary file."""
    directory = os.path.dirname(os.path.abspath(out_path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mkimage-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise ImageError("cannot write '%s': %s" % (out_path, e.strerror))
    try:
        with os.fdopen(fd, "wb") as out:
            write_contents(out)
        os.chmod(tmp, 0o666 & ~current_umask())    # mkstemp made it 0600
        os.replace(tmp, out_path)
    except OSError as e:
        os.unlink(tmp)
        raise ImageError("cannot write '%s': %s" % (out_path, e.strerror))
    except BaseException:
        os.unlink(tmp)
        raise


def build_image(out_path, kernel_path, cmdline, modules, loader_dir):
    """Build the disk image; returns its ImageLayout. modules: list of
    (path, string). Raises ImageError with a one-line message."""
    modules = list(modules)
    if len(modules) > MANIFEST_MAX_MODULES:
        raise ImageError("too many modules: %d, the manifest holds %d"
                         % (len(modules), MANIFEST_MAX_MODULES))
    boot, stage2 = read_loader(loader_dir)
    kernel_data = read_file(kernel_path, "kernel")
    kernel = inspect_fast_loader_kernel(kernel_data)
    module_sizes = [file_size(path, "module") for path, _ in modules]

    kernel_offset, module_offsets, payload_size = layout_payload(len(kernel_data), module_sizes)
    if payload_size >= FOUR_GIB:
        raise ImageError("payload of %d bytes is too large (the manifest counts in 32 bits)"
                         % payload_size)
    staging = choose_staging(kernel, payload_size)
    manifest = pack_manifest(staging, payload_size, kernel_offset, len(kernel_data), cmdline,
                             [(off, size, string) for off, size, (_, string)
                              in zip(module_offsets, module_sizes, modules)])
    stage2_sectors = len(stage2) // SECTOR
    payload_lba = 1 + stage2_sectors
    image_size = align_up(payload_lba * SECTOR + payload_size, CYLINDER)

    def write_contents(out):
        out.write(patch_boot_sector(boot, stage2_sectors, payload_lba))
        out.write(stage2)
        payload_start = out.tell()
        out.write(manifest)
        out.write(kernel_data)
        for (path, _), offset, size in zip(modules, module_offsets, module_sizes):
            out.seek(payload_start + offset)        # the gap reads as zeros
            copy_file(out, path, "module", size)
        out.truncate(image_size)                     # zero padding, sparse where possible

    write_image(out_path, write_contents)
    return ImageLayout(stage2_sectors, payload_lba, staging, payload_size, kernel_offset,
                       module_offsets, image_size, kernel)


# ---------------------------------------------------------------- command line

def parse_args(argv):
    """argparse itself reports usage errors as "mkimage: error: ..." with status 2."""
    p = argparse.ArgumentParser(prog="mkimage", description="Build a raw disk image that boots a Multiboot v1 "
               "kernel with hvlab's fast loader (tools/loader/README.md).")
    p.add_argument("--loader-dir", required=True, help="directory holding boot.bin and stage2.bin")
    p.add_argument("-o", "--output", required=True, help="the image to write")
    p.add_argument("--kernel", required=True, help="the Multiboot v1 kernel (ELF32, ELF64 "
                   "or a.out kludge)")
    p.add_argument("--cmdline", default="", help="the kernel's command line, exactly as the "
                   "kernel will see it (GRUB-style: its path first)")
    p.add_argument("--module", nargs=2, action="append", default=[], metavar=("FILE", "STRING"),
                   help="a module and its string; repeat for more, in order")
    p.add_argument("-v", "--verbose", action="store_true", help="print where everything went")
    return p.parse_args(argv)


def describe(layout):
    k = layout.kernel
    lines = ["kernel: %s, extent 0x%08x-0x%08x, entry 0x%08x" % (k.method, k.start, k.end, k.entry),
             "stage2: %d sectors; payload at LBA %d, %d bytes, staged at 0x%08x"
             % (layout.stage2_sectors, layout.payload_lba, layout.payload_size, layout.staging_addr)]
    lines += ["module %d: at 0x%08x" % (i, layout.staging_addr + off)
              for i, off in enumerate(layout.module_offsets)]
    lines.append("image: %d bytes (%d cylinders)" % (layout.image_size, layout.image_size // CYLINDER))
    return "\n".join("mkimage: " + line for line in lines)


def main(argv=None):
    args = parse_args(argv)
    try:
        layout = build_image(args.output, args.kernel, args.cmdline,
                             [tuple(m) for m in args.module], args.loader_dir)
    except ImageError as e:
        print("mkimage: error: %s" % e, file=sys.stderr)
        return 2
    if args.verbose:
        print(describe(layout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
