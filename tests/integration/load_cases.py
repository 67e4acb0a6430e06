"""Guest kernels the hypervisor loads, or refuses, at load time (guest.c,
lib/mbimage.c): a loader as tolerant as QEMU's -kernel.

Two kinds of kernel:
  - the mbinfo test kernel in the shapes PC kernels come in (mbinfo.mk):
    linked below 1 MiB, linked high with a physical entry, an a.out-kludge
    flat binary. Each runs natively under QEMU's -kernel, the reference, and
    under the hypervisor in every mode; each reports where it was entered,
    where its image is, and whether the boot information lies clear of it,
    and both must report the same (what the ELF or the kludge fields say);
  - Multiboot files generated here: segments at chosen addresses whose code
    prints a line on COM1 and powers off through port 0xF4, or whose headers
    are wrong in one way: each refusal is a report, never a panic.
"""
import os
import struct
import sys

from harness import BUILD, DATA, FAIL, HV, OK, PANIC, Case, crc, data_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkimage  # noqa: E402

MB_MAGIC, MB_FLAGS = 0x1BADB002, 0x3      # page-align modules, memory info
AOUT_KLUDGE = 0x10000
STOPPED = r"^POWEROFF 4$"

# Every mode the hostile suite runs (tests/integration/hostile.py).
# (name suffix, runner options, hypervisor options)
MODES = [("", [], []), ("-shadow", [], ["mem=shadow"]),
         ("-deprivileged", [], ["cpu=deprivileged", "mem=shadow"]),
         ("-patch", [], ["cpu=deprivileged", "mem=shadow", "patch=1"]),
         ("-icelake", ["--cpu", "corei7_icelake_u"], [])]


def mb_header(flags=MB_FLAGS, kludge=None):
    """A Multiboot header; kludge: (header_addr, load_addr, load_end_addr,
    bss_end_addr, entry_addr), with flag 16."""
    if kludge is not None:
        flags |= AOUT_KLUDGE
    h = struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF)
    return h + (struct.pack("<IIIII", *kludge) if kludge is not None else b"")


def printing_code(msg_at):
    """i386 code: print the NUL-terminated string at msg_at on COM1, then
    write 0 to port 0xF4."""
    return b"".join([
        b"\xbe" + struct.pack("<I", msg_at),          # mov esi, msg
        b"\x66\xba\xf8\x03",                          # mov dx, 0x3f8
        b"\xac",                                      # 1: lodsb
        b"\x84\xc0",                                  # test al, al
        b"\x74\x03",                                  # jz 2f
        b"\xee",                                      # out dx, al
        b"\xeb\xf8",                                  # jmp 1b
        b"\x66\xba\xf4\x00",                          # 2: mov dx, 0xf4
        b"\x30\xc0",                                  # xor al, al
        b"\xee",                                      # out dx, al
        b"\xfa\xf4",                                  # cli; hlt
    ])


def image(paddr, line, header):
    """0x200 bytes loaded at paddr: the header at 0, the line at 0x20, the
    code at 0x100."""
    seg = bytearray(0x200)
    seg[0:len(header)] = header
    seg[0x40:0x40 + len(line)] = line
    code = printing_code(paddr + 0x40)
    seg[0x100:0x100 + len(code)] = code
    return bytes(seg)


def write(name, data):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def elf_kernel(name, segments, entry, header=None, line=b"lowkernel: ran\n"):
    """An ELF32 Multiboot kernel. segments: (vaddr, paddr, memsz) each; the
    first holds image(paddr), the others nothing but bss."""
    phdrs, body = b"", bytearray()
    for i, (vaddr, paddr, memsz) in enumerate(segments):
        data = image(paddr, line, header if header is not None else mb_header()) if i == 0 else b""
        phdrs += struct.pack("<IIIIIIII", 1, 0x1000 + len(body), vaddr, paddr, len(data), memsz, 7, 0x1000)
        body += data
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 3, 1, entry,
                       52, 0, 0, 52, 32, len(segments), 0, 0, 0)
    head = bytearray(0x1000)
    head[0:52] = ehdr
    head[52:52 + len(phdrs)] = phdrs
    return write(name, bytes(head) + bytes(body))


def low_kernel(name, paddr, line=b"lowkernel: ran\n"):
    """One segment at paddr (virtual = physical), entered at its code."""
    return elf_kernel(name, [(paddr, paddr, 0x200)], paddr + 0x100, line=line)


