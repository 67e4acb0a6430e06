#!/usr/bin/env python3
"""mkseed.py IN.elf OUT.elf: a small seed for the ELF fuzzers (fuzz_sensitive,
fuzz_mbimage), cut from one of the kit's own kernels or programs.

The kit's ELF files are 10 to 800 KiB, mostly page-alignment padding and
symbols; a fuzzer mutating them spends its time copying. The seed keeps what
the parsers read: the same ELF class and machine, one PT_LOAD segment and
one code section holding the first CODE_BYTES of the file's first code
section (where the kit's kernels keep their Multiboot header), and the
a.out kludge fields of that header rewritten for the new layout. Under a
KiB, and every parser accepts it as it accepts the original.
"""
import struct
import sys

CODE_BYTES = 512
BSS_BYTES = 0x100
MB_MAGIC = 0x1BADB002
MB_AOUT_KLUDGE = 1 << 16
PT_LOAD, SHT_PROGBITS, SHT_STRTAB = 1, 1, 3
SHF_ALLOC, SHF_EXECINSTR = 2, 4

# struct formats per class: (ehdr, phdr, shdr)
FORMATS = {
    1: ("<16sHHIIIIIHHHHHH", "<IIIIIIII", "<IIIIIIIIII"),
    2: ("<16sHHIQQQIHHHHHH", "<IIQQQQQQ", "<IIQQQQIIQQ"),
}


def first_code_section(f, cls):
    eh = struct.unpack_from(FORMATS[cls][0], f)
    shoff, shentsize, shnum = eh[6], eh[11], eh[12]
    for i in range(shnum):
        sh = struct.unpack_from(FORMATS[cls][2], f, shoff + i * shentsize)
        flags = sh[2]
        if sh[1] == SHT_PROGBITS and flags & SHF_ALLOC and flags & SHF_EXECINSTR:
            return sh[3], sh[4], sh[5]          # address, offset, size
    sys.exit("mkseed: %s has no code section" % sys.argv[1])


def physical_of(f, cls, offset):
    """The physical address a loader puts file byte `offset` at."""
    eh = struct.unpack_from(FORMATS[cls][0], f)
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    for i in range(phnum):
        ph = struct.unpack_from(FORMATS[cls][1], f, phoff + i * phentsize)
        if cls == 1:
            ptype, poff, _, paddr, filesz = ph[0], ph[1], ph[2], ph[3], ph[4]
        else:
            ptype, poff, paddr, filesz = ph[0], ph[2], ph[4], ph[5]
        if ptype == PT_LOAD and poff <= offset < poff + filesz:
            return paddr + offset - poff
    return offset


def rewrite_kludge(code, paddr, entry):
    """Point the a.out kludge fields of a Multiboot header at the new layout."""
    for off in range(0, len(code) - 32, 4):
        magic, flags, checksum = struct.unpack_from("<III", code, off)
        if magic == MB_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            if flags & MB_AOUT_KLUDGE:
                struct.pack_into("<IIIII", code, off + 12, paddr + off, paddr,
                                 paddr + len(code), paddr + len(code) + BSS_BYTES, entry)
            return


def main():
    src, dst = sys.argv[1], sys.argv[2]
    f = open(src, "rb").read()
    cls = f[4]
    ehdr_fmt, phdr_fmt, shdr_fmt = FORMATS[cls]
    eh = struct.unpack_from(ehdr_fmt, f)
    addr, offset, size = first_code_section(f, cls)
    code = bytearray(f[offset:offset + min(size, CODE_BYTES)])
    paddr = physical_of(f, cls, offset)
    entry = eh[4] if addr <= eh[4] < addr + len(code) else addr
    rewrite_kludge(code, paddr, paddr + (entry - addr))

    ehsize, phsize, shsize = (struct.calcsize(x) for x in FORMATS[cls])
    code_off = ehsize + phsize
    names = b"\0.text\0.shstrtab\0"
    names_off = code_off + len(code)
    shoff = (names_off + len(names) + 7) & ~7
    ident = f[:16]
    out = bytearray(struct.pack(ehdr_fmt, ident, eh[1], eh[2], eh[3], entry, ehsize, shoff,
                                eh[7], ehsize, phsize, 1, shsize, 3, 2))
    if cls == 1:
        out += struct.pack(phdr_fmt, PT_LOAD, code_off, addr, paddr, len(code),
                           len(code) + BSS_BYTES, 7, 16)
    else:
        out += struct.pack(phdr_fmt, PT_LOAD, 7, code_off, addr, paddr, len(code),
                           len(code) + BSS_BYTES, 16)
    out += code + names
    out += bytes(shoff - len(out))
    text = (1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, addr, code_off, len(code), 0, 0, 16, 0)
    strtab = (7, SHT_STRTAB, 0, 0, names_off, len(names), 0, 0, 1, 0)
    for sh in ((0,) * 10, text, strtab):
        out += struct.pack(shdr_fmt, *sh)
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
