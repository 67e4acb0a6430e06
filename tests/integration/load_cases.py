"""Guest kernels the hypervisor loads, or refuses, at load time (guest.c,
lib/mbimage.c). Each kernel is a Multiboot ELF32 file generated here: one
PT_LOAD segment at a chosen physical address, whose code prints a line on
COM1 and powers off through port 0xF4 (the kit's power-off port). A
kernel the hypervisor can place is loaded wherever GRUB would load it, below
1 MiB too; one it cannot is refused with a report, never a panic.
"""
import os
import struct

from harness import DATA, FAIL, HV, OK, Case

MB_MAGIC, MB_FLAGS = 0x1BADB002, 0x3      # page-align modules, memory info


def low_kernel(name, paddr, line=b"lowkernel: ran\n"):
    """An ELF32 Multiboot kernel whose one segment loads at paddr: it prints
    `line` on COM1 and writes 0 to port 0xF4."""
    code_at = paddr + 0x100   # the segment: header and message first, code after
    msg_at = paddr + 0x20
    code = b"".join([
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
    seg = bytearray(0x200)
    seg[0:12] = struct.pack("<III", MB_MAGIC, MB_FLAGS, (-(MB_MAGIC + MB_FLAGS)) & 0xFFFFFFFF)
    seg[0x20:0x20 + len(line)] = line
    seg[0x100:0x100 + len(code)] = code
    ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 3, 1, code_at,
                       52, 0, 0, 52, 32, 1, 0, 0, 0)
    phdr = struct.pack("<IIIIIIII", 1, 0x1000, paddr, paddr, len(seg), len(seg), 7, 0x1000)
    data = bytearray(0x1000)
    data[0:52] = ehdr
    data[52:84] = phdr
    data += seg
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def load_cases():
    cases = []
    # Every mode the hostile suite runs (tests/integration/hostile.py).
    # (name suffix, runner options, hypervisor options)
    modes = [("", [], []), ("-shadow", [], ["mem=shadow"]),
             ("-deprivileged", [], ["cpu=deprivileged", "mem=shadow"]),
             ("-patch", [], ["cpu=deprivileged", "mem=shadow", "patch=1"]),
             ("-icelake", ["--cpu", "corei7_icelake_u"], [])]
    for suffix, runner, mode in modes:
        # Below 1 MiB, clear of the boot information: ordinary guest RAM.
        low = low_kernel("low-kernel-64k.elf", 0x10000)
        cases.append(Case("hv-load-below-1mib" + suffix, runner + ["--module", low, HV, "--"] + mode, OK,
                          must=[r"^hv: guest kernel loaded at 0x00010000-0x00010200, entry 0x00010100",
                                r"^lowkernel: ran$"],
                          must_not=[r"^PANIC"]))
        # Over the boot information the hypervisor writes at 0x1000-0x9000.
        over = low_kernel("low-kernel-4k.elf", 0x4000)
        cases.append(Case("hv-load-over-boot-info" + suffix, runner + ["--module", over, HV, "--"] + mode, FAIL,
                          must=[r"^hv: guest stopped: the guest kernel \(module 0, '/boot/low-kernel-4k.elf'\) "
                                r"wants guest-physical 0x4000-0x4200, where the hypervisor puts the "
                                r"Multiboot information \(0x1000-0x9000\)", r"^POWEROFF 4$"],
                          must_not=[r"^PANIC", r"^lowkernel:"]))
    return cases