def kludge_kernel(name, load_addr, load_end=None, bss_end=0, entry=None, header_addr=None,
                  line=b"kludgekernel: ran\n", skipped=0):
    """A flat binary, 0x200 bytes to load at load_addr, its header first:
    only the a.out kludge fields say where it goes (None: consistent). The
    file may start with `skipped` bytes of 0xCC that the fields leave out."""
    fields = (load_addr if header_addr is None else header_addr, load_addr,
              load_addr + 0x200 if load_end is None else load_end, bss_end,
              load_addr + 0x100 if entry is None else entry)
    return write(name, b"\xcc" * skipped + image(load_addr, line, mb_header(kludge=fields)))


def shape_cases():
    """The mbinfo kernel's shapes, under QEMU and under the hypervisor."""
    small = data_file("small.bin", 1000, 1)
    module = r"^mbinfo: module 0 start=0x[0-9a-f]{5}000 size=1000 aligned=yes crc32=%s string='\S*small.bin one'$" % crc(small)
    cases = []
    for name in ("mbinfo-low64k.elf", "mbinfo-low8k.elf", "mbinfo-high.elf", "mbinfo-kludge.bin"):
        path = os.path.join(BUILD, "tests", name)
        short = name.replace(".elf", "").replace(".bin", "")
        if not os.path.exists(path):
            # Not built (make check-images builds it): one case that fails
            # and says so, the case list still importable.
            cases.append(Case("load-shape-%s" % short, [path], OK))
            continue
        with open(path, "rb") as f:
            k = mkimage.inspect_kernel(f.read())
        where = r"^mbinfo: entered at 0x%08x, image 0x%08x-0x%08x$" % (k.entry, k.start, k.end)
        same = [r"^mbinfo: magic ok$", where, r"^mbinfo: boot information clear of the image: yes$",
                r"^mbinfo: mmap base=0x0000000000100000 len=0x[0-9a-f]+ type=1$", r"^mbinfo: mods=1$",
                module, r"^POWEROFF 0$"]
        native = ["--emu", "qemu", "--boot", "kernel", "--blob", small + " one", path, "--", "a=1"]
        if name == "mbinfo-low8k.elf":
            # QEMU's -kernel writes its mbi at 0x9000 and loads the kernel
            # over it (hw/i386/multiboot.c, ADDR_MBI): the kernel says so.
            cases.append(Case("load-shape-%s-qemu" % short, native, PANIC,
                              must=[r"^PANIC mbinfo: the boot information at 0x0000[0-9a-f]{4} lies inside "
                                    r"the image 0x%08x-0x%08x$" % (k.start, k.end)]))
        else:
            cases.append(Case("load-shape-%s-qemu" % short, native, OK,
                              must=same + [r"^mbinfo: loader='qemu'$"]))
        kernel = ["--module" if name.endswith(".elf") else "--blob", path + " x=1"]
        for suffix, runner, mode in MODES[:3]:
            moved = [r"^hv: guest's Multiboot information at 0x[0-9a-f]+000-0x[0-9a-f]+000, after its "
                     r"kernel and modules \(the kernel loads over 0x1000-0x9000\)$"] if k.start < 0x9000 else []
            cases.append(Case("load-shape-%s-hv%s" % (short, suffix),
                              runner + kernel + ["--blob", small + " one", HV, "--"] + mode, OK,
                              must=same + moved + [r"^mbinfo: loader='hvlab hypervisor'$",
                                                   r"^hv: guest kernel loaded at 0x%08x-0x%08x, entry 0x%08x"
                                                   % (k.start, k.end, k.entry)],
                              must_not=[r"^PANIC"]))
    return cases


def refused(name, argv, why):
    """A kernel refused before it runs: its reason, the status of a stopped guest."""
    return Case(name, argv, FAIL, must=[r"^hv: guest stopped: " + why, STOPPED],
                must_not=[r"^PANIC", r"kernel: ran$"])


