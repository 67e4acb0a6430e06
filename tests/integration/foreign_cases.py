"""foreign_cases.py: PC kernels that nobody on the project wrote, from
Debian's packages (tools/deps.sh installs them), booted unmodified under the
hypervisor with devices=virtual, the PC a kernel expects (issue 18).

grub-invaders (/boot/invaders.exec) is a Multiboot game: an a.out-kludge
image that draws on the CGA screen, reads the keyboard controller and counts
the PIT's ticks, and never powers off: run_for= ends it, a clean stop. It runs under VT-x
with EPT and at ring 1 from the binary translator's cache (bt=1).

GNU Mach (gnumach-image-1.8-486, /boot/gnumach-1.8-486.gz: Debian's amd64
build, an x86-64 kernel) is an ELF64 Multiboot kernel entered at a physical
address in 32-bit mode, which switches to long mode itself; on its serial
console (console=com0) it reports the memory map and the CMOS clock it found,
and, given no Hurd servers as modules, ends in its own panic, as on a PC.
"""
import gzip
import os

from harness import BUILD, HV, OK, OUT, Case

INVADERS = "/boot/invaders.exec"
GNUMACH_GZ = "/boot/gnumach-1.8-486.gz"


def gnumach():
    """The kernel as GRUB loads it: uncompressed (its bytes unchanged)."""
    path = os.path.join(BUILD, "tests", "foreign", "gnumach.elf")
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(GNUMACH_GZ):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with gzip.open(GNUMACH_GZ) as f, open(path + ".tmp", "wb") as out:
            out.write(f.read())
        os.replace(path + ".tmp", path)
    return path


def invaders(name, hv_args, must=()):
    """grub-invaders for two seconds with devices=virtual and hv_args."""
    return Case(name, ["--screenshot", os.path.join(OUT, name + ".png"), "--module", INVADERS, HV, "--",
                       "devices=virtual", "run_for=2", "vmcheck=1"] + hv_args, OK,
                must=[r"^hv: guest kernel: a\.out kludge, Multiboot header at offset 0x84, loads at "
                      r"0x00100000-0x00105b50, entry 0x00100024$",
                      r"^hv: screen: +-\*- .*-\*-", r"^hv: screen: +/ \\$",
                      r"^hv: guest stopped: its time is up \(run_for=2\)$",
                      r"^hv: exits: VMX-preemption timer expired +\d+ exits"] + list(must),
                must_not=[r"^PANIC", r"guest stopped: (?!its time is up)"],
                runner_must=[r"^hvrun: screenshot: ", r"^hvrun: power-off, status 0 "], timeout=60)


def foreign_cases():
    for path, package in ((INVADERS, "grub-invaders"), (GNUMACH_GZ, "gnumach-image-1.8-486")):
        if not os.path.exists(path):
            raise SystemExit("foreign_cases: %s is missing: make deps installs %s" % (path, package))
    return [
        # Its invaders (rows of "-*-") and the player's ship ("/ \\") on the
        # screen, in the log and in the picture.
        invaders("foreign-invaders", []),
        # The same game at ring 1, its code run from the binary translator's
        # cache (issue 21): its port I/O done in translations.
        invaders("foreign-invaders-bt", ["cpu=deprivileged", "mem=shadow", "bt=1"],
                 [r"^hv: bt: \d+ blocks translated .* [1-9]\d* IN and OUT done in translations"]),
        Case("foreign-gnumach64", ["--module", gnumach() + " console=com0", HV, "--", "devices=virtual",
                               "run_for=8", "vmcheck=1"], OK,
         must=[r"^hv: guest kernel: ELF64, Multiboot header at offset 0x1004, loads at "
               r"0x01000000-0x010a07b0, entry 0x01000000$",
               r"^biosmem: 000000000000100000:000000000004000000, available$",
               r"^RTC time is 2000-01-01 00:00:0\d$",
               r"^panic \.\./kern/bootstrap\.c:181: bootstrap_create: No bootstrap code loaded with the kernel!$",
               r"^hv: guest stopped: its time is up \(run_for=8\)$"],
         must_not=[r"^PANIC", r"guest stopped: (?!its time is up)"],
         runner_must=[r"^hvrun: power-off, status 0 "], timeout=90),
    ]