def refusal_cases():
    mod = lambda path: ["--blob" if path.endswith(".bin") else "--module", path, HV, "--"]  # noqa: E731
    no_entry = elf_kernel("entry-nowhere.elf", [(0xC0100000, 0x100000, 0x200)], 0x300000)
    overlap = elf_kernel("segments-overlap.elf", [(0x100000, 0x100000, 0x1000), (0x100800, 0x100800, 0x1000)],
                         0x100100)
    page0 = low_kernel("low-kernel-page0.elf", 0x800)
    above = low_kernel("kernel-above-ram.elf", 0x5000000)
    video = elf_kernel("video-mode.elf", [(0x100000, 0x100000, 0x200)], 0x100100, header=mb_header(MB_FLAGS | 4))
    unknown_flag = elf_kernel("unknown-required-flag.elf", [(0x100000, 0x100000, 0x200)], 0x100100,
                              header=mb_header(MB_FLAGS | 0x8))
    full = elf_kernel("truncated.elf", [(0x100000, 0x100000, 0x200)], 0x100100)
    with open(full, "rb") as f:
        truncated = write("truncated.elf", f.read()[:-0x80])
    kernel = r"guest kernel \(module 0, '/boot/%s'\): kernel's "
    cases = [
        refused("load-refused-entry-nowhere", mod(no_entry),
                kernel % "entry-nowhere.elf" + r"ELF entry point 0x300000 lies in no loadable segment, neither in its "
                r"virtual nor in its physical range \(segments 0: virtual 0xc0100000, physical 0x100000, 0x200 bytes\)"),
        refused("load-refused-segments-overlap", mod(overlap),
                kernel % "segments-overlap.elf" + r"ELF segments 0 \(physical 0x100000-0x101000\) and 1 \(physical "
                r"0x100800-0x101800\) overlap"),
        refused("load-refused-first-page", mod(page0),
                r"the guest kernel \(module 0, '/boot/low-kernel-page0.elf'\) wants guest-physical 0x800-0xa00, "
                r"over the first page \(0-0x1000: the real-mode IVT and the BIOS Data Area"),
        refused("load-refused-above-ram", mod(above) + ["guestmem=64"],
                r"the guest kernel \(module 0, '/boot/kernel-above-ram.elf'\) wants guest-physical "
                r"0x5000000-0x5000200, outside the guest's RAM \(0-0x4000000\)"),
        refused("load-refused-video-mode", mod(video),
                r"guest kernel \(module 0, '/boot/video-mode.elf'\): kernel asks for a video mode \(Multiboot header flag 2\)"),
        refused("load-refused-unknown-required-flag", mod(unknown_flag),
                r"guest kernel \(module 0, '/boot/unknown-required-flag.elf'\): kernel requires Multiboot "
                r"features unknown to this loader \(header flags 0x0000000b, unknown required bits 0x0008\)"),
        refused("load-refused-elf-truncated", mod(truncated),
                kernel % "truncated.elf" + r"ELF segment 0 runs past the end of the file: is the file truncated\?"),
    ]
    # The a.out kludge's inconsistent fields (Multiboot 0.6.96, 3.1.3).
    kl = kernel + "a.out kludge "
    for name, args, why in [
            ("load-end-below-load", dict(load_end=0x7000), r"is inconsistent: load_end_addr 0x00007000 is below "
                                                           r"load_addr 0x00008000"),
            ("header-outside-load", dict(load_end=0x8008), r"is inconsistent: header_addr 0x00008000 lies outside "
                                                           r"the bytes it loads"),
            ("header-before-load", dict(header_addr=0x7000), r"is inconsistent: load_addr 0x00008000 is above "
                                                             r"header_addr 0x00007000"),
            ("file-short", dict(load_end=0x9000), r"is inconsistent: it loads 4096 bytes from file offset 0x0, "
                                                  r"but the file has 512 bytes"),
            ("bss-below-load-end", dict(bss_end=0x8100), r"is inconsistent: bss_end_addr 0x00008100 is below the "
                                                         r"end of the loaded bytes 0x00008200"),
            ("entry-outside", dict(entry=0x9000), r"is inconsistent: entry_addr 0x00009000 is outside the kernel "
                                                  r"0x00008000-0x00008200")]:
        path = kludge_kernel("kludge-%s.bin" % name, 0x8000, **args)
        cases.append(refused("load-refused-kludge-" + name, mod(path), kl % os.path.basename(path) + why))
    bss_beyond = kludge_kernel("kludge-bss-beyond-ram.bin", 0x8000, bss_end=0x4000100)
    cases.append(refused("load-refused-kludge-bss-beyond-ram", mod(bss_beyond) + ["guestmem=64"],
                         r"the guest kernel \(module 0, '/boot/kludge-bss-beyond-ram.bin'\) wants guest-physical "
                         r"0x8000-0x4000100, outside the guest's RAM \(0-0x4000000\)"))
    # A kernel over 0x1000-0x9000 and modules that fill the RAM after it:
    # no room left for the boot information.
    low = low_kernel("low-kernel-4k.elf", 0x4000)
    filler = data_file("fills-4mib.bin", 0x400000 - 0x100000 - 0x4000, 3)
    cases.append(refused("load-refused-no-room-for-boot-info",
                         ["--module", low, "--blob", filler, HV, "--", "guestmem=4"],
                         r"no room for the guest's Multiboot information \(0x8000 bytes\): the kernel loads at "
                         r"0x4000-0x4200, over 0x1000-0x9000, and after it and its modules 0x404000 is beyond the "
                         r"guest's RAM \(0-0x400000\)"))
    return cases


def loaded(extent, entry, line):
    """What the hypervisor and a kernel of this file say once it is loaded
    and has run."""
    return [r"^hv: guest kernel loaded at %s, entry 0x%08x" % (extent, entry), r"^%s: ran$" % line]


def load_cases():
    moved = (r"^hv: guest's Multiboot information at 0x100000-0x108000, after its kernel and modules "
             r"\(the kernel loads over 0x1000-0x9000\)$")
    friendly = [
        # Below 1 MiB, clear of the boot information: ordinary guest RAM.
        ("hv-load-below-1mib", ["--module", low_kernel("low-kernel-64k.elf", 0x10000)],
         loaded("0x00010000-0x00010200", 0x10100, "lowkernel"), [r"Multiboot information at"]),
        # Over where the boot information goes: it moves after the kernel
        # and its modules (here none: 1 MiB).
        ("hv-load-over-boot-info", ["--module", low_kernel("low-kernel-4k.elf", 0x4000)],
         [moved] + loaded("0x00004000-0x00004200", 0x4100, "lowkernel"), []),
        # At 0x1000, the first page a kernel may have: where the mbi itself
        # would be, over the kernel's own line.
        ("hv-load-first-free-page", ["--module", low_kernel("low-kernel-at-4k.elf", 0x1000)],
         [moved] + loaded("0x00001000-0x00001200", 0x1100, "lowkernel"), []),
        # Over the firmware's tables in the BIOS area (ACPI's with
        # devices=virtual): they are written first, and the kernel wins.
        ("hv-load-over-bios-area", ["--module", low_kernel("low-kernel-bios-area.elf", 0xF0000)],
         loaded("0x000f0000-0x000f0200", 0xF0100, "lowkernel"), [r"Multiboot information at"]),
        # A flat a.out-kludge binary below 1 MiB, over the boot information too.
        ("hv-load-kludge-flat", ["--blob", kludge_kernel("kludge-8k.bin", 0x8000, bss_end=0x9000)],
         [moved, r"^hv: guest kernel: a.out kludge, Multiboot header at offset 0x0, loads at "
                 r"0x00008000-0x00009000, entry 0x00008100$"]
         + loaded("0x00008000-0x00009000", 0x8100, "kludgekernel"), []),
        # load_end_addr 0: up to the file's end; bss_end_addr 0: no bss; and
        # loaded from the file offset the header's implies (0x100 bytes in).
        ("hv-load-kludge-zero-fields", ["--blob", kludge_kernel("kludge-zero-fields.bin", 0x200000, load_end=0,
                                                                skipped=0x100)],
         [r"^hv: guest kernel: a.out kludge, Multiboot header at offset 0x100, loads at 0x00200000-0x00200200, "
          r"entry 0x00200100$"] + loaded("0x00200000-0x00200200", 0x200100, "kludgekernel"), []),
        # Linked high, e_entry physical (Linux-style).
        ("hv-load-physical-entry", ["--module", elf_kernel("high-physical-entry.elf", [(0xC0100000, 0x100000, 0x200)],
                                                           0x100100, line=b"highkernel: ran\n")],
         loaded("0x00100000-0x00100200", 0x100100, "highkernel"), []),
    ]
    cases = [Case(name + suffix, runner + kernel + [HV, "--"] + mode, OK, must=must,
                  must_not=[r"^PANIC"] + must_not)
             for suffix, runner, mode in MODES for name, kernel, must, must_not in friendly]
    return cases + shape_cases() + refusal_cases()
